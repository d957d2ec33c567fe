"""The agreements and violations CSV files (geo.validate.records)."""

from __future__ import annotations

import csv
import io

import pytest

from geo import schema
from geo.errors import Report
from geo.validate import (
    check_agreements_bytes,
    check_violation_agreements,
    check_violations_bytes,
    validate_dataset,
    validate_paths,
)
from tests.conftest import csv_text


def only(report, code):
    found = [p for p in report if p.code == code]
    assert found, f"no {code!r} problem in {[str(p) for p in report]}"
    return found[0]


# --- CSV files -------------------------------------------------------------------------------

AGREEMENT = {
    "agreement_id": "cairo-eastern-ghouta-2017",
    "title": "Cairo agreement on Eastern Ghouta",
    "kind": "de-escalation",
    "signed": "2017-07-22",
    "effective_from": "2017-07-22T12:00+03:00",
    "effective_to": "",
    "date_precision": "minute",
    "zone_ids": "eastern-ghouta",
    "parties": "Russian MoD;Eastern Ghouta opposition",
    "guarantors": "Russia;Egypt",
    "terms": "Cessation of hostilities from noon.",
    "outcome": "violated",
    "source": "TASS, 2017-07-22, http://tass.com/world/957354",
}
VIOLATION = {
    "violation_id": "v-20170723-duma",
    "occurred": "2017-07-23",
    "date_precision": "day",
    "lat": "33.56986",
    "lon": "36.39914",
    "location_precision": "town",
    "place": "Duma",
    "zone_id": "eastern-ghouta",
    "kind": "airstrike",
    "alleged_perpetrator": "Syrian government forces",
    "reported_by": "SOHR",
    "casualties": "",
    "summary": "Air strikes hit Duma a day after the truce.",
    "source": "AFP, 2017-07-23, https://example.org/a",
}


def agreements(rows, header=schema.AGREEMENT_COLUMNS, zone_ids=frozenset({"eastern-ghouta"})):
    report = Report()
    data = csv_text(list(header), rows).encode("utf-8")
    records = check_agreements_bytes(data, "agreements.csv", report, zone_ids=set(zone_ids))
    return report, records


def violations(rows, header=schema.VIOLATION_COLUMNS, zone_ids=frozenset({"eastern-ghouta"})):
    report = Report()
    data = csv_text(list(header), rows).encode("utf-8")
    records = check_violations_bytes(data, "violations.csv", report, zone_ids=set(zone_ids))
    return report, records


def test_valid_agreement_is_parsed_with_utc_instants():
    report, (record,) = agreements([AGREEMENT])
    assert list(report) == []
    assert record["effective_from"].isoformat() == "2017-07-22T09:00:00+00:00"
    assert record["effective_to"] is None and record["zone_ids"] == ["eastern-ghouta"]


def test_bom_and_windows_line_endings_are_accepted():
    data = (
        b"\xef\xbb\xbf"
        + csv_text(list(schema.AGREEMENT_COLUMNS), [AGREEMENT]).replace("\n", "\r\n").encode()
    )
    report = Report()
    records = check_agreements_bytes(data, "a.csv", report, zone_ids={"eastern-ghouta"})
    assert list(report) == [] and records[0]["agreement_id"] == "cairo-eastern-ghouta-2017"


def test_non_utf8_file_is_located_and_the_fix_is_named():
    row = dict(AGREEMENT, title="Accord du Caire é")
    data = csv_text(list(schema.AGREEMENT_COLUMNS), [row]).encode("cp1252")
    report = Report()
    assert check_agreements_bytes(data, "a.csv", report) == []
    problem = only(report, "encoding")
    assert problem.where.startswith("line 2, column ")
    assert "0xe9" in problem.message and "UTF-8" in problem.message


def test_missing_and_unknown_columns():
    header = [c for c in schema.AGREEMENT_COLUMNS if c != "source"] + ["sauce"]
    report, records = agreements([AGREEMENT], header=header)
    assert records == []
    assert "missing column(s): source" in only(report, "missing-column").message
    unknown = only(report, "unknown-column")
    assert unknown.where == f"row 1, column {len(header)}" and "'sauce'" in unknown.message


