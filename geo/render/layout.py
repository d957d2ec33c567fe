"""Small geometry helpers for laying out a static snapshot (no matplotlib objects here).

Boxes are ``(x0, y0, x1, y1)`` tuples in one coordinate system (pixels of the page, y up);
text is measured by a ``measure(text) -> width`` callable supplied by the renderer, so the
same wrapping serves every font size and language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

Box = tuple[float, float, float, float]
Bounds = tuple[float, float, float, float]
Measure = Callable[[str], float]


def nice_length(target: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that is at most ``target`` (``target`` > 0).

    ``nice_length(137) == 100``, ``nice_length(43.0) == 20``, ``nice_length(0.8) == 0.5``.
    """
    if not target > 0 or not math.isfinite(target):
        raise ValueError(f"target must be a positive number, not {target!r}")
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target * (1 + 1e-9):
            return step * power
    return power  # pragma: no cover - the loop always returns


def fit_aspect(bounds: Bounds, aspect: float, margin: float = 0.0) -> Bounds:
    """Grow ``bounds`` around its centre so that width / height equals ``aspect``.

    ``margin`` is added on every side first, as a share of the larger side. Nothing of the
    original box is ever cut off; a degenerate box (a point) becomes a small square.
    """
    x0, y0, x1, y1 = bounds
    width, height = x1 - x0, y1 - y0
    side = max(width, height)
    if side <= 0:
        side = 1.0
        width = height = 0.0
    pad = side * margin
    width, height = width + 2 * pad, height + 2 * pad
    width, height = max(width, 1e-9), max(height, 1e-9)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def overlaps(a: Box, b: Box, pad: float = 0.0) -> bool:
    """True when two boxes, each grown by ``pad``, share any area."""
    return not (
        a[2] + pad <= b[0] - pad
        or b[2] + pad <= a[0] - pad
        or a[3] + pad <= b[1] - pad
        or b[3] + pad <= a[1] - pad
    )


def inside(inner: Box, outer: Box, pad: float = 0.0) -> bool:
    """True when ``inner`` lies within ``outer`` shrunk by ``pad`` on every side."""
    return (
        inner[0] >= outer[0] + pad
        and inner[1] >= outer[1] + pad
        and inner[2] <= outer[2] - pad
        and inner[3] <= outer[3] - pad
    )


def nearest_on_box(point: tuple[float, float], box: Box) -> tuple[float, float]:
    """The point of ``box`` (its edge or inside) nearest to ``point``."""
    x, y = point
    return (min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]))


def wrap(text: str, width: float, measure: Measure, max_lines: int | None = None) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (as ``measure`` says).

    Each word is measured once and a line's width is the sum of its words and spaces, so a
    paragraph costs one measurement per distinct word. Words are kept whole where they fit; a
    word wider than a line (a long address) is cut where it must be. With ``max_lines``, the
    last kept line ends with an ellipsis when text was left out.
    """
    space = measure(" ") if text else 0.0
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in text.split():
        size = measure(word)
        extra = size + (space if current else 0.0)
        if used + extra <= width:
            current.append(word)
            used += extra
            continue
        if current:
            lines.append(" ".join(current))
        current, used = [], 0.0
        while size > width and len(word) > 1:
            cut = _longest_prefix(word, width, measure)
            lines.append(word[:cut])
            word = word[cut:]
            size = measure(word)
        current, used = [word], size
    if current:
        lines.append(" ".join(current))
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and measure(last + " …") > width:
            last = last[:-1]
        kept[-1] = last.rstrip() + " …"
        return kept
    return lines


def _longest_prefix(word: str, width: float, measure: Measure) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(word[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fill_lines(
    items: Sequence[str],
    widths: Callable[[int], float],
    *,
    first_width: float,
    width: float,
    max_lines: int,
    separator_width: float,
    suffix_width: Callable[[int], float],
) -> tuple[list[list[int]], int]:
    """Pack items (by index) into at most ``max_lines`` lines, in order.

    ``widths(i)`` measures item ``i`` (called only for items considered, so a long list costs
    only what fits); the first line has ``first_width`` (a heading takes the rest). When not
    every item fits, items are taken back from the end until ``suffix_width(left)`` (the
    "and N more" note) fits on the last line.

    Returns
    -------
    (lines, left)
        The item indexes of each line and how many items were left out.
    """
    lines: list[list[int]] = [[]]
    used = [0.0]
    sizes: list[float] = []
    for i in range(len(items)):
        size = widths(i)
        room = first_width if len(lines) == 1 else width
        extra = size + (separator_width if lines[-1] else 0.0)
        if used[-1] + extra <= room:
            lines[-1].append(i)
            used[-1] += extra
            sizes.append(size)
            continue
        if len(lines) == max_lines or size > width:
            break
        lines.append([i])
        used.append(size)
        sizes.append(size)
    left = len(items) - sum(len(line) for line in lines)
    while left:
        room = first_width if len(lines) == 1 else width
        need = suffix_width(left) + (separator_width if lines[-1] else 0.0)
        if used[-1] + need <= room:
            break
        if not lines[-1]:
            if len(lines) == 1:
                break
            lines.pop()
            used.pop()
            continue
        lines[-1].pop()
        dropped = sizes.pop()
        used[-1] -= dropped + (separator_width if lines[-1] else 0.0)
        left += 1
    return [line for line in lines if line] or [[]], left


def union(boxes: Iterable[Box]) -> Box | None:
    """The smallest box holding every box, or None for none."""
    boxes = list(boxes)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
