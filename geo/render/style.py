"""The palette and labels every rendering shares (the app's map, snapshots, charts)."""

from __future__ import annotations

STATUS_COLORS = {
    "none": "#8a8f98",
    "holding": "#1a7f37",
    "violated": "#c62828",
    "lapsed": "#d97706",
}
STATUS_LABELS = {
    "none": "No agreement in force",
    "holding": "Holding: agreement in force, no incident in the window",
    "violated": "Violated: incidents in the window",
    "lapsed": "Lapsed: agreement ended, nothing replaced it",
}
KIND_COLORS = {
    "shelling": "#b91c1c",
    "airstrike": "#7c3aed",
    "ground-assault": "#c2410c",
    "clashes": "#a16207",
    "siege": "#0f766e",
    "obstruction": "#1d4ed8",
    "sniping": "#be185d",
    "detention": "#4d7c0f",
    "bombing": "#9f1239",
    "state-based-violence": "#92400e",
    "non-state-violence": "#4338ca",
    "one-sided-violence": "#be123c",
}
OTHER_KIND_COLOR = "#52525b"


def kind_color(kind: str) -> str:
    """The marker colour of an incident kind."""
    return KIND_COLORS.get(kind, OTHER_KIND_COLOR)