def test_optional_columns_may_be_left_out():
    header = [c for c in schema.AGREEMENT_COLUMNS if c not in schema.AGREEMENT_OPTIONAL]
    report, (record,) = agreements([AGREEMENT], header=header)
    assert report.errors == [] and record["date_precision"] == "minute"


def test_duplicate_column():
    header = list(schema.AGREEMENT_COLUMNS) + ["title"]
    report, _ = agreements([AGREEMENT], header=header)
    only(report, "duplicate-column")


def test_row_with_wrong_number_of_fields():
    text = csv_text(list(schema.AGREEMENT_COLUMNS), [AGREEMENT]) + "a,b,c\n"
    report = Report()
    check_agreements_bytes(text.encode(), "a.csv", report)
    problem = only(report, "row-length")
    assert problem.where == "row 3" and "has 3 fields" in problem.message


def test_empty_file():
    report = Report()
    check_violations_bytes(b"", "v.csv", report)
    assert "the file is empty" in only(report, "empty-file").message


def test_duplicate_ids_name_the_first_row():
    report, _ = agreements([AGREEMENT, AGREEMENT])
    problem = only(report, "duplicate-id")
    assert problem.where == "row 3, column agreement_id" and "also in row 2" in problem.message


@pytest.mark.parametrize(
    "value,code,words",
    [
        ("2017-07-22T12:00", "bad-date", "no UTC offset"),
        ("2017-02-30", "bad-date", "not a real date"),
        ("2017-07-22T25:00+03:00", "bad-date", "not a real date and time"),
        ("22 July 2017", "bad-date", "neither a date"),
        ("2099-01-01", "future-date", "in the future"),
    ],
)
def test_bad_instants(value, code, words):
    report, records = agreements([dict(AGREEMENT, effective_from=value)])
    problem = only(report, code)
    assert problem.where == "row 2, column effective_from" and words in problem.message
    assert records == []


def test_effective_to_before_effective_from():
    report, _ = agreements([dict(AGREEMENT, effective_to="2017-07-21")])
    assert "not after effective_from" in only(report, "date-order").message


def test_unknown_zone_is_an_error_with_suggestion():
    report, _ = agreements([dict(AGREEMENT, zone_ids="eastern-ghouta;eastern-gouta")])
    problem = only(report, "unknown-zone")
    assert (
        "'eastern-gouta'" in problem.message and "did you mean 'eastern-ghouta'" in problem.message
    )


def test_unknown_kind_is_a_warning():
    report, records = agreements([dict(AGREEMENT, kind="armistice")])
    assert only(report, "unknown-choice").severity == "warning" and len(records) == 1


def test_source_is_required_and_should_be_citable():
    report, _ = agreements([dict(AGREEMENT, source="")])
    assert "cite its source" in only(report, "empty-field").message
    report, _ = agreements([dict(AGREEMENT, source="a friend")])
    assert only(report, "weak-source").severity == "warning"


def test_collapsed_agreement_without_end_is_a_warning():
    report, _ = agreements([dict(AGREEMENT, outcome="collapsed", effective_to="")])
    assert only(report, "open-ended-collapse").severity == "warning"


def test_valid_violation_has_interval_from_its_precision():
    report, (record,) = violations([VIOLATION])
    assert list(report) == []
    assert record["occurred"].isoformat() == "2017-07-22T21:00:00+00:00"
    assert record["occurred_end"].isoformat() == "2017-07-23T21:00:00+00:00"


def test_swapped_violation_position():
    report, records = violations([dict(VIOLATION, lat="36.39914", lon="33.56986")])
    assert "appear swapped" in only(report, "swapped-coordinates").message and records == []


