"""Where a problem is, in a file or in memory (geo.validate.location)."""

from __future__ import annotations

import pytest

from geo.errors import Problem, Report
from geo.validate.location import LocatedProblem, Location, feature_location, record


@pytest.mark.parametrize(
    "location,words",
    [
        (Location(3), "feature 3"),
        (Location(3, "idlib"), "zone idlib, feature 3"),
        (Location(3, "idlib", "idlib@2018-01-20"), "zone idlib, version idlib@2018-01-20"),
        (
            Location(0, "idlib", "idlib@2018-01-20").at(part=2, ring=1, vertex=17),
            "zone idlib, version idlib@2018-01-20, part 2, ring 1, vertex 17",
        ),
        (
            Location(0, "idlib", "idlib@2018-01-20").at(part=1, ring=0),
            "zone idlib, version idlib@2018-01-20, part 1, ring 0",
        ),
    ],
)
def test_location_in_words(location, words):
    assert str(location) == words


def test_feature_location_reads_zone_and_version_from_the_properties():
    feature = {"properties": {"zone_id": " idlib ", "valid_from": "2018-01-20"}}
    assert feature_location(feature, 5) == Location(5, "idlib", "idlib@2018-01-20")
    assert feature_location({"properties": {"zone_id": 3}}, 5) == Location(5)
    assert feature_location("not a feature", 2) == Location(2)


def test_record_places_a_problem_in_a_file_or_in_memory():
    report = Report()
    record(report, "zones.geojson", "feature 0, line 4", "error", "bad", "x", part=1, ring=0)
    record(report, "<memory>", Location(0, "idlib"), "warning", "odd", "y", part=1, ring=2)
    in_file, in_memory = report.problems
    assert type(in_file) is Problem and in_file.where == "feature 0, line 4"
    assert isinstance(in_memory, LocatedProblem)
    assert in_memory.where == "zone idlib, feature 0, part 1, ring 2"
    assert in_memory.location == Location(0, "idlib", None, 1, 2)
    assert str(in_memory) == "<memory>:zone idlib, feature 0, part 1, ring 2: warning: odd"
