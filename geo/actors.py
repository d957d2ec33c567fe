"""Actor families: the alleged perpetrators of incidents as a controlled vocabulary.

Reports name perpetrators in their own words ("Syrian government forces (4th Division)",
"warplanes, suspected Russian (per SOHR)"); imported data sets use their own actor names
(UCDP's ``Government of Syria``, ACLED's ``Military Forces of Syria (2000-)``). Filters and
counts need a handful of families instead. :func:`actor_families` maps a reported wording to
the families it names; the wording itself is always kept as the detail.

The mapping is a small table of patterns (:data:`RULES`), read against the wording with its
bracketed remarks removed: "(per SOHR)", "(Turkey; Russia denied its aircraft struck)" say
who reported or disputed the attribution, not who did it. A wording may name several
families ("Syrian government forces and Russian air force", "Syrian government or Russian
warplanes"): it belongs to each. A wording that names nobody ("unidentified warplanes") is
``unknown``; a named actor outside the listed families (the SDF, a foreign government other
than Russia, Turkey or Iran) is ``other``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

#: Family id -> label, in the order filters and legends list them.
FAMILIES: dict[str, str] = {
    "government": "Syrian government forces",
    "russia": "Russian forces",
    "iran": "Iran and Iranian-backed militias",
    "opposition": "Armed opposition",
    "hts": "HTS (Nusra Front, Fateh al-Sham)",
    "isis": "ISIS",
    "turkey": "Turkish forces",
    "other": "Other named actors",
    "unknown": "Unknown or unidentified",
}

_OPPOSITION_GROUPS = (
    # factions of the armed opposition as the reports and UCDP/ACLED name them
    r"armed opposition",
    r"opposition (?:groups?|factions?|fighters|forces|rebels)",
    r"rebels?",
    r"insurgents?",
    r"free syrian army",
    r"fsa",
    r"syrian national army",
    r"sna",
    r"national front for liberation",
    r"nfl",
    r"ahrar al[- ]?sham",
    r"ahrar al[- ]?sharqiya",
    r"jaysh al[- ]?islam",
    r"jaish al[- ]?islam",
    r"rahman corps",
    r"faylaq al[- ]?rahman",
    r"sham legion",
    r"faylaq al[- ]?sham",
    r"nour al[- ]?din al[- ]?zenki",
    r"southern front",
    r"jaysh al[- ]?nasr",
    r"jaish al[- ]?nasr",
    r"jaysh al[- ]?nukhba",
    r"jaysh al[- ]?izza",
    r"jaish al[- ]?izza",
    r"(?:13th|23rd) division",
    r"hamza division",
    r"(?:liwa )?al[- ]?sultan murad",
    r"syrian liberation front",
    r"suqour al[- ]?sham",
    r"fatah halab",
    r"levant front",
    r"al[- ]?jabha al[- ]?shamiyyah",
    r"hawar kilis operations room",
    r"jaysh asoud al[- ]?sharqiya",
    r"martyr lieutenant ahmed abdou brigades",
    r"sons of yarmouk",
    r"islamic front",
    r"mujahideen army",
    r"syrian revolutionary front",
    r"srf",
    r"syrian national coalition",
)

#: (family, pattern) pairs; a wording belongs to every family whose pattern it matches.
RULES: tuple[tuple[str, str], ...] = (
    (
        "government",
        r"syrian government|syrian arab (?:air force|army)|syrian army|government of syria"
        r"|(?:military|police) forces of syria|regime|pro-government militias?"
        r"|government (?:forces|artillery|helicopters?|aircraft|warplanes|air force|troops)"
        r"|4th division|fourth division|tiger forces|republican guard"
        r"|national defen[cs]e forces|ndf",
    ),
    (
        "russia",
        r"russian?|military forces of russia|government of russia(?: \(soviet union\))?"
        r"|wagner",
    ),
    (
        "iran",
        r"iran(?:ian)?[- ]backed|hezbollah|hizbollah|government of iran|military forces of iran"
        r"|irgc|revolutionary guards?|fatemiyoun|zainabiyoun|iranian",
    ),
    ("opposition", "|".join(_OPPOSITION_GROUPS)),
    (
        "hts",
        r"hts|hayat tahrir al[- ]?sham|tahrir al[- ]? ?sham|jabhat fateh al[- ]?sham"
        r"|jabhat al[- ]?nusra|nusra front|al[- ]?nusra",
    ),
    ("isis", r"isis|isil|islamic state|daesh|daish"),
    ("turkey", r"turkish|government of turkey|military forces of turkey"),
    (
        "other",
        r"sdf|syrian democratic forces|ypg|pkk|government of (?:iraq|israel|jordan|lebanon"
        r"|united states of america)|military forces of (?:iraq|israel|jordan|lebanon|the united"
        r" states)|us-led coalition|international coalition|israeli|protesters|civilians"
        r"|clan",
    ),
    ("unknown", r"unidentified|unknown|unattributed|not identified|unclaimed"),
)

_COMPILED = tuple((family, re.compile(rf"(?<![\w-])(?:{p})(?![\w-])")) for family, p in RULES)
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
#: UCDP's short name of the Islamic State: upper case only, "is" being an English word.
_UCDP_IS = re.compile(r"(?<![\w-])IS(?![\w-])")


_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2011": "-"})


def _plain(text: str) -> str:
    """Lower case, accents removed, typographic apostrophes and dashes made plain."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.translate(_TYPOGRAPHIC)
    return stripped.casefold()