@pytest.mark.parametrize(
    "column,value,code",
    [
        ("lat", "north", "bad-number"),
        ("lat", "95", "out-of-range"),
        ("casualties", "about 5", "bad-number"),
        ("date_precision", "fortnight", "bad-choice"),
        ("location_precision", "village", "bad-choice"),
    ],
)
def test_bad_violation_values(column, value, code):
    report, _ = violations([dict(VIOLATION, **{column: value})])
    assert only(report, code).where == f"row 2, column {column}"


def test_hour_precision_needs_a_time():
    report, _ = violations([dict(VIOLATION, date_precision="hour")])
    only(report, "precision-mismatch")


def test_violation_zone_id_may_be_empty():
    report, (record,) = violations([dict(VIOLATION, zone_id="")])
    assert report.errors == [] and record["zone_id"] == ""


# --- violations linked to agreements (agreement_ids) -----------------------------------------


def linked(violation_rows, agreement_rows=(AGREEMENT,)):
    """Violations checked against agreements: (report, violation records)."""
    _, agreement_records = agreements(list(agreement_rows))
    report, records = violations(violation_rows)
    check_violation_agreements(records, agreement_records, "violations.csv", report)
    return report, records


def test_agreement_ids_are_read_as_a_list_and_may_be_left_out():
    report, (record,) = linked([dict(VIOLATION, agreement_ids=" cairo-eastern-ghouta-2017 ; ")])
    assert list(report) == [] and record["agreement_ids"] == ["cairo-eastern-ghouta-2017"]
    header = [c for c in schema.VIOLATION_COLUMNS if c != "agreement_ids"]
    report, (record,) = violations([VIOLATION], header=header)
    assert list(report) == [] and record["agreement_ids"] == []


def test_unknown_agreement_id_is_an_error_naming_row_column_and_id():
    report, _ = linked([dict(VIOLATION, agreement_ids="cairo-eastern-ghouta-2071")])
    problem = only(report, "unknown-agreement")
    assert problem.severity == "error" and problem.where == "row 2, column agreement_ids"
    assert "'cairo-eastern-ghouta-2071'" in problem.message
    assert "did you mean 'cairo-eastern-ghouta-2017'" in problem.message


def test_agreement_id_that_is_not_a_slug_is_an_error():
    report, _ = violations([dict(VIOLATION, agreement_ids="Cairo 2017")])
    assert only(report, "bad-slug").where == "row 2, column agreement_ids"


@pytest.mark.parametrize(
    "occurred,precision,outside",
    [
        ("2017-07-21", "day", True),  # the day before the ceasefire began
        ("2017-07-22T11:30+03:00", "hour", True),  # the hour before noon
        ("2017-07-22", "day", False),  # possibly after noon
        ("2018-02-18", "day", True),  # the day it ended (half-open)
        ("2018-02-17", "day", False),
        ("2017-07-01", "month", False),  # a month that overlaps the period
    ],
)
def test_violation_outside_the_agreements_period_is_a_warning(occurred, precision, outside):
    agreement = dict(AGREEMENT, effective_to="2018-02-18")
    row = dict(
        VIOLATION,
        occurred=occurred,
        date_precision=precision,
        agreement_ids="cairo-eastern-ghouta-2017",
    )
    report, records = linked([row], [agreement])
    found = [p for p in report if p.code == "outside-agreement-period"]
    assert bool(found) is outside and len(records) == 1
    if outside:
        assert found[0].severity == "warning" and "cairo-eastern-ghouta-2017" in found[0].message
        assert report.errors == []


def test_dataset_validation_checks_agreement_ids(data_copy):
    path = data_copy / "violations.csv"
    text = path.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    columns = header.split(",")
    cells = next(csv.reader([first]))
    cells[columns.index("agreement_ids")] = "nationwide-ceasefire-2061-12"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    path.write_text("\n".join([header, buffer.getvalue().rstrip("\n"), rest]), encoding="utf-8")
    problems = [p for p in validate_dataset(data_copy).report if p.code == "unknown-agreement"]
    assert len(problems) == 1 and problems[0].where == "row 2, column agreement_ids"
    assert "did you mean 'nationwide-ceasefire-2016-12'" in problems[0].message
    # a violations file named alone is checked against the data folder's agreements
    alone = validate_paths([path], data_dir=data_copy).report
    assert [p.where for p in alone if p.code == "unknown-agreement"] == [
        "row 2, column agreement_ids"
    ]


