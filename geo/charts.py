"""Charts (Altair): a zone's timeline of agreements, incidents per day and status.

Time is Damascus wall-clock time throughout (the data's days are Damascus days): the chart's
instants are local times without an offset, which Vega shows as they are in any browser.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from geo import schema
from geo.render import STATUS_COLORS

#: Colours for the agreements' outcomes, in order of preference (ColorBrewer and Tableau
#: hues away from red, green, amber and grey): those too close to a status colour of the map
#: are skipped (:func:`outcome_colors`), so that a bar never reads as a status.
_OUTCOME_CANDIDATES = (
    "#253494",
    "#6a3d9a",
    "#e7298a",
    "#9467bd",
    "#17becf",
    "#8c564b",
    "#bcbd22",
    "#393b79",
    "#ff9da7",
    "#7570b3",
    "#66a61e",
    "#1f77b4",
)
#: The smallest colour difference (CIE76 delta E in CIELAB) between an outcome colour and
#: any status colour; about 2 is the smallest difference people notice.
MIN_COLOR_DISTANCE = 25.0
#: The colour of the incident bars and of the chosen instant's rule.
INCIDENT_COLOR = "#3f3f46"
INSTANT_COLOR = "#111827"
#: Agreement titles are wrapped to lines of at most this many characters.
LABEL_WIDTH = 44


def _lab(color: str) -> tuple[float, float, float]:
    """An sRGB ``#rrggbb`` colour in CIELAB (D65)."""
    value = color.lstrip("#")
    rgb = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def color_distance(a: str, b: str) -> float:
    """The difference of two ``#rrggbb`` colours: CIE76 delta E in CIELAB."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def outcome_colors(outcomes: list[str]) -> dict[str, str]:
    """A colour per outcome, each at least :data:`MIN_COLOR_DISTANCE` from every status colour."""
    statuses = list(STATUS_COLORS.values())
    usable = [
        c
        for c in _OUTCOME_CANDIDATES
        if min(color_distance(c, s) for s in statuses) >= MIN_COLOR_DISTANCE
    ]
    usable = usable or [INCIDENT_COLOR]
    return {o: usable[i % len(usable)] for i, o in enumerate(outcomes)}


def wrap_label(text: str, width: int = LABEL_WIDTH) -> str:
    """A title wrapped into lines of at most ``width`` characters, joined by newlines."""
    return "\n".join(textwrap.wrap(str(text), width=width, break_on_hyphens=False)) or str(text)


def _local(values: pd.Series) -> pd.Series:
    return values.dt.tz_convert(schema.DAMASCUS).dt.tz_localize(None)


def status_segments(daily: pd.DataFrame) -> pd.DataFrame:
    """Runs of days with the same status: ``start``, ``end`` (exclusive) and ``status``."""
    if daily.empty:
        return pd.DataFrame(columns=["start", "end", "status"])
    days = pd.to_datetime(daily["date"])
    change = daily["status"].ne(daily["status"].shift())
    run = change.cumsum()
    grouped = pd.DataFrame({"day": days, "status": daily["status"], "run": run}).groupby("run")
    return pd.DataFrame(
        {
            "start": grouped["day"].min(),
            "end": grouped["day"].max() + pd.Timedelta(days=1),
            "status": grouped["status"].first(),
        }
    ).reset_index(drop=True)


def zone_timeline_chart(
    daily: pd.DataFrame,
    agreements: pd.DataFrame,
    *,
    at: pd.Timestamp | None = None,
    width: int = 760,
) -> alt.VConcatChart:
    """Agreements as bars, incidents per day and a status band, on one time axis.

    Parameters
    ----------
    daily
        From :func:`geo.metrics.zone_daily`.
    agreements
        The zone's agreements (``title``, ``effective_from``, ``effective_to``, ``outcome``).
    at
        The chosen instant, marked by a vertical rule on every panel (None: no mark).
    width
        Width of the panels in pixels.

    Notes
    -----
    The axis shows month and year (``Jul 2017``); agreement titles are wrapped onto several
    lines and shown whole in the tooltip; the status band uses the map's status colours and
    the outcome colours keep away from them (:func:`outcome_colors`).
    """
    first = pd.to_datetime(daily["date"]).min() if len(daily) else pd.Timestamp("2016-01-01")
    last = pd.to_datetime(daily["date"]).max() + pd.Timedelta(days=1) if len(daily) else first
    axis = alt.Axis(format="%b %Y", labelOverlap=True, title=None, tickCount="month")
    x = alt.X("start:T", title=None, axis=axis, scale=alt.Scale(domain=[first, last]))

    bars = agreements.assign(
        start=_local(agreements["effective_from"]),
        end=_local(agreements["effective_to"]).fillna(last),
        label=agreements["title"].map(wrap_label),
    )[["title", "label", "start", "end", "outcome"]]
    bars["start"] = bars["start"].clip(lower=first)
    bars["end"] = bars["end"].clip(upper=last)
    outcomes = sorted(bars["outcome"].astype(str).unique())
    palette = outcome_colors(outcomes)
    lines = int(bars["label"].str.count("\n").sum()) + len(bars)
    agreement_chart = (
        alt.Chart(bars, title="Agreements")
        .mark_bar(height=10, cornerRadius=2)
        .encode(
            x=x,
            x2="end:T",
            y=alt.Y(
                "label:N",
                title=None,
                sort=alt.EncodingSortField("start"),
                axis=alt.Axis(labelLimit=0, labelExpr="split(datum.label, '\\n')"),
            ),
            color=alt.Color(
                "outcome:N",
                title="Outcome",
                scale=alt.Scale(domain=outcomes, range=[palette[o] for o in outcomes]),
            ),
            tooltip=[
                alt.Tooltip("title:N", title="agreement"),
                alt.Tooltip("start:T", title="from", format="%d %b %Y %H:%M"),
                alt.Tooltip("end:T", title="to", format="%d %b %Y %H:%M"),
                "outcome:N",
            ],
        )
        .properties(width=width, height=max(40, 14 * lines + 6 * len(bars)))
    )
    per_day = daily.assign(start=pd.to_datetime(daily["date"]))[["start", "incidents", "imprecise"]]
    incident_chart = (
        alt.Chart(per_day[per_day["incidents"] > 0], title="Incidents per day")
        .mark_bar(color=INCIDENT_COLOR)
        .encode(
            x=x,
            y=alt.Y("incidents:Q", title=None),
            tooltip=[
                alt.Tooltip("start:T", title="day", format="%d %b %Y"),
                "incidents:Q",
                "imprecise:Q",
            ],
        )
        .properties(width=width, height=90)
    )
    statuses = list(STATUS_COLORS)
    band = (
        alt.Chart(status_segments(daily), title="Status")
        .mark_rect()
        .encode(
            x=x,
            x2="end:T",
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(domain=statuses, range=[STATUS_COLORS[s] for s in statuses]),
            ),
            tooltip=[
                "status:N",
                alt.Tooltip("start:T", title="from", format="%d %b %Y"),
                alt.Tooltip("end:T", title="until", format="%d %b %Y"),
            ],
        )
        .properties(width=width, height=24)
    )
    panels = [agreement_chart, incident_chart, band]
    if at is not None:
        local = pd.Timestamp(at).tz_convert(schema.DAMASCUS).tz_localize(None)
        mark = pd.DataFrame({"start": [local], "label": [schema.format_local(at)]})
        rule = (
            alt.Chart(mark)
            .mark_rule(color=INSTANT_COLOR, strokeWidth=2, strokeDash=[4, 3])
            .encode(x=x, tooltip=[alt.Tooltip("label:N", title="chosen instant")])
        )
        panels = [alt.layer(p, rule) for p in panels]
        text = (
            alt.Chart(mark)
            .mark_text(align="left", dx=4, dy=-4, baseline="bottom", color=INSTANT_COLOR)
            .encode(x=x, y=alt.value(0), text="label:N")
        )
        panels[0] = alt.layer(panels[0], text)
    return alt.vconcat(*panels).resolve_scale(x="shared", color="independent")