@lru_cache(maxsize=65536)
def _named(text: str) -> tuple[str, ...]:
    """Families named by a wording, in :data:`FAMILIES` order (empty when none is)."""
    plain = _plain(text)
    while True:  # nested brackets: remove the inner ones first
        shorter = _BRACKETS.sub(" ", plain)
        if shorter == plain:
            break
        plain = shorter
    found = {family for family, pattern in _COMPILED if pattern.search(plain)}
    if _UCDP_IS.search(_BRACKETS.sub(" ", text)):
        found.add("isis")
    return tuple(f for f in FAMILIES if f in found)


def actor_families(text: object) -> tuple[str, ...]:
    """The actor families a reported perpetrator names.

    Parameters
    ----------
    text
        The ``alleged_perpetrator`` of an incident, as reported.

    Returns
    -------
    tuple of str
        Family ids of :data:`FAMILIES`, in that order: one or more. An empty, missing or
        "unknown" wording gives ``("unknown",)``; a named actor no rule knows gives
        ``("other",)``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ("unknown",)
    text = str(text).strip()
    if not text:
        return ("unknown",)
    return _named(text) or ("other",)


def is_mapped(text: object) -> bool:
    """Whether a rule of :data:`RULES` names the wording's families (no fallback needed)."""
    return bool(str(text).strip()) and bool(_named(str(text).strip()))


def family_label(family: str) -> str:
    """The label of a family id (the id itself when unknown)."""
    return FAMILIES.get(family, family)


def families_text(text: object) -> str:
    """The families of a wording as labels, for tables: ``Syrian government forces, ...``."""
    return ", ".join(family_label(f) for f in actor_families(text))


def family_mask(values: pd.Series | Iterable[object], families: Iterable[str]) -> np.ndarray:
    """Boolean mask: which reported perpetrators belong to at least one of ``families``.

    The wording of each distinct value is read once, so a million incidents with a few
    thousand distinct wordings cost one pass over the column.
    """
    wanted = set(families)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series.astype(object).where(series.notna(), ""), sort=False)
    hit = np.array([bool(wanted.intersection(actor_families(u))) for u in uniques], dtype=bool)
    out = np.zeros(len(series), dtype=bool)
    known = codes >= 0
    out[known] = hit[codes[known]] if hit.size else False
    return out


def family_counts(values: Iterable[object]) -> dict[str, int]:
    """How many wordings name each family (a wording naming two counts for both).

    Families in :data:`FAMILIES` order, those with no wording left out.
    """
    counts = dict.fromkeys(FAMILIES, 0)
    for value in values:
        for family in actor_families(value):
            counts[family] += 1
    return {f: n for f, n in counts.items() if n}


def present_families(values: Iterable[object]) -> list[str]:
    """The families the given wordings name, in :data:`FAMILIES` order (for filter choices)."""
    seen: set[str] = set()
    for value in pd.unique(pd.Series(list(values), dtype=object)):
        seen.update(actor_families(value))
    return [f for f in FAMILIES if f in seen]