# --- values in range where they are read ---------------------------------------------------------


@pytest.mark.parametrize(
    "value", [str(10**40), str(2**63), "1" + "0" * 5000, str(schema.MAX_CASUALTIES + 1)]
)
def test_a_death_count_beyond_the_bound_is_a_located_error(value):
    report, records = violations([dict(VIOLATION, casualties=value)])
    problem = only(report, "out-of-range")
    assert problem.where == "row 2, column casualties" and problem.severity == "error"
    assert f"{schema.MAX_CASUALTIES:,}" in problem.message and records == []
    assert len(problem.message) < 400  # a 5,000-digit value is shortened


def test_an_implausible_death_count_is_a_warning_and_the_record_is_kept():
    value = str(schema.IMPLAUSIBLE_CASUALTIES + 1)
    report, (record,) = violations([dict(VIOLATION, casualties=value)])
    problem = only(report, "implausible-count")
    assert problem.severity == "warning" and "more than any single event" in problem.message
    assert record["casualties"] == schema.IMPLAUSIBLE_CASUALTIES + 1
    report, _ = violations([dict(VIOLATION, casualties=str(schema.IMPLAUSIBLE_CASUALTIES))])
    assert list(report) == []


@pytest.mark.parametrize("value", ["١٢", "1_000", "+5", "5.0", "-1", "1e3"])
def test_a_death_count_must_be_written_with_the_digits_0_to_9(value):
    report, _ = violations([dict(VIOLATION, casualties=value)])
    assert only(report, "bad-number").where == "row 2, column casualties"


@pytest.mark.parametrize("value", ["3_3.5", "٣٣.٥", "0x21", "33.5.1", "inf", "nan", "1e400"])
def test_a_coordinate_must_be_a_plain_decimal_number(value):
    report, records = violations([dict(VIOLATION, lat=value)])
    assert only(report, "bad-number" if "e400" not in value else "out-of-range").where == (
        "row 2, column lat"
    )
    assert records == []


@pytest.mark.parametrize("value", ["33.56986", "+33.56986", "33.", ".5e2", "3356986e-5"])
def test_ordinary_decimal_coordinates_are_read(value):
    report, records = violations([dict(VIOLATION, lat=value, zone_id="")])
    assert report.errors == [] and records[0]["lat"] == float(value)


def test_a_coordinate_of_5000_digits_is_an_error_not_a_crash():
    report, _ = violations([dict(VIOLATION, lat="3" + "0" * 5000)])
    problem = only(report, "out-of-range")
    assert problem.where == "row 2, column lat" and len(problem.message) < 400


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred", "0001-01-01"),
        ("occurred", "9999-12-31T23:00-12:00"),
        ("occurred", "1899-12-31"),
    ],
)
def test_violation_dates_outside_the_years_read_are_located_errors(column, value):
    report, records = violations([dict(VIOLATION, **{column: value})])
    problem = only(report, "bad-date")
    assert problem.where == f"row 2, column {column}" and "1900 to 2100" in problem.message
    assert records == []


