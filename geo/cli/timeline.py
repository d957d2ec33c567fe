"""`dezmap status` and `dezmap metrics`: the time model from the command line."""

from __future__ import annotations

import argparse

from geo.cli.base import EXIT_OK, data_options, load_timeline, to_json, window_option
from geo.errors import UsageError


def cmd_status(args: argparse.Namespace) -> int:
    """Print every zone's status at an instant."""
    from geo.export.records import local_iso
    from geo.schema import format_local
    from geo.timemodel import as_instant, status_at

    at = as_instant(args.date)
    timeline, mask = load_timeline(args)
    table = status_at(timeline, at, window_days=args.window_days, incident_mask=mask)
    if args.json:
        records = [
            {
                "zone_id": row.zone_id,
                "name": row.name,
                "status": row.status,
                "agreements": list(row.agreements),
                "violations": row.violations,
                "name_ar": row.name_ar,
                "version_id": row.version_id,
                "uncertain": row.uncertain,
                "window_start": local_iso(row.window_start, "minute"),
                "last_ended": row.last_ended or None,
                "at": local_iso(at, "minute"),
                "window_days": args.window_days,
            }
            for row in table.itertuples()
        ]
        print(to_json(records))
        return EXIT_OK
    print(
        f"Status at {format_local(at)} (window {args.window_days:g} days, "
        f"{timeline.n_incidents} incidents)"
    )
    if table.empty:
        print("no zone exists at that instant")
    width = max([len(z) for z in table["zone_id"]] + [4])
    for row in table.itertuples():
        count = f"{row.violations}" + (f" ({row.uncertain} uncertain)" if row.uncertain else "")
        last = f"last: {row.last_ended}" if row.last_ended else "-"
        agreements = ", ".join(row.agreements) or last
        print(f"  {row.zone_id:<{width}}  {row.status:<17}  violations {count:<16}  {agreements}")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    """Print compliance metrics per agreement, or a zone's daily series."""
    from geo.metrics import agreement_metrics, zone_daily

    timeline, mask = load_timeline(args)
    if args.zone:
        try:
            series = zone_daily(
                timeline, args.zone, window_days=args.window_days, incident_mask=mask
            )
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        if args.json:
            print(to_json(series.assign(date=series["date"].astype(str)).to_dict("records")))
        else:
            print(series.to_csv(index=False), end="")
        return EXIT_OK
    table = agreement_metrics(timeline, args.agreement, incident_mask=mask)
    # missing values are NaN in a frame; JSON and the text need None
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    if args.json:
        print(to_json(records))
        return EXIT_OK
    for r in records:
        print(_describe_metrics(r))
    return EXIT_OK


def _describe_metrics(r: dict) -> str:
    ends = r["effective_to"] or "open-ended"
    lines = [
        f"{r['agreement_id']}: {r['title']}",
        f"  in force {r['effective_from']} to {ends} (Damascus time); outcome {r['outcome']}",
    ]
    if r["first_violation"]:
        low, high = r["hours_to_first_violation"], r["hours_to_first_violation_max"]
        lines.append(
            f"  first violation {r['first_violation']} ({r['first_violation_dataset']}): "
            f"{low:g} to {high:g} hours after entry into force"
        )
    else:
        lines.append("  no violation recorded while in force")
    if r["first_possible_violation"]:
        lines.append(
            f"  possibly earlier: {r['first_possible_violation']} (its date is too "
            "imprecise to tell whether it came before or after)"
        )
    lines.append(
        f"  violations {r['violations']} ({r['certain_violations']} certain); per 30 "
        f"days {r['per_30_days_before']:g} before, {r['per_30_days_after']:g} after "
        f"({r['comparison_days']:g} days compared); longest quiet period "
        f"{r['longest_quiet_days']:g} days (from {r['quiet_period_from']} to "
        f"{r['quiet_period_to']})"
    )
    if r["linked_violations"]:
        lines.append(
            f"  of which {r['linked_violations']} linked (naming the agreement, outside its "
            f"zones): {', '.join(r['linked'])}"
        )
    if r["by_kind"]:
        kinds = ", ".join(f"{k} {v}" for k, v in r["by_kind"].items())
        who = ", ".join(f"{k} {v}" for k, v in r["by_perpetrator"].items())
        families = ", ".join(f"{k} {v}" for k, v in r["by_actor_family"].items())
        lines.append(f"  by kind: {kinds}")
        lines.append(f"  by actor family: {families}")
        lines.append(f"  by alleged perpetrator (as reported): {who}")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
    p = sub.add_parser(
        "status",
        help="every zone's status at an instant",
        description="For an instant, list the zones that exist, their status (none, holding, "
        "possibly-violated, violated, lapsed), the agreements in force and the violations in "
        "the window before it; possibly-violated means every incident in the window is dated "
        "too loosely to be sure it falls in it. A time without a UTC offset is Damascus time.",
    )
    p.add_argument(
        "--date",
        required=True,
        metavar="YYYY-MM-DD[THH:MM[+HH:MM]]",
        help="the instant (a date means its start, 00:00 Damascus time)",
    )
    window_option(p)
    data_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "metrics",
        help="compliance metrics per agreement",
        description="Hours to the first violation, violations per 30 days before and after, "
        "longest quiet period, counts by kind and alleged perpetrator; with --zone, the "
        "zone's daily series of incidents and status.",
    )
    p.add_argument("--agreement", metavar="ID", help="only this agreement")
    p.add_argument("--zone", metavar="ID", help="print this zone's daily series instead")
    window_option(p)
    data_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_metrics)
