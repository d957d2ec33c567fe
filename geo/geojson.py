"""Reading GeoJSON text with the lines where its parts begin.

This module knows the JSON side of RFC 7946: it parses a file, keeping the line of every
top-level member and every feature so that problems can be located, and names JSON types the
way a user reads them. The checks of structure and geometry are in
:mod:`geo.validate.geometry`, the zone rules in :mod:`geo.validate.zones`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from geo.errors import Report

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
POLYGON_TYPES = ("Polygon", "MultiPolygon")
#: Names of the default CRS (WGS84 longitude/latitude) that old files spell out in ``crs``.
WGS84_NAMES = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "ogc:crs84",
    "crs84",
    "urn:ogc:def:crs:epsg::4326",
    "urn:ogc:def:crs:epsg:6.6:4326",
    "epsg:4326",
}


@dataclass
class ParsedText:
    """A GeoJSON document with the lines where its parts begin."""

    doc: Any
    #: Line of each top-level member, by name (only when the top level is an object).
    member_lines: dict[str, int] = field(default_factory=dict)
    #: Line where each element of the top-level ``features`` array begins.
    feature_lines: list[int] = field(default_factory=list)


#: The longest integer read as a number: longer ones cannot become a float.
_MAX_INT_DIGITS = 308


class _Located(Exception):
    """Raised inside the top-level walk when the text is not JSON."""


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_text(text: str, path: str, report: Report) -> ParsedText | None:
    """Parse GeoJSON text, recording syntax errors and duplicate members in ``report``.

    Returns None when the text is not JSON (the error, with its line and column, is in the
    report).
    """
    duplicates: list[tuple[str, int | None]] = []
    constants: list[str] = []
    huge: list[tuple[str, int | None]] = []
    current: list[int | None] = [None]

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                duplicates.append((key, current[0]))
            obj[key] = value
        return obj

    def constant(name: str) -> float:
        constants.append(name)
        return math.nan

    def integer(literal: str) -> int | float:
        # Python refuses to read integers of more than 4,300 digits, and one of more than
        # 308 digits cannot become a float (a coordinate); both are mistakes in a data file.
        if len(literal.lstrip("-")) > _MAX_INT_DIGITS:
            huge.append((literal, current[0]))
            return -math.inf if literal.startswith("-") else math.inf
        return int(literal)

    def real(literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            huge.append((literal, current[0]))
        return value

    if not text.strip(" \t\n\r"):
        report.error(
            path,
            "line 1",
            "the file is empty; a GeoJSON file holds an object such as "
            '{"type": "FeatureCollection", "features": [...]}',
            "json-syntax",
        )
        return None
    decoder = json.JSONDecoder(
        object_pairs_hook=pairs_hook, parse_constant=constant, parse_int=integer, parse_float=real
    )
    try:
        parsed = _walk(text, decoder, current)
    except (json.JSONDecodeError, _Located, RecursionError):
        parsed = None
    if parsed is None:
        # Let the standard decoder word the syntax error and find its position.
        try:
            doc = json.loads(
                text,
                object_pairs_hook=pairs_hook,
                parse_constant=constant,
                parse_int=integer,
                parse_float=real,
            )
        except json.JSONDecodeError as exc:
            report.error(
                path,
                f"line {exc.lineno}, column {exc.colno}",
                f"not valid JSON: {exc.msg}; check for a missing comma, quote or bracket "
                "just before this point",
                "json-syntax",
            )
            return None
        except RecursionError:
            report.error(path, "", "not valid JSON: nested too deeply", "json-syntax")
            return None
        parsed = ParsedText(doc)
    for key, index in dict.fromkeys(duplicates):
        report.error(
            path,
            _feature_place(parsed, index),
            f"member {key!r} appears more than once in one object, so its meaning is "
            "ambiguous; keep only one",
            "duplicate-member",
        )
    for literal, index in dict.fromkeys(huge):
        report.error(path, _feature_place(parsed, index), _huge_message(literal), "bad-number")
    for name in dict.fromkeys(constants):
        report.error(path, "", f"{name} is not allowed in JSON; write a number", "json-syntax")
    return parsed


def _feature_place(parsed: ParsedText, index: int | None) -> str:
    """Where a problem met while decoding feature ``index`` lies (the top level if None)."""
    if index is not None and index < len(parsed.feature_lines):
        return f"feature {index}, line {parsed.feature_lines[index]}"
    return "top level"


def _huge_message(literal: str) -> str:
    """The message for a number too large to be used, quoting it shortened."""
    digits = len(literal.lstrip("-"))
    if digits > 40 and literal.lstrip("-").isdigit():
        shown = f"a number with {digits} digits ({literal[:12]}...)"
    else:
        shown = literal if len(literal) <= 40 else literal[:24] + "..."
    return (
        f"{shown} is too large to be used as a number (beyond about 1.8e308); "
        "coordinates are degrees, such as 36.4: check for a missing decimal point or pasted text"
    )


def _walk(text: str, decoder: json.JSONDecoder, current: list[int | None]) -> ParsedText:
    """Decode the top-level object member by member to learn where each feature starts."""
    ws = " \t\n\r"
    n = len(text)
    i = 0
    while i < n and text[i] in ws:
        i += 1
    if i >= n or text[i] != "{":
        doc, end = decoder.raw_decode(text, i) if i < n else (None, i)
        _expect_end(text, end)
        return ParsedText(doc)
    i += 1
    pairs: list[tuple[str, Any]] = []
    member_lines: dict[str, int] = {}
    feature_lines: list[int] = []
    line, line_at = 1, 0  # running line count, to avoid rescanning the text per feature

    def line_at_offset(offset: int) -> int:
        nonlocal line, line_at
        line += text.count("\n", line_at, offset)
        line_at = offset
        return line

    first = True
    while True:
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == "}" and first:
            i += 1
            break
        if i >= n or text[i] != '"':
            raise _Located
        key, i = decoder.raw_decode(text, i)
        member_lines.setdefault(key, line_at_offset(i))
        while i < n and text[i] in ws:
            i += 1
        if i >= n or text[i] != ":":
            raise _Located
        i += 1
        while i < n and text[i] in ws:
            i += 1
        if key == "features" and i < n and text[i] == "[" and not feature_lines:
            i += 1
            items: list[Any] = []
            while True:
                while i < n and text[i] in ws:
                    i += 1
                if i < n and text[i] == "]" and not items:
                    i += 1
                    break
                current[0] = len(items)
                feature_lines.append(line_at_offset(i))
                value, i = decoder.raw_decode(text, i)
                items.append(value)
                while i < n and text[i] in ws:
                    i += 1
                if i < n and text[i] == ",":
                    i += 1
                    continue
                if i < n and text[i] == "]":
                    i += 1
                    break
                raise _Located
            current[0] = None
            value = items
        else:
            value, i = decoder.raw_decode(text, i)
        pairs.append((key, value))
        first = False
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "}":
            i += 1
            break
        raise _Located
    _expect_end(text, i)
    hook = decoder.object_pairs_hook
    assert hook is not None
    return ParsedText(hook(pairs), member_lines, feature_lines)


def _expect_end(text: str, i: int) -> None:
    if text[i:].strip(" \t\n\r"):
        raise _Located


def json_type(value: Any) -> str:
    """Name a JSON value's type the way a user reads it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