@pytest.mark.parametrize("column", ["signed", "effective_from", "effective_to"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31T23:00-12:00"])
def test_agreement_dates_outside_the_years_read_are_located_errors(column, value):
    if column == "signed" and "T" in value:
        value = value[:10]
    report, records = agreements([dict(AGREEMENT, **{column: value})])
    problem = only(report, "bad-date")
    assert problem.where == f"row 2, column {column}" and "1900 to 2100" in problem.message
    assert records == []


def test_an_agreement_signed_before_2011_gets_the_documented_warning():
    report, (record,) = agreements([dict(AGREEMENT, signed="2005-07-22")])
    problem = only(report, "early-date")
    assert problem.where == "row 2, column signed" and problem.severity == "warning"
    assert record["signed"].year == 2005


def test_an_agreement_signed_in_the_future_is_an_error():
    report, _ = agreements([dict(AGREEMENT, signed="2099-01-01")])
    assert only(report, "future-date").where == "row 2, column signed"


def test_each_named_agreement_is_checked_in_turn_with_its_own_words():
    # one violation on 1 July 2017 names, as text: an agreement whose row could not be read
    # (skipped), an unknown one, one without a start (nothing to compare), one that began on
    # 22 July 2017 and ended on 18 February 2018, and an open-ended one from 1 March 2018;
    # a second, without an end, is not compared; a third names the closed one in a list
    import datetime as dt

    summer, winter = dt.timezone(dt.timedelta(hours=3)), dt.timezone(dt.timedelta(hours=2))
    agreements = [
        {
            "agreement_id": "closed",
            "effective_from": dt.datetime(2017, 7, 22, 12, tzinfo=summer),
            "effective_to": dt.datetime(2018, 2, 18, tzinfo=winter),
        },
        {
            "agreement_id": "open",
            "effective_from": dt.datetime(2018, 3, 1, tzinfo=winter),
            "effective_to": None,
        },
        {"agreement_id": "undated", "effective_from": None, "effective_to": None},
    ]
    day = dt.datetime(2017, 7, 1, tzinfo=summer), dt.datetime(2017, 7, 2, tzinfo=summer)
    violations = [
        {
            "row": 2,
            "agreement_ids": "gone;xyz;undated;closed;open",
            "occurred": day[0],
            "occurred_end": day[1],
        },
        {"row": 3, "agreement_ids": ["closed"], "occurred": day[0], "occurred_end": None},
        {"row": 4, "agreement_ids": ["closed"], "occurred": day[0], "occurred_end": day[1]},
    ]
    report = Report()
    check_violation_agreements(violations, agreements, "violations.csv", report, skip={"gone"})

    def outside(agreement_id, period):
        return (
            f"the violation (1 July 2017) lies outside the period in force of agreement "
            f"{agreement_id!r} ({period}), so it cannot have breached it; check the date or "
            "the link"
        )

    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        (
            "violations.csv",
            "row 2, column agreement_ids",
            "error",
            "unknown agreement 'xyz'; agreement_ids must name agreements defined in agreements.csv",
            "unknown-agreement",
        ),
        (
            "violations.csv",
            "row 2, column agreement_ids",
            "warning",
            outside("closed", "22 July 2017 to 18 February 2018"),
            "outside-agreement-period",
        ),
        (
            "violations.csv",
            "row 2, column agreement_ids",
            "warning",
            outside("open", "1 March 2018 to open-ended"),
            "outside-agreement-period",
        ),
        (
            "violations.csv",
            "row 4, column agreement_ids",
            "warning",
            outside("closed", "22 July 2017 to 18 February 2018"),
            "outside-agreement-period",
        ),
    ]


def test_violation_rows_are_reported_in_full():
    # row 2 names a zone that does not exist (a typo); row 3 repeats row 2's id and gives an
    # hour without a time; rows 4 to 7 have positions just off the globe's ranges
    rows = [
        dict(VIOLATION, zone_id="eastern-gouta"),
        dict(VIOLATION, date_precision="hour"),
        dict(VIOLATION, violation_id="v-south", lat="-90.5"),
        dict(VIOLATION, violation_id="v-north", lat="90.5"),
        dict(VIOLATION, violation_id="v-west", lon="-180.5"),
        dict(VIOLATION, violation_id="v-east", lon="180.5"),
    ]
    report, records = violations(rows)
    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        (
            "violations.csv",
            "row 2, column zone_id",
            "error",
            "unknown zone 'eastern-gouta' (did you mean 'eastern-ghouta'?); zones are defined "
            "in zones.geojson, or leave it empty to derive it from the position",
            "unknown-zone",
        ),
        (
            "violations.csv",
            "row 3, column violation_id",
            "error",
            "duplicate violation_id 'v-20170723-duma' (also in row 2); ids must be unique",
            "duplicate-id",
        ),
        (
            "violations.csv",
            "row 3, column date_precision",
            "error",
            "precision 'hour' needs a time in occurred, such as 2021-08-14T21:00+03:00; or use "
            "'day'",
            "precision-mismatch",
        ),
        *(
            (
                "violations.csv",
                f"row {row}, column {column}",
                "error",
                f"'{value}' is out of range [{low}, {high}]",
                "out-of-range",
            )
            for row, column, value, low, high in [
                (4, "lat", "-90.5", -90, 90),
                (5, "lat", "90.5", -90, 90),
                (6, "lon", "-180.5", -180, 180),
                (7, "lon", "180.5", -180, 180),
            ]
        ),
    ]
    assert records == []  # a row with an error is not returned
    report, (record,) = violations([VIOLATION])
    assert list(report) == [] and (record["place"], record["zone_id"]) == ("Duma", "eastern-ghouta")


