"""Where a problem lies: a place in a file, or a zone, version and vertex in memory.

The same checks run on zone files and on features held in memory (an unsaved edit). In a file,
a problem is placed by its feature and line (``feature 3 (zone_id=eastern-ghouta), line 40``),
given as text. In memory there are no lines: a problem is placed by a :class:`Location`, which
names the zone and version and, when the problem is at one point of the outline, the part, ring
and vertex (``zone eastern-ghouta, version eastern-ghouta@2018-03-10, part 1, ring 0,
vertex 17``). Such problems are :class:`LocatedProblem` records that carry the location as
data too, for an editor to point at the vertex.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from geo.errors import Problem, Report, Severity
from geo.validate.text import printable


@dataclass(frozen=True)
class Location:
    """A place in zone features held in memory.

    Attributes
    ----------
    feature
        Index of the feature among those checked (from 0).
    zone_id
        The feature's ``zone_id`` when it has one.
    version_id
        ``zone_id@valid_from`` when the feature has both.
    part
        Which polygon of the geometry, counted from 1 (a Polygon has one part, part 1; the
        messages call part 2 of a MultiPolygon ``polygon 2``).
    ring
        Which ring of that polygon: 0 is the exterior, ``k`` is hole ``k``.
    vertex
        Index of the position in the ring, from 0: the problem is at
        ``coordinates[ring][vertex]`` of a Polygon, ``coordinates[part - 1][ring][vertex]``
        of a MultiPolygon.
    """

    feature: int | None = None
    zone_id: str | None = None
    version_id: str | None = None
    part: int | None = None
    ring: int | None = None
    vertex: int | None = None

    def at(
        self, part: int | None = None, ring: int | None = None, vertex: int | None = None
    ) -> Location:
        """Return this location narrowed to a part, ring and vertex (None keeps what it is)."""
        return dataclasses.replace(
            self,
            part=self.part if part is None else part,
            ring=self.ring if ring is None else ring,
            vertex=self.vertex if vertex is None else vertex,
        )

    def __str__(self) -> str:
        words = []
        if self.zone_id:
            words.append(f"zone {self.zone_id}")
        if self.version_id:
            words.append(f"version {self.version_id}")
        elif self.feature is not None:
            words.append(f"feature {self.feature}")
        for name in ("part", "ring", "vertex"):
            value = getattr(self, name)
            if value is not None:
                words.append(f"{name} {value}")
        return ", ".join(words)


#: Where a problem is: the words of a place in a file, or a location in memory.
Where = str | Location


@dataclass(frozen=True, order=True)
class LocatedProblem(Problem):
    """A :class:`~geo.errors.Problem` found in memory, with its :class:`Location` as data.

    ``where`` holds the location in words, so the problem prints like any other.
    """

    location: Location | None = field(default=None, compare=False)


def record(
    report: Report,
    path: str,
    where: Where,
    severity: Severity,
    message: str,
    code: str,
    *,
    part: int | None = None,
    ring: int | None = None,
    vertex: int | None = None,
) -> None:
    """Add a problem to ``report``, placed at ``where``.

    A place in a file is used as it is (the part, ring and vertex are already in the message's
    words); a :class:`Location` is narrowed to the part, ring and vertex given.
    """
    if isinstance(where, Location):
        location = where.at(part, ring, vertex)
        report.problems.append(
            LocatedProblem(path, str(location), severity, message, code, location)
        )
    else:
        report.add(path, where, severity, message, code)


def feature_location(feature: Any, index: int) -> Location:
    """The location of a whole feature: its index, zone and version as its properties say."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    zone_id = _text(props.get("zone_id")) if isinstance(props, dict) else None
    valid_from = _text(props.get("valid_from")) if isinstance(props, dict) else None
    version_id = f"{zone_id}@{valid_from}" if zone_id and valid_from else None
    return Location(index, zone_id, version_id)


def _text(value: Any) -> str | None:
    """A property's text, trimmed and cut short for a message; None when it is not text."""
    if not isinstance(value, str) or not value.strip():
        return None
    return printable(value.strip()[:60])
