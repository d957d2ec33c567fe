"""The words of a static snapshot in English and Arabic: headings, statuses, kinds and dates.

Only the fixed wording lives here; names and titles come from the data. Arabic strings are
written in logical order and left to the text engine to shape and lay out right to left
(matplotlib does that itself; nothing here reshapes or reorders them). Digits stay Western so
that dates, counts and identifiers read the same in both languages.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from geo import schema
from geo.errors import UsageError

LANGS = ("en", "ar")

_MONTHS_AR = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)

#: Fixed wording by language; ``{name}`` fields are filled with :meth:`str.format`.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ceasefire zones in Syria",
        "at": "{local} ({utc} UTC)",
        "window": "Zone status at that instant; incidents of the {days} before it ({count} shown)",
        "status_heading": "Zone status",
        "national": "Dashed outline: national extent of the nationwide truces",
        "kinds_heading": "Incidents in the window",
        "no_incidents": "None in the window",
        "agreements_heading": "Agreements in force ({count})",
        "no_agreements": "None in the zones shown.",
        "since": "in force since {date}",
        "more_agreements": "and {count} more: see the permalink",
        "locator": "Location of the map",
        "sources": "Sources:",
        "more_sources": "and {count} more: see the permalink",
        "no_sources": "Sources: no incident in the window.",
        "data_version": "Data version {version}",
        "generated": "Generated {time} UTC",
        "approximate": "Zone boundaries are approximate.",
        "permalink": "Permalink: {url}",
        "km": "km",
        "north": "N",
        "unnamed": "(unnamed zone)",
    },
    "ar": {
        "title": "مناطق وقف إطلاق النار في سوريا",
        "at": "{local} ({utc} بالتوقيت العالمي المنسق)",
        "window": "حالة المناطق في تلك اللحظة، والحوادث خلال {days} السابقة لها (المعروض: {count})",
        "status_heading": "حالة المنطقة",
        "national": "الخط المتقطع: النطاق الوطني لاتفاقات وقف إطلاق النار الشاملة",
        "kinds_heading": "الحوادث خلال الفترة",
        "no_incidents": "لا حوادث خلال الفترة",
        "agreements_heading": "الاتفاقات النافذة ({count})",
        "no_agreements": "لا اتفاق نافذ في المناطق المعروضة.",
        "since": "نافذ منذ {date}",
        "more_agreements": "و{count} أخرى: انظر الرابط الدائم",
        "locator": "موقع الخريطة",
        "sources": "المصادر:",
        "more_sources": "و{count} أخرى: انظر الرابط الدائم",
        "no_sources": "المصادر: لا حوادث خلال الفترة.",
        "data_version": "نسخة البيانات {version}",
        "generated": "أنشئت في {time} بالتوقيت العالمي المنسق",
        "approximate": "حدود المناطق تقريبية.",
        "permalink": "الرابط الدائم: {url}",
        "km": "كم",
        "north": "ش",
        "unnamed": "(منطقة بلا اسم)",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "none": "No agreement in force",
        "holding": "Holding: agreement in force, no incident in the window",
        "possibly-violated": "Possibly violated: only incidents of uncertain date",
        "violated": "Violated: incidents in the window",
        "lapsed": "Lapsed: agreement ended, nothing replaced it",
    },
    "ar": {
        "none": "لا اتفاق نافذ",
        "holding": "صامد: اتفاق نافذ ولا حوادث خلال الفترة",
        "possibly-violated": "انتهاك محتمل: حوادث غير مؤكدة التاريخ فقط",
        "violated": "مُنتهَك: حوادث خلال الفترة",
        "lapsed": "منقضٍ: انتهى الاتفاق ولم يحلّ محلّه آخر",
    },
}

KIND_WORDS_AR: dict[str, str] = {
    "shelling": "قصف مدفعي",
    "airstrike": "غارة جوية",
    "ground-assault": "هجوم بري",
    "clashes": "اشتباكات",
    "siege": "حصار",
    "obstruction": "عرقلة",
    "sniping": "قنص",
    "detention": "اعتقال",
    "bombing": "تفجير",
    "state-based-violence": "عنف تكون الدولة طرفًا فيه",
    "non-state-violence": "عنف بين أطراف غير حكومية",
    "one-sided-violence": "عنف من طرف واحد",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a language snapshots are written in.

    Raises
    ------
    UsageError
        For anything but ``"en"`` or ``"ar"``.
    """
    if lang not in LANGS:
        raise UsageError(f"--lang: {lang!r} is not a snapshot language; use en or ar")
    return lang