def test_a_violations_file_without_the_zone_column_names_no_zone():
    header = [c for c in schema.VIOLATION_COLUMNS if c != "zone_id"]
    row = {k: v for k, v in VIOLATION.items() if k != "zone_id"}
    report, (record,) = violations([row], header=header)
    assert list(report) == [] and record["zone_id"] == ""


def test_more_violation_cells_reported_in_full():
    # row 2: an id that is no slug among the linked agreements; row 3: an agreement named
    # twice (a warning: the row is kept); row 4: half a person; row 5: a million and one;
    # row 6: a million (the largest plausible count, kept, its leading zeros read away);
    # (an implausible count: a warning); row 7: Duma's latitude and longitude exchanged; row 8:
    # a position in the sea off Egypt, outside the region either way round
    rows = [
        dict(VIOLATION, violation_id="v-2", agreement_ids="Cairo 2017"),
        dict(VIOLATION, violation_id="v-3", agreement_ids="a-1;a-1"),
        dict(VIOLATION, violation_id="v-4", casualties="0.5"),
        dict(VIOLATION, violation_id="v-5", casualties="1000001"),
        dict(VIOLATION, violation_id="v-6", casualties="0001000000"),
        dict(VIOLATION, violation_id="v-7", lat="36.39914", lon="33.56986"),
        dict(VIOLATION, violation_id="v-8", lat="35.0", lon="30.0", location_precision="exact"),
    ]
    report, records = violations(rows)
    region = schema.REGION_NAME
    assert [(p.where, p.severity, p.message, p.code) for p in report] == [
        (
            "row 2, column agreement_ids",
            "error",
            "'Cairo 2017' is not an agreement id (a lower-case slug); separate ids with semicolons",
            "bad-slug",
        ),
        (
            "row 3, column agreement_ids",
            "warning",
            "'a-1;a-1' names an agreement more than once; keep one",
            "duplicate-agreement",
        ),
        (
            "row 4, column casualties",
            "error",
            "'0.5' must be a whole number of people written with the digits 0-9 (or empty when "
            "not reported)",
            "bad-number",
        ),
        (
            "row 5, column casualties",
            "error",
            "'1000001' is out of range: more than 1,000,000 people killed in one incident is "
            "not a plausible count; check for a misplaced digit",
            "out-of-range",
        ),
        (
            "row 6, column casualties",
            "warning",
            "1,000,000 people killed is more than any single event recorded in the Syrian war "
            "(none reached 10,000); check the count",
            "implausible-count",
        ),
        (
            "row 7, column lat",
            "error",
            f"lat 36.39914 and lon 33.56986 appear swapped: the position lies outside {region} "
            "but inside it when exchanged; exchange the two values",
            "swapped-coordinates",
        ),
        (
            "row 8, column lat",
            "warning",
            f"position (lat 35.0, lon 30.0) lies outside {region}; check it",
            "outside-region",
        ),
    ]
    kept = {r["violation_id"]: r for r in records}
    assert sorted(kept) == ["v-3", "v-6", "v-8"]
    assert kept["v-3"]["agreement_ids"] == ["a-1", "a-1"]
    assert kept["v-6"]["casualties"] == 1_000_000


