"""Charts (Altair): a zone's timeline of agreements, incidents per day and status."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo import schema
from geo.render import STATUS_COLORS


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
    daily: pd.DataFrame, agreements: pd.DataFrame, *, width: int = 760
) -> alt.VConcatChart:
    """Agreements as bars, incidents per day and a status band, on one time axis.

    Parameters
    ----------
    daily
        From :func:`geo.metrics.zone_daily`.
    agreements
        The zone's agreements (``title``, ``effective_from``, ``effective_to``, ``outcome``).
    """
    first = pd.to_datetime(daily["date"]).min() if len(daily) else pd.Timestamp("2016-01-01")
    last = pd.to_datetime(daily["date"]).max() + pd.Timedelta(days=1) if len(daily) else first
    x = alt.X("start:T", title=None)

    bars = agreements.assign(
        start=agreements["effective_from"].dt.tz_convert(schema.DAMASCUS).dt.tz_localize(None),
        end=agreements["effective_to"]
        .dt.tz_convert(schema.DAMASCUS)
        .dt.tz_localize(None)
        .fillna(last),
    )[["title", "start", "end", "outcome"]]
    bars["start"] = bars["start"].clip(lower=first)
    agreement_chart = (
        alt.Chart(bars, title="Agreements")
        .mark_bar(height=10, cornerRadius=2)
        .encode(
            x=x,
            x2="end:T",
            y=alt.Y("title:N", title=None, sort=alt.EncodingSortField("start")),
            color=alt.Color("outcome:N", title="Outcome"),
            tooltip=[
                "title:N",
                alt.Tooltip("start:T", title="from"),
                alt.Tooltip("end:T", title="to"),
                "outcome:N",
            ],
        )
        .properties(width=width, height=max(40, 16 * len(bars)))
    )
    per_day = daily.assign(start=pd.to_datetime(daily["date"]))[["start", "incidents", "imprecise"]]
    incident_chart = (
        alt.Chart(per_day[per_day["incidents"] > 0], title="Incidents per day")
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("incidents:Q", title=None),
            tooltip=[alt.Tooltip("start:T", title="day"), "incidents:Q", "imprecise:Q"],
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
                alt.Tooltip("start:T", title="from"),
                alt.Tooltip("end:T", title="until"),
            ],
        )
        .properties(width=width, height=24)
    )
    return alt.vconcat(agreement_chart, incident_chart, band).resolve_scale(
        x="shared", color="independent"
    )
