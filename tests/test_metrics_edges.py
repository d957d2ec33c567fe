"""Compliance metrics to the digit (geo.metrics), on the shared test shapes.

Written to kill the mutants that ``scripts/mutation.sh metrics`` found alive: every number of
one agreement's metrics is checked exactly (rounding included), with an agreement that saw no
violation beside it. The story: a truce over the U zone (``tests/shapes.py``) from 1 March
2017, 12:00 to 1 June 2017; incidents in its arm before and after, one in its notch (outside),
one dated only to the day the truce began (possibly before it); a quiet truce over the holed
square.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.io import load_dataset
from geo.metrics import agreement_metrics
from geo.timemodel import build_timeline
from tests import shapes
from tests.test_join import folder_of, incident, truce

ARM = shapes.CONCAVE.inside["west arm"]
NOTCH = shapes.CONCAVE.outside["notch"]


@pytest.fixture
def metrics(tmp_path):
    first = dict(
        truce("first", "concave-u", "2017-03-01T12:00+02:00", "2017-06-01"), outcome="expired"
    )
    quiet = truce("quiet", "holed", "2017-03-01")
    rows = [
        dict(incident("v-1", ARM, "2017-03-02T06:30+02:00", precision="hour"), casualties="3"),
        incident("v-2", ARM, "2017-03-10"),
        incident("v-3", ARM, "2017-03-10", precision="week"),
        dict(incident("v-b1", ARM, "2017-02-20"), kind="airstrike"),
        incident("v-notch", NOTCH, "2017-03-05"),
        incident("v-poss", ARM, "2017-03-01", precision="day"),
    ]
    folder = folder_of(
        tmp_path, [shapes.CONCAVE.feature(), shapes.HOLED.feature()], [first, quiet], rows
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    table = agreement_metrics(timeline)
    metrics = {r["agreement_id"]: r for r in table.to_dict("records")}
    metrics["timeline"] = timeline
    return metrics


def missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_every_number_of_a_violated_agreement(metrics):
    r = metrics["first"]
    assert r["zone_ids"] == ["concave-u"]
    assert r["effective_from"] == "2017-03-01T12:00+02:00" and r["effective_to"] == "2017-06-01"
    assert (r["violations"], r["certain_violations"]) == (4, 3)
    assert r["first_violation"] == "v-1" and r["first_violation_dataset"] == "bundled"
    # v-1 is known to the hour: 06:30 Damascus stands for 06:00 to 07:00, 18 to 19 hours in
    assert (r["hours_to_first_violation"], r["hours_to_first_violation_max"]) == (18.0, 19.0)
    assert r["first_possible_violation"] == "v-poss"
    assert r["comparison_days"] == 91.5
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (0.66, 1.31)
    assert r["longest_quiet_days"] == 82.96
    assert r["by_kind"] == {"shelling": 4} and r["by_perpetrator"] == {"unknown": 4}


def test_every_number_of_a_quiet_agreement(metrics):
    r = metrics["quiet"]
    assert (r["violations"], r["certain_violations"]) == (0, 0)
    for name in (
        "effective_to",
        "first_violation",
        "first_violation_dataset",
        "hours_to_first_violation",
        "hours_to_first_violation_max",
        "first_possible_violation",
    ):
        assert missing(r[name]), name
    assert r["comparison_days"] == 92.0
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (0.0, 0.0)
    assert r["longest_quiet_days"] == 91.96
    assert r["by_kind"] == {} and r["by_perpetrator"] == {}


def test_metrics_of_one_agreement_with_incidents_left_out(metrics):
    timeline = metrics["timeline"]
    ids = timeline.incidents["violation_id"].tolist()
    mask = [i not in ("v-1", "v-poss") for i in ids]
    table = agreement_metrics(timeline, "first", incident_mask=np.array(mask))
    assert table["agreement_id"].tolist() == ["first"]
    r = table.iloc[0]
    assert (r["violations"], r["first_violation"]) == (2, "v-2")
    assert missing(r["first_possible_violation"])