def test_agreement_zone_lists_reported_in_full():
    rows = [
        dict(AGREEMENT, agreement_id="a-2", zone_ids=""),
        dict(AGREEMENT, agreement_id="a-3", zone_ids="eastern-gouta"),
    ]
    report, records = agreements(rows)
    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        (
            "agreements.csv",
            "row 2, column zone_ids",
            "error",
            "zone_ids is empty; name the zones the agreement covers, separated by semicolons",
            "empty-field",
        ),
        (
            "agreements.csv",
            "row 3, column zone_ids",
            "error",
            "unknown zone 'eastern-gouta' (did you mean 'eastern-ghouta'?); zones are defined in "
            "zones.geojson",
            "unknown-zone",
        ),
    ]


def test_agreement_rows_are_read_into_records_and_reported_in_full():
    # row 2: the Cairo agreement (a noon start, to the minute);
    # row 3: ends as it begins (an error: the row is dropped, and the next still read);
    # row 4: a day start with no precision, collapsed but without an end (a warning);
    # row 5: month precision given
    rows = [
        AGREEMENT,
        dict(AGREEMENT, agreement_id="a-3", effective_to="2017-07-22T12:00+03:00"),
        dict(
            AGREEMENT,
            agreement_id="a-4",
            effective_from="2017-08-01",
            date_precision="",
            outcome="collapsed",
            guarantors="",
        ),
        dict(AGREEMENT, agreement_id="a-5", effective_from="2017-09-01", date_precision="month"),
    ]
    report, records = agreements(rows)
    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        (
            "agreements.csv",
            "row 3, column effective_to",
            "error",
            "effective_to '2017-07-22T12:00+03:00' is not after effective_from "
            "'2017-07-22T12:00+03:00'",
            "date-order",
        ),
        (
            "agreements.csv",
            "row 4, column effective_to",
            "warning",
            "outcome is 'collapsed' but effective_to is empty, so the agreement counts as in "
            "force indefinitely; give the date it collapsed",
            "open-ended-collapse",
        ),
    ]
    assert [r["agreement_id"] for r in records] == [AGREEMENT["agreement_id"], "a-4", "a-5"]
    cairo = records[0]
    assert {
        k: cairo[k] for k in ("title", "kind", "parties", "guarantors", "terms", "outcome")
    } == {k: AGREEMENT[k] for k in ("title", "kind", "parties", "guarantors", "terms", "outcome")}
    assert cairo["zone_ids"] == ["eastern-ghouta"] and cairo["row"] == 2
    assert [r["date_precision"] for r in records] == ["minute", "day", "month"]
    assert records[1]["guarantors"] == "" and records[1]["effective_to"] is None


def test_an_agreements_file_without_optional_columns_reads_them_as_empty():
    header = [c for c in schema.AGREEMENT_COLUMNS if c not in ("date_precision", "guarantors")]
    row = {k: v for k, v in AGREEMENT.items() if k in header}
    report, (record,) = agreements([dict(row, effective_from="2017-07-22")], header=header)
    assert list(report) == []
    assert (record["date_precision"], record["guarantors"]) == ("day", "")


def test_a_long_bad_value_is_quoted_whole_up_to_forty_characters():
    rows = [
        dict(VIOLATION, violation_id="v-40", lat="x" * 40),
        dict(VIOLATION, violation_id="v-41", lat="y" * 41),
    ]
    report, _ = violations(rows)
    tail = " is not a number; write decimal degrees with a point and the digits 0-9, e.g. 33.5102"
    assert [p.message for p in report if p.code == "bad-number"] == [
        repr("x" * 40) + tail,
        repr("y" * 20) + "... (41 characters)" + tail,
    ]
