"""Actor families (geo.actors): the perpetrators of incidents as a controlled vocabulary."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from geo.actors import (
    FAMILIES,
    actor_families,
    families_text,
    family_counts,
    family_mask,
    is_mapped,
    present_families,
)
from tests.conftest import DATA, needs_realdata

#: Words with which a wording itself says that nobody is named.
SAYS_UNKNOWN = re.compile(r"\b(unidentified|unknown|unattributed)\b", re.IGNORECASE)


def bundled_perpetrators() -> list[str]:
    with open(DATA / "violations.csv", newline="", encoding="utf-8") as fh:
        return sorted({row["alleged_perpetrator"] for row in csv.DictReader(fh)})


def test_every_bundled_wording_is_mapped_by_a_rule():
    wordings = bundled_perpetrators()
    assert len(wordings) > 30  # the data's free text, not a handful of ids
    assert [w for w in wordings if not is_mapped(w)] == []
    assert [w for w in wordings if "other" in actor_families(w)] == []


def test_no_bundled_wording_is_unknown_unless_it_says_so():
    for wording in bundled_perpetrators():
        families = actor_families(wording)
        if "unknown" in families:
            assert SAYS_UNKNOWN.search(wording), wording


@pytest.mark.parametrize(
    ("wording", "families"),
    [
        ("Syrian government forces (4th Division)", ("government",)),
        (
            "Syrian Arab Air Force, Tiger Forces helicopter (OPCW attribution, 2021)",
            ("government",),
        ),
        ("Russian air force (per SOHR)", ("russia",)),
        ("warplanes, suspected Russian (per SOHR)", ("russia",)),
        ("Syrian government or Russian warplanes (unidentified)", ("government", "russia")),
        (
            "Syrian government forces with Iran-backed militias and Russian air cover",
            ("government", "russia", "iran"),
        ),
        ("Lebanese Hezbollah", ("iran",)),
        ("armed opposition groups (per Russian side)", ("opposition",)),
        # a bracketed remark says who reported or disputed, not who did it
        ("Syrian government forces (Turkey; Russia denied its aircraft struck)", ("government",)),
        (
            "Syrian government forces (opposition factions then shelled regime-held Jabburin)",
            ("government",),
        ),
        ("unidentified warplanes (SOHR)", ("unknown",)),
        (
            "unidentified aircraft (SOHR); Russian according to the White Helmets",
            ("russia", "unknown"),
        ),
        # the importers' actor names: UCDP GED side_a, ACLED actor1
        ("Government of Syria", ("government",)),
        ("IS", ("isis",)),
        ("Ahrar al-Sham, HTS, Southern Front", ("opposition", "hts")),
        ("Jabhat Fateh al-Sham", ("hts",)),
        ("Government of Turkey", ("turkey",)),
        ("Government of Israel", ("other",)),
        ("Military Forces of Syria (2000-)", ("government",)),
        ("Military Forces of Russia (2000-)", ("russia",)),
        ("Unidentified Armed Group (Syria)", ("unknown",)),
        ("Opposition Rebels (Syria)", ("opposition",)),
        ("Islamic State (Syria)", ("isis",)),
        ("Hayat Tahrir al-Sham", ("hts",)),
        # nobody named, or nothing at all
        ("unknown", ("unknown",)),
        ("", ("unknown",)),
        (None, ("unknown",)),
        # a name no rule knows is another actor, never "unknown"
        ("Qawim movement", ("other",)),
    ],
)
def test_wordings_map_to_families(wording, families):
    assert actor_families(wording) == families


def test_the_english_word_is_is_not_isis():
    assert actor_families("Russian air force (the strike is disputed)") == ("russia",)
    assert "isis" not in actor_families("Russia is blamed")


def test_accents_and_typographic_marks_do_not_matter():
    assert actor_families("SYRIAN GOVERNMENT FORCES") == ("government",)
    assert actor_families("Hayat Tahrir al‑Sham".replace("\u2011", "-")) == ("hts",)
    assert actor_families("Jaysh al Islam") == ("opposition",)


def test_importer_actor_names_of_real_ucdp_events_are_mapped():
    path = needs_realdata() / "events" / "ucdp_ged_syria_2016-01-01_2019-11-30.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    side_a = pd.read_csv(path, usecols=["side_a"])["side_a"].fillna("")
    counts = side_a.value_counts()
    mapped = counts[[is_mapped(v) for v in counts.index]].sum()
    assert mapped / counts.sum() > 0.99, counts[[not is_mapped(v) for v in counts.index]]
    # every actor with at least 25 events is named by a rule
    big = counts[counts >= 25]
    assert [v for v in big.index if not is_mapped(v)] == []
    assert family_counts(side_a.unique())["government"] >= 1


def test_family_mask_matches_any_named_family():
    values = pd.Series(
        [
            "Syrian government forces",
            "Syrian government or Russian warplanes (unidentified)",
            "Russian air force",
            "Lebanese Hezbollah",
            None,
        ]
    )
    assert family_mask(values, ["russia"]).tolist() == [False, True, True, False, False]
    assert family_mask(values, ["iran", "unknown"]).tolist() == [False, False, False, True, True]
    assert family_mask(values, []).tolist() == [False] * 5


def test_labels_and_present_families_keep_the_table_order():
    assert list(FAMILIES)[:7] == [
        "government",
        "russia",
        "iran",
        "opposition",
        "hts",
        "isis",
        "turkey",
    ]
    assert families_text("Syrian government and Russian warplanes") == (
        "Syrian government forces, Russian forces"
    )
    assert present_families(["Russian air force", "Syrian government forces", "IS"]) == [
        "government",
        "russia",
        "isis",
    ]
    present = present_families(bundled_perpetrators())
    assert {"government", "russia", "iran", "opposition", "unknown"} <= set(present)
