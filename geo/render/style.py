"""The palette and labels every rendering shares (the app's map, snapshots, charts)."""

from __future__ import annotations

#: Zone fills by status. Chosen to stay apart for readers with deuteranopia or protanopia and
#: in grey print: blue for holding, dark red for violated, light orange for possibly violated,
#: dark purple for lapsed, grey for none. Their lightness (CIE L*) runs 24 (lapsed), 37
#: (violated), 49 (holding), 69 (none), 81 (possibly violated), so even a grey print tells
#: them apart; tests/test_render_static.py checks every pair under simulated colour-vision
#: deficiencies (see :data:`PALETTE_MIN_DELTA_E`).
STATUS_COLORS = {
    "none": "#a8a8a8",
    "holding": "#1f77c8",
    "possibly-violated": "#f5c26b",
    "violated": "#a8222a",
    "lapsed": "#4a2377",
}
STATUS_LABELS = {
    "none": "No agreement in force",
    "holding": "Holding: agreement in force, no incident in the window",
    "possibly-violated": "Possibly violated: only incidents of uncertain date in the window",
    "violated": "Violated: incidents in the window",
    "lapsed": "Lapsed: agreement ended, nothing replaced it",
}
#: Statuses drawn with a second cue besides their colour: diagonal stripes over the fill
#: (an SVG pattern on the map, a matplotlib hatch in snapshots), so that "violated" never
#: rests on colour alone.
HATCHED_STATUSES = frozenset({"violated"})
#: The stripes' colour and, for matplotlib, the hatch pattern.
HATCH_COLOR = "#ffffff"
HATCH = "////"
#: The smallest CIE76 colour difference (Delta E*ab) between any two status colours, for
#: normal vision and under simulated deuteranopia and protanopia (Machado et al. 2009,
#: severity 1), and the smallest difference of lightness (L*) for a grey print. A Delta E of
#: about 2.3 is just noticeable; 20 is told apart at a glance on a map.
PALETTE_MIN_DELTA_E = 20.0
PALETTE_MIN_DELTA_L = 10.0
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


def ink_on(color: str) -> str:
    """Text colour that reads on a ``#rrggbb`` background: near-black or white.

    By the background's relative luminance (WCAG): white text on the dark statuses, dark text
    on the light ones (possibly violated, none).
    """
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # the luminance at which black and white text have the same contrast ratio
    return "#111827" if luminance > 0.179 else "#ffffff"
