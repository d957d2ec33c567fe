"""Decoding data files as UTF-8 text, the one way every reader does it.

Every dezmap text file (zones GeoJSON, agreements and violations CSV, imported exports) is
UTF-8. Spreadsheets often add a byte-order mark, which is dropped; anything else that is not
UTF-8 raises :class:`NotUtf8Error`, which says where the first unreadable byte is, so that each
caller can word the fix for its own kind of file.

Text read from any file may hold characters that no file, page or terminal should get: lone
surrogates (which JSON can spell as escapes) and invisible control characters.
:func:`text_problem` says what is wrong with a value, for the checks of every text field, and
:func:`printable` escapes such characters where a value has to be shown anyway.
"""

from __future__ import annotations

import re
from typing import Literal

from geo.errors import DezmapError

#: The UTF-8 byte-order mark that Excel's "CSV UTF-8" and some editors write first.
BOM = b"\xef\xbb\xbf"


class NotUtf8Error(DezmapError):
    """Bytes that are not UTF-8 text.

    Attributes
    ----------
    offset
        Position of the first unreadable byte, counted from 0 after any byte-order mark.
    line, column
        Where that byte is, both counted from 1 (the column counts bytes).
    byte
        The byte's value.
    guess
        What the byte would be in Windows-1252, the usual encoding of such files.
    """

    def __init__(self, data: bytes, offset: int) -> None:
        self.offset = offset
        self.line = data.count(b"\n", 0, offset) + 1
        self.column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        self.byte = data[offset]
        self.guess = data[offset : offset + 1].decode("cp1252", errors="replace")
        super().__init__(
            f"not UTF-8: byte 0x{self.byte:02x} at line {self.line}, column {self.column} "
            f"(perhaps {self.guess!r} in Windows-1252) cannot be read; re-save the file as UTF-8"
        )


def strip_bom(data: bytes) -> bytes:
    """Return ``data`` without a leading UTF-8 byte-order mark (one, if there is one)."""
    return data[len(BOM) :] if data.startswith(BOM) else data


def decode_utf8(data: bytes, *, errors: Literal["strict", "replace"] = "strict") -> str:
    """Decode a file's bytes as UTF-8, dropping a byte-order mark.

    Parameters
    ----------
    data
        The bytes as read from the file.
    errors
        ``"strict"`` (the default) to refuse text that is not UTF-8; ``"replace"`` to read what
        can be read, for a quick look at a file (its header, its kind) that is checked later.

    Returns
    -------
    str
        The text, without the byte-order mark.

    Raises
    ------
    NotUtf8Error
        With ``errors="strict"``, when the bytes are not UTF-8; it gives the line, column and
        value of the first unreadable byte.
    """
    data = strip_bom(data)
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(data, exc.start) from None


# --- characters that text may not hold -------------------------------------------------------

# A lone surrogate is half of a UTF-16 pair: JSON can spell one (``"\ud800"``) but no UTF-8
# file, page or terminal can hold it, so it breaks whatever writes the text out.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters other than tab, line feed and carriage return (C0, DEL and C1): invisible
# in an editor, they can rewrite a terminal (ESC) or cut a line where a reader does not expect.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x0B: "vertical tab", 0x0C: "form feed"}
_CONTROL_NAMES.update({0x1B: "ESC", 0x7F: "DEL"})


def text_problem(value: str) -> tuple[str, str] | None:
    """Say what is wrong with the characters of a text value, if anything.

    Parameters
    ----------
    value
        A property or cell, as read.

    Returns
    -------
    tuple of (code, message) or None
        ``("lone-surrogate", ...)`` for half of a UTF-16 surrogate pair, ``("control-character",
        ...)`` for a control character other than tab, line feed and carriage return; the
        message names the character and its position (from 1), to be prefixed with the field.
        None when the text is fine.
    """
    match = _SURROGATE.search(value)
    if match:
        return (
            "lone-surrogate",
            f"holds a lone surrogate \\u{ord(match[0]):04x} at character {match.start() + 1}: half "
            "of a character pair (an escape such as \\ud83d without its partner), which no file "
            "or page can hold; write the whole character or remove it",
        )
    match = _CONTROL.search(value)
    if match:
        code = ord(match[0])
        name = _CONTROL_NAMES.get(code, "a control character")
        return (
            "control-character",
            f"holds the invisible control character U+{code:04X} ({name}) at character "
            f"{match.start() + 1}, probably pasted by accident; remove it",
        )
    return None


def printable(value: str) -> str:
    """``value`` with lone surrogates and control characters escaped, safe to print or show."""
    if not (_SURROGATE.search(value) or _CONTROL.search(value)):
        return value
    return "".join(
        ascii(ch)[1:-1] if _SURROGATE.match(ch) or _CONTROL.match(ch) else ch for ch in value
    )


def quoted(value: str, limit: int = 40) -> str:
    """A value for a message: quoted (escapes shown), and cut short when it is long."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[: limit // 2]!r}... ({len(value):,} characters)"
