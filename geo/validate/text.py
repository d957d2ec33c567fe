"""Decoding data files as UTF-8 text, the one way every reader does it.

Every dezmap text file (zones GeoJSON, agreements and violations CSV, imported exports) is
UTF-8. Spreadsheets often add a byte-order mark, which is dropped; anything else that is not
UTF-8 raises :class:`NotUtf8Error`, which says where the first unreadable byte is, so that each
caller can word the fix for its own kind of file.
"""

from __future__ import annotations

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