def word(lang: str, key: str, **fields: object) -> str:
    """The fixed wording ``key`` in ``lang``, with its fields filled in."""
    return WORDS[lang][key].format(**fields)


def status_label(lang: str, status: str) -> str:
    """What a zone status means, in ``lang``."""
    return STATUS_WORDS[lang].get(status, status)


def kind_label(lang: str, kind: str) -> str:
    """An incident kind for the legend: Arabic when known, else the data's own word."""
    return KIND_WORDS_AR.get(kind, kind) if lang == "ar" else kind.replace("-", " ")


def clean(value: object, limit: int = 200) -> str:
    """Data text made safe to draw: control characters become spaces, length is capped.

    Newlines, tabs and other control characters in a data cell would break the layout; very
    long cells are cut with an ellipsis. NaN and None become an empty string.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = _CONTROL.sub(" ", str(value)).strip()
    text = re.sub(r"\s{2,}", " ", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day_words(instant: dt.datetime, lang: str, precision: str = "day") -> str:
    """A day in words, in Damascus time (``16 July 2017``; ``July 2017`` for a month)."""
    local = pd.Timestamp(instant).tz_convert(schema.DAMASCUS)
    month = _MONTHS_AR[local.month - 1] if lang == "ar" else f"{local:%B}"
    if precision == "month":
        return f"{month} {local.year}"
    return f"{local.day} {month} {local.year}"


def instant_words(instant: dt.datetime, lang: str) -> str:
    """An instant in Damascus time and in UTC, both with the day.

    English: ``16 July 2017, 12:00 Damascus time (16 July 2017, 09:00 UTC)``.
    """
    at = pd.Timestamp(instant)
    utc = at.tz_convert("UTC")
    if lang == "ar":
        local = at.tz_convert(schema.DAMASCUS)
        local_text = f"{day_words(at, 'ar')}، {local:%H:%M} بتوقيت دمشق"
        # the UTC day may differ from the Damascus day: name it from UTC itself
        utc_text = f"{utc.day} {_MONTHS_AR[utc.month - 1]} {utc.year}، {utc:%H:%M}"
    else:
        local_text = schema.format_local(at.to_pydatetime())
        utc_text = f"{utc.day} {utc:%B %Y}, {utc:%H:%M}"
    return word(lang, "at", local=local_text, utc=utc_text)


def days_words(days: float, lang: str) -> str:
    """A window length: ``7 days``, ``1 day``; in Arabic with the right plural."""
    n = f"{days:g}"
    if lang != "ar":
        return f"{n} day" if days == 1 else f"{n} days"
    if days == 1:
        return "اليوم"
    if days == 2:
        return "اليومين"
    if float(days).is_integer() and 3 <= days <= 10:
        return f"الأيام الـ{n}"
    return f"الـ{n} يومًا"


def utc_words(instant: dt.datetime, lang: str = "en") -> str:
    """A generation time: ``2025-03-01 14:05`` (UTC).

    In Arabic it is isolated as left-to-right text, or the bidirectional algorithm would
    show the day before the year.
    """
    at = pd.Timestamp(instant)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    return ltr(f"{at:%Y-%m-%d %H:%M}", lang)


def ltr(text: str, lang: str) -> str:
    """``text`` as a left-to-right isolate (U+2066 ... U+2069) in Arabic; as it is otherwise."""
    return f"\u2066{text}\u2069" if lang == "ar" and text else text
