"""Choosing what a view shows: incident filters, text search and stepping from event to event."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from geo import schema
from geo.actors import family_mask
from geo.join import NS_MAX, to_ns
from geo.timemodel import Timeline


def incident_mask(
    incidents: pd.DataFrame,
    *,
    kinds: Iterable[str] | None = None,
    perpetrators: Iterable[str] | None = None,
    datasets: Iterable[str] | None = None,
) -> np.ndarray | None:
    """Boolean mask of the incidents that pass the filters; None when nothing is filtered.

    Each filter is a collection of accepted values; None or empty means "any".
    ``perpetrators`` are actor family ids (:data:`geo.actors.FAMILIES`): an incident passes
    when its reported perpetrator names at least one of them.
    """
    mask = np.ones(len(incidents), dtype=bool)
    filtered = False
    for column, accepted in (("kind", kinds), ("dataset", datasets)):
        values = list(accepted or [])
        if values:
            mask &= incidents[column].astype(str).isin(values).to_numpy()
            filtered = True
    families = list(perpetrators or [])
    if families:
        mask &= family_mask(incidents["alleged_perpetrator"], families)
        filtered = True
    return mask if filtered else None


#: Arabic letters written in several ways: each folded to one form (hamza carriers are
#: decomposed by NFKD already; these are what it leaves).
_ARABIC = str.maketrans(
    {"\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647", "\u0640": None}
)
#: Latin transliterations of the same Arabic sound, folded to one spelling, in this order:
#: Douma/Duma, Ghouta/Guta, Saraqeb/Saraqib, Sheikhoun/Shaykhun, el-/al-.
_LATIN = (
    (re.compile(r"[\u02bf\u02be'`\u2018\u2019\u02bc]"), ""),
    (re.compile(r"[-_/]"), " "),
    (re.compile(r"\bel\b"), "al"),
    (re.compile(r"ou|oo"), "u"),
    (re.compile(r"ee"), "i"),
    (re.compile(r"ei|ey|ai"), "ay"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"kh"), "k"),
    (re.compile(r"q"), "k"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"dh"), "d"),
    (re.compile(r"th"), "t"),
    (re.compile(r"sh"), "s"),
    (re.compile(r"o"), "u"),
    (re.compile(r"e"), "i"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)


@lru_cache(maxsize=1 << 15)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.casefold().translate(_ARABIC)
    for pattern, replacement in _LATIN:
        plain = pattern.sub(replacement, plain)
    return plain


def fold(text: str) -> str:
    """Text as search compares it: case, accents and spelling variants folded away.

    Latin letters lose their accents and common transliteration variants are made one
    (``Douma`` and ``Duma`` both fold to ``duma``, ``Ghouta`` and ``Guta`` to ``guta``);
    Arabic loses its vowel marks and tatweel, and its alef, yaa and taa marbuta variants
    are made one (``الغوطة`` and ``الغوطه`` fold alike).
    """
    # remembered: a search folds every row's text again at each key press, the same texts
    return _fold(str(text))


def search(frame: pd.DataFrame, text: str, columns: Iterable[str]) -> pd.DataFrame:
    """Rows whose given columns contain every word of ``text``.

    Case, accents and transliteration variants do not matter (:func:`fold`): ``duma`` finds
    Douma, ``Guta`` finds Ghouta, and Arabic words are found in Arabic text however their
    vowels and hamzas are written. Columns missing from the frame are skipped.
    """
    words = [w for w in fold(text).split() if w]
    if not words:
        return frame
    present = [c for c in columns if c in frame.columns]
    if frame.empty or not present:
        return frame.iloc[0:0]
    haystack = frame[present].astype(str).agg(" ".join, axis=1).map(fold)
    keep = np.ones(len(frame), dtype=bool)
    for word in words:
        keep &= haystack.str.contains(word, regex=False).to_numpy()
    return frame[keep]


def event_instants(timeline: Timeline, incident_mask: np.ndarray | None = None) -> np.ndarray:
    """Sorted unique instants (int64 ns) at which something happens.

    A boundary version or an agreement begins or ends, or an incident begins.
    """
    zi, ai = timeline.zones, timeline.agreements
    starts = to_ns(timeline.incidents["occurred"])
    if incident_mask is not None:
        starts = starts[incident_mask]
    parts = [zi.start, zi.end, ai.start, ai.end, starts]
    every = np.unique(np.concatenate([p for p in parts if len(p)]))
    return every[(every != NS_MAX) & (every != np.iinfo(np.int64).min)]


def step_event(instants: np.ndarray, at: pd.Timestamp, direction: int) -> pd.Timestamp | None:
    """The next (``direction=1``) or previous (``-1``) event from ``at``; None past the end."""
    t = int(at.value)
    if direction > 0:
        i = np.searchsorted(instants, t, side="right")
        return pd.Timestamp(int(instants[i]), tz="UTC") if i < len(instants) else None
    i = np.searchsorted(instants, t, side="left") - 1
    return pd.Timestamp(int(instants[i]), tz="UTC") if i >= 0 else None


def busiest_instant(timeline: Timeline) -> pd.Timestamp:
    """The first moment at which the most zones existed at once, at noon Damascus time.

    A default view that shows as much as the data holds.
    """
    zi = timeline.zones
    candidates = np.unique(zi.start)
    counts = [len(zi.valid_at(int(t))) for t in candidates]
    best = int(candidates[int(np.argmax(counts))])
    day = pd.Timestamp(best, tz="UTC").tz_convert(schema.DAMASCUS).date()
    return local_instant(day, 12)


def local_instant(day: dt.date, hour: int = 12, minute: int = 0) -> pd.Timestamp:
    """A Damascus wall-clock time as a UTC instant."""
    return pd.Timestamp(
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=schema.DAMASCUS)
    ).tz_convert("UTC")
