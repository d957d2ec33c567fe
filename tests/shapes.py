"""Shared test shapes: zones that are not rectangles, with points that tell the steps apart.

Every rectangle equals its bounding box, so a test zone that is a rectangle cannot tell a
point-in-polygon test from a bounding-box test. These zones can: each has points that lie
inside its bounding box but outside the zone (the notch of a U, a hole, the gap between two
parts), points inside, and points on a boundary. They lie near Damascus, inside the region the
validator expects, and are wound as RFC 7946 wants (exteriors counter-clockwise, holes
clockwise), so that a data folder made of them validates without a warning.

Points are ``(lon, lat)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Point, shape

Position = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """A test zone's outline and points about it.

    Attributes
    ----------
    zone_id
        The id the zone gets in a zones file.
    geometry
        The outline as a GeoJSON geometry mapping.
    inside
        Points inside the zone (not on its boundary), by name.
    outside
        Points inside the zone's bounding box but outside the zone, by name: only a real
        point-in-polygon test leaves them out.
    boundary
        Points on the zone's boundary, by name (a boundary point belongs to the zone).
    """

    zone_id: str
    geometry: dict[str, Any]
    inside: dict[str, Position] = field(default_factory=dict)
    outside: dict[str, Position] = field(default_factory=dict)
    boundary: dict[str, Position] = field(default_factory=dict)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` of the outline."""
        return shape(self.geometry).bounds

    def feature(self, **props: Any) -> dict[str, Any]:
        """A zone feature for a zones file (valid properties; keyword arguments override)."""
        properties = {
            "zone_id": self.zone_id,
            "name": self.zone_id.replace("-", " ").title(),
            "name_ar": "منطقة اختبار",
            "group": "test-shapes",
            "valid_from": "2017-01-01",
            "valid_to": "",
            "accuracy": "approximate",
            "boundary_source": "tests/shapes.py: a test shape drawn by hand",
            "notes": "",
        }
        properties.update(props)
        return {"type": "Feature", "properties": properties, "geometry": self.geometry}


def _polygon(*rings: list[Position]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in rings]}


#: A U open to the north: its notch lies inside the bounding box but outside the zone.
CONCAVE = Shape(
    "concave-u",
    _polygon(
        [
            (36.30, 33.50),
            (36.50, 33.50),
            (36.50, 33.65),
            (36.44, 33.65),
            (36.44, 33.56),
            (36.36, 33.56),
            (36.36, 33.65),
            (36.30, 33.65),
            (36.30, 33.50),
        ]
    ),
    inside={"west arm": (36.33, 33.60), "east arm": (36.47, 33.62), "base": (36.40, 33.52)},
    outside={"notch": (36.40, 33.60), "notch mouth": (36.40, 33.64)},
    boundary={"notch floor": (36.40, 33.56), "south edge": (36.40, 33.50)},
)

#: A square with a square hole: the hole is inside the bounding box and outside the zone.
HOLED = Shape(
    "holed",
    _polygon(
        [(36.60, 33.40), (36.80, 33.40), (36.80, 33.55), (36.60, 33.55), (36.60, 33.40)],
        [(36.66, 33.44), (36.66, 33.51), (36.74, 33.51), (36.74, 33.44), (36.66, 33.44)],
    ),
    inside={"ring south": (36.70, 33.42), "ring west": (36.62, 33.50)},
    outside={"hole": (36.70, 33.475), "hole corner": (36.665, 33.445)},
    boundary={"hole edge": (36.70, 33.44)},
)

#: Two squares with a gap between them: the gap is inside the bounding box, outside the zone.
MULTIPART = Shape(
    "multipart",
    {
        "type": "MultiPolygon",
        "coordinates": [
            [[[36.10, 33.30], [36.20, 33.30], [36.20, 33.40], [36.10, 33.40], [36.10, 33.30]]],
            [[[36.30, 33.30], [36.40, 33.30], [36.40, 33.40], [36.30, 33.40], [36.30, 33.30]]],
        ],
    },
    inside={"part 1": (36.15, 33.35), "part 2": (36.35, 33.35)},
    outside={"gap": (36.25, 33.35)},
    boundary={"part 2 west edge": (36.30, 33.35)},
)

#: Two zones that share an edge: a point on it lies in both, one beside it in one only. Each
#: has a notch of its own on its far side.
TOUCHING_WEST = Shape(
    "touching-west",
    _polygon(
        [
            (35.90, 33.70),
            (36.00, 33.70),
            (36.00, 33.80),
            (35.90, 33.80),
            (35.95, 33.75),
            (35.90, 33.70),
        ]
    ),
    inside={"west": (35.97, 33.75)},
    outside={"west notch": (35.91, 33.75)},
    boundary={"shared edge": (36.00, 33.75)},
)
TOUCHING_EAST = Shape(
    "touching-east",
    _polygon(
        [
            (36.00, 33.70),
            (36.10, 33.70),
            (36.10, 33.80),
            (36.05, 33.76),
            (36.00, 33.80),
            (36.00, 33.70),
        ]
    ),
    inside={"east": (36.05, 33.72)},
    outside={"east notch": (36.05, 33.79)},
    boundary={"shared edge": (36.00, 33.75)},
)

#: Every shape, each a zone of its own.
ALL = (CONCAVE, HOLED, MULTIPART, TOUCHING_WEST, TOUCHING_EAST)


def zones_containing(point: Position, shapes: tuple[Shape, ...] = ALL) -> set[str]:
    """The zones whose outline covers ``point`` (boundary included), by shapely."""
    return {s.zone_id for s in shapes if shape(s.geometry).covers(Point(point))}


def labelled_points(shapes: tuple[Shape, ...] = ALL) -> dict[str, Position]:
    """Every named point of ``shapes``, as ``"zone_id: name"``."""
    points: dict[str, Position] = {}
    for s in shapes:
        for group in (s.inside, s.outside, s.boundary):
            for name, point in group.items():
                points[f"{s.zone_id}: {name}"] = point
    return points
