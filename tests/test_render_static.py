"""Static snapshots (geo.render.static): real renders of the bundled data, read back from the files.

PNGs are opened and their pixels counted, PDFs read with pypdf, SVGs parsed as XML. Two fixed
views are compared with golden images in tests/data/golden/ (regenerate them with
``DEZMAP_UPDATE_GOLDEN=1``, see tests/data/README.md).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pypdf
import pytest
from matplotlib.colors import to_rgb
from matplotlib.testing.compare import compare_images
from PIL import Image
from pyproj import Geod, Transformer

from geo.datasets import load_timeline
from geo.errors import UsageError
from geo.render import style
from geo.render.layout import fill_lines, fit_aspect, nice_length, wrap
from geo.render.static import (
    SIZES,
    PageSize,
    page_size,
    render_static,
    save_figure,
    snapshot_info,
)
from geo.view import NATIONWIDE, View, select
from tests.conftest import DATA

GENERATED = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)
GOLDEN = Path(__file__).parent / "data" / "golden"
GOLDEN_TOLERANCE = 2.0  # RMS over 0..255; a changed status colour scores far above this
UPDATE_GOLDEN = os.environ.get("DEZMAP_UPDATE_GOLDEN") == "1"
SVG = "{http://www.w3.org/2000/svg}"

#: Every local zone of the Astana period at once, with incidents in the south.
ALL_ZONES = "at=2017-07-16T12:00&window=7"
#: Eastern Ghouta in the February 2018 offensive: focused, violated.
FOCUS = "at=2018-02-25T12:00&zone=eastern-ghouta"
LINK = "https://dezmap.example/?"


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def scene_of(timeline, query):
    return select(timeline, View.parse(query, timeline))


def render(scene, lang="en", size="a4", dpi=100, **kwargs):
    kwargs.setdefault("permalink", scene.view.permalink(LINK))
    kwargs.setdefault("data_version", "data-3f9a1c2")
    kwargs.setdefault("generated", GENERATED)
    return render_static(scene, page=page_size(size, dpi=dpi), lang=lang, **kwargs)


def saved(fig, fmt) -> bytes:
    out = io.BytesIO()
    save_figure(fig, out, fmt)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def flat(texts) -> str:
    return " ".join(" ".join(texts).split())


def letters(text: str) -> Counter:
    """The letters of a text, presentation forms (shaped Arabic) folded to plain letters."""
    return Counter(c for c in unicodedata.normalize("NFKC", text) if c.isalpha())


def names(scene, column="name"):
    return {row["zone_id"]: row[column] for _, row in scene.zones.iterrows()}


@pytest.fixture(scope="module")
def english(timeline):
    scene = scene_of(timeline, ALL_ZONES)
    fig = render(scene)
    return scene, fig, {fmt: saved(fig, fmt) for fmt in ("png", "pdf", "svg")}


@pytest.fixture(scope="module")
def arabic(timeline):
    scene = scene_of(timeline, ALL_ZONES)
    fig = render(scene, lang="ar")
    return scene, fig, {fmt: saved(fig, fmt) for fmt in ("png", "pdf", "svg")}


# --- page sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "portrait", "dpi", "pixels"),
    [
        ("a4", False, 200, (2339, 1654)),
        ("a4", True, 200, (1654, 2339)),
        ("A4", False, 100, (1169, 827)),
        ("letter", False, 200, (2200, 1700)),
        ("letter", True, 100, (850, 1100)),
        ("slide", False, 200, (1920, 1080)),
        ("slide", False, 96, (1920, 1080)),
        ("slide", True, 200, (1080, 1920)),
        ("1600x900px", False, 150, (1600, 900)),
        ("1600x900px", True, 150, (900, 1600)),
        ("700x1000px", False, 100, (700, 1000)),
    ],
)
def test_page_size_dimensions(size, portrait, dpi, pixels):
    page = page_size(size, portrait=portrait, dpi=dpi)
    assert isinstance(page, PageSize)
    assert (page.width_px, page.height_px) == pixels
    assert page.dpi == dpi
    assert page.portrait == (pixels[1] > pixels[0])


def test_page_size_physical_sizes():
    a4 = page_size("a4")
    assert a4.width_in == pytest.approx(297 / 25.4) and a4.height_in == pytest.approx(210 / 25.4)
    letter = page_size("letter", portrait=True)
    assert (letter.width_in, letter.height_in) == (8.5, 11.0)
    # a pixel size keeps its pixels: a lower resolution makes a larger page, not a smaller PNG
    assert page_size("slide", dpi=100).width_in == pytest.approx(19.2)
    assert set(SIZES) == {"a4", "letter", "slide"}


@pytest.mark.parametrize(
    "size", ["a3", "", "1600x900", "1600 by 900px", "axbpx", "100x100px", "9000x900px", "0x0px"]
)
def test_page_size_rejects_unknown_sizes(size):
    with pytest.raises(UsageError, match=r"--size: .*(a4, letter, slide or WxHpx|out of range)"):
        page_size(size)


@pytest.mark.parametrize(
    ("size", "dpi", "message"),
    [
        ("200x200px", 200, "1.0 x 1.0 inches .* too small .* lower --dpi"),
        ("slide", 600, "3.2 x 1.8 inches .* too small"),
        ("1700x400px", 100, "more than 4 times longer than wide"),
        ("400x1700px", 100, "more than 4 times longer than wide"),
    ],
)
def test_page_size_rejects_pages_a_snapshot_cannot_be_laid_out_on(size, dpi, message):
    with pytest.raises(UsageError, match=f"--size: {size}.*{message}"):
        page_size(size, dpi=dpi)


@pytest.mark.parametrize("size", ["400x300px", "300x400px", "1600x400px", "400x1600px"])
def test_smallest_and_longest_pages_still_render(timeline, size):
    fig = render(scene_of(timeline, ALL_ZONES), size=size, dpi=100)
    image = Image.open(io.BytesIO(saved(fig, "png")))
    assert image.size == tuple(int(v) for v in size[:-2].split("x"))
    assert snapshot_info(fig).zone_labels


@pytest.mark.parametrize("dpi", [0, 10, 5000, 72.5, True, "200"])
def test_page_size_rejects_bad_resolutions(dpi):
    with pytest.raises(UsageError, match="--dpi"):
        page_size("a4", dpi=dpi)


# --- PNG ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "portrait", "dpi"),
    [("a4", False, 100), ("a4", True, 80), ("slide", False, 200), ("1000x700px", False, 100)],
)
def test_png_has_exactly_the_requested_pixels(timeline, size, portrait, dpi):
    page = page_size(size, portrait=portrait, dpi=dpi)
    fig = render_static(scene_of(timeline, ALL_ZONES), page=page, generated=GENERATED)
    image = Image.open(io.BytesIO(saved(fig, "png")))
    assert image.size == (page.width_px, page.height_px)


def map_crop(fig, png: bytes) -> np.ndarray:
    """The pixels inside the main map's frame."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    box = ax.get_window_extent()
    height = pixels.shape[0]
    return pixels[
        int(height - box.y1) + 3 : int(height - box.y0) - 3, int(box.x0) + 3 : int(box.x1) - 3
    ]


def near(pixels: np.ndarray, color, tolerance=10) -> int:
    target = np.array([round(c * 255) for c in color])
    return int((np.abs(pixels - target).max(axis=2) <= tolerance).sum())


def blend(color, alpha, under):
    return tuple(alpha * c + (1 - alpha) * u for c, u in zip(to_rgb(color), under, strict=True))


def test_png_is_not_blank_and_shows_the_status_colours_of_the_zones(english):
    scene, fig, files = english
    pixels = np.asarray(Image.open(io.BytesIO(files["png"])).convert("RGB")).astype(int)
    assert pixels.std() > 20
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 500
    crop = map_crop(fig, files["png"])
    zones = scene.zones.set_index("zone_id")
    local = [z for z in zones.index if z != NATIONWIDE]
    present = set(zones.loc[local, "status"])
    assert present == {"holding", "violated"}  # the view was chosen for this
    # local zones are filled with their colour at 42% over the national extent's light tint,
    # itself over Syria's near-white fill
    national = style.STATUS_COLORS[zones.loc[NATIONWIDE, "status"]]
    ground = blend(national, 0.07, to_rgb("#fdfdfb"))
    # a flat fill gives thousands of pixels of exactly that colour; anti-aliased edges elsewhere
    # only a scattering of near misses
    for status in style.STATUS_COLORS:
        count = near(crop, blend(style.STATUS_COLORS[status], 0.42, ground), tolerance=2)
        if status in present:
            assert count > 1000, f"{status} fill missing from the map"
        else:
            assert count < 150, f"{status} fill drawn although no zone has it"


def test_png_and_vector_files_are_repeatable_for_a_fixed_generation_time(timeline, english):
    scene, _, files = english
    again = render(scene)
    for fmt in ("png", "pdf", "svg"):
        assert saved(again, fmt) == files[fmt], fmt


def test_pdf_and_svg_metadata_carry_the_generation_time(english):
    _, _, files = english
    reader = pypdf.PdfReader(io.BytesIO(files["pdf"]))
    assert reader.metadata.creation_date.replace(tzinfo=dt.UTC) == GENERATED
    assert reader.metadata.title == "Ceasefire zones in Syria"
    assert b"2025-01-02T03:04:00+00:00" in files["svg"]


# --- text in PDF and SVG ------------------------------------------------------------------------


def test_pdf_text_holds_title_instant_zone_names_and_the_approximate_warning(english):
    scene, fig, files = english
    text = pdf_text(files["pdf"])
    info = snapshot_info(fig)
    assert info.title in text
    assert "16 July 2017, 12:00 Damascus time (16 July 2017, 09:00 UTC)" in text
    assert not info.dropped_labels
    assert set(info.zone_labels) == set(scene.zones["zone_id"])
    for name in names(scene).values():
        assert name in text
    assert "Zone boundaries are approximate" in text
    assert "Data version data-3f9a1c2" in text
    assert "Generated 2025-01-02 03:04 UTC" in text
    assert scene.view.permalink(LINK) in text


def test_pdf_keeps_text_as_text_with_embedded_truetype_fonts(english):
    _, _, files = english
    reader = pypdf.PdfReader(io.BytesIO(files["pdf"]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    subtypes = {fonts[name].get_object()["/Subtype"] for name in fonts}
    assert subtypes <= {"/TrueType", "/Type0"} and subtypes


def test_svg_holds_its_text_as_text_elements(english):
    scene, fig, files = english
    text = flat(svg_texts(files["svg"]))
    assert "Ceasefire zones in Syria" in text
    assert "16 July 2017, 12:00 Damascus time" in text
    for name in names(scene).values():
        assert name in text
    assert "Zone boundaries are approximate" in text
    assert b"svg.fonttype" not in files["svg"] and b"<text" in files["svg"]


def test_footer_cites_every_record_shown_and_the_agreements_in_force(english):
    scene, fig, files = english
    text = pdf_text(files["pdf"])
    info = snapshot_info(fig)
    assert len(scene.records) == 4
    cited = {"Syrian National Coalition, 2017-07-10", "TRT World, 2017-07-10"}
    assert all(c in text for c in cited)
    assert info.citations_shown == info.citations_total == len(cited)
    assert "more: see the permalink" not in text
    assert info.agreements_shown == len(scene.agreements)
    for title in scene.agreements["title"]:
        assert title in text
    assert "PA-X 2093" in text and "in force since 6 May 2017" in text


def test_legend_names_the_statuses_and_the_kinds_present(english):
    _, _, files = english
    text = pdf_text(files["pdf"])
    for label in (
        "No agreement in force",
        "Holding:",
        "Possibly violated:",
        "Violated:",
        "Lapsed:",
    ):
        assert label in text
    assert "shelling (3)" in text and "ground assault (1)" in text
    assert "airstrike" not in text


# --- the palette ----------------------------------------------------------------------------

#: Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of
#: color vision deficiency", IEEE TVCG 15(6): the severity-1.0 matrices, applied to linear RGB.
CVD_MATRICES = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}


def linear_rgb(color: str) -> np.ndarray:
    srgb = np.array(to_rgb(color))
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def cie_lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65 white) of a linear sRGB colour."""
    xyz = (
        np.array(
            [
                [0.4124564, 0.3575761, 0.1804375],
                [0.2126729, 0.7151522, 0.0721750],
                [0.0193339, 0.1191920, 0.9503041],
            ]
        )
        @ np.clip(linear, 0, 1)
    ) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_as(color: str, vision: str) -> np.ndarray:
    linear = linear_rgb(color)
    if vision in CVD_MATRICES:
        linear = CVD_MATRICES[vision] @ linear
    return cie_lab(linear)


def test_cvd_simulation_merges_red_and_green_as_it_should():
    # the old palette's red and green: far apart for normal vision, close for a deuteranope
    normal = np.linalg.norm(seen_as("#c62828", "normal") - seen_as("#1a7f37", "normal"))
    deutan = np.linalg.norm(seen_as("#c62828", "deuteranopia") - seen_as("#1a7f37", "deuteranopia"))
    assert normal > 60 and deutan < style.PALETTE_MIN_DELTA_E
    # white stays white
    assert seen_as("#ffffff", "protanopia") == pytest.approx([100, 0, 0], abs=0.5)


@pytest.mark.parametrize("vision", ["normal", "deuteranopia", "protanopia"])
def test_status_colours_are_pairwise_distinguishable(vision):
    """Every pair of status colours differs by at least PALETTE_MIN_DELTA_E (CIE76)."""
    colors = style.STATUS_COLORS
    for a, b in combinations(colors, 2):
        delta = np.linalg.norm(seen_as(colors[a], vision) - seen_as(colors[b], vision))
        assert delta >= style.PALETTE_MIN_DELTA_E, (vision, a, b, round(delta, 1))


def test_status_colours_stay_apart_in_a_grey_print():
    lightness = {s: seen_as(c, "normal")[0] for s, c in style.STATUS_COLORS.items()}
    for a, b in combinations(lightness, 2):
        assert abs(lightness[a] - lightness[b]) >= style.PALETTE_MIN_DELTA_L, (a, b)


def test_violated_zones_and_their_legend_swatch_are_hatched(timeline):
    scene = scene_of(timeline, FOCUS)
    fig = render(scene)
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    statuses = dict(zip(scene.status["zone_id"], scene.status["status"], strict=True))
    assert statuses["eastern-ghouta"] == "violated"
    for zone_id, status in statuses.items():
        fill = next(p for p in ax.patches if p.get_gid() == f"zone-{zone_id}")
        assert (fill.get_hatch() == style.HATCH) == (status in style.HATCHED_STATUSES), zone_id
    swatches = {a.get_gid(): a for a in fig.artists if (a.get_gid() or "").startswith("legend-")}
    assert swatches["legend-swatch-violated"].get_hatch() == style.HATCH
    assert swatches["legend-swatch-holding"].get_hatch() is None
    possibly = swatches["legend-swatch-possibly-violated"]
    assert possibly.get_facecolor()[:3] == pytest.approx(
        to_rgb(style.STATUS_COLORS["possibly-violated"])
    )


def test_possibly_violated_zone_is_filled_with_its_own_colour(timeline):
    scene = scene_of(timeline, "at=2021-08-14T12:00&zone=daraa-al-balad")
    fig = render(scene)
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    fill = next(p for p in ax.patches if p.get_gid() == "zone-daraa-al-balad")
    assert fill.get_facecolor()[:3] == pytest.approx(
        to_rgb(style.STATUS_COLORS["possibly-violated"])
    )
    assert fill.get_hatch() is None
    assert "Possibly violated:" in pdf_text(saved(fig, "pdf"))


def test_arabic_snapshot_holds_the_arabic_names_and_wording(arabic):
    scene, fig, files = arabic
    info = snapshot_info(fig)
    assert not info.dropped_labels
    svg = flat(svg_texts(files["svg"]))
    for name in names(scene, "name_ar").values():
        assert name in svg
    for wording in ("مناطق وقف إطلاق النار في سوريا", "حدود المناطق تقريبية", "بتوقيت دمشق"):
        assert wording in svg
    assert "16 تموز 2017" in svg
    assert scene.view.permalink(LINK) in svg  # addresses are kept as they are
    assert "Zone boundaries" not in svg
    # matplotlib writes shaped Arabic to PDF as glyph runs in visual order, so pypdf gives the
    # letters back out of order; the PDF holds the same letters as the SVG's logical text
    # (pypdf repeats a few glyphs that carry a vowel mark)
    in_pdf = letters(pdf_text(files["pdf"]))
    in_svg = letters(svg)
    assert not in_svg - in_pdf
    assert sum((in_pdf - in_svg).values()) <= 0.01 * sum(in_svg.values())
    for name in names(scene, "name_ar").values():
        assert not letters(name) - in_pdf, name


def test_arabic_layout_is_mirrored(english, arabic):
    def sidebar_left(fig):
        locator = next(a for a in fig.axes if a.get_gid() == "locator")
        main = next(a for a in fig.axes if a.get_gid() == "map")
        return locator.get_position().x0 < main.get_position().x0

    assert not sidebar_left(english[1])
    assert sidebar_left(arabic[1])
    title = next(t for t in arabic[1].texts if t.get_gid() == "snapshot-title")
    assert title.get_horizontalalignment() == "right"


def test_data_text_is_drawn_literally(timeline, tmp_path):
    """Zone names and titles are data: no mathtext, no markup, control characters removed."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("imported"))
    path = folder / "zones.geojson"
    zones = json.loads(path.read_text(encoding="utf-8"))
    for feature in zones["features"]:
        if feature["properties"]["zone_id"] == "eastern-ghouta":
            feature["properties"]["name"] = "Ghouta $\\sqrt{x}$ <b>&amp;"
    path.write_text(json.dumps(zones, ensure_ascii=False, indent=1), encoding="utf-8")
    scene = scene_of(load_timeline(folder), ALL_ZONES)
    fig = render(scene, title="Brief $x^2$ \x07\nline")
    text = pdf_text(saved(fig, "pdf"))
    assert "Ghouta $\\sqrt{x}$ <b>&amp;" in text
    assert "Brief $x^2$ line" in text
    svg = saved(fig, "svg").decode("utf-8")
    assert "<b>" not in svg and "&lt;b&gt;&amp;amp;" in svg


# --- golden images ------------------------------------------------------------------------------

GOLDEN_VIEWS = {"golden_en.png": (ALL_ZONES, "en"), "golden_ar.png": (FOCUS, "ar")}


#: A frozen copy of the bundled data: the goldens follow the renderer, not later data edits.
GOLDEN_DATA = GOLDEN / "data"


@pytest.fixture(scope="module")
def golden_timeline():
    return load_timeline(GOLDEN_DATA)


def golden_png(timeline, query, lang) -> bytes:
    return saved(render(scene_of(timeline, query), lang=lang, size="a4", dpi=100), "png")


@pytest.mark.parametrize("name", sorted(GOLDEN_VIEWS))
def test_snapshot_matches_its_golden_image(golden_timeline, tmp_path, name):
    query, lang = GOLDEN_VIEWS[name]
    actual = tmp_path / name
    actual.write_bytes(golden_png(golden_timeline, query, lang))
    expected = GOLDEN / name
    if UPDATE_GOLDEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, expected)
    assert expected.exists(), f"{expected} missing: run with DEZMAP_UPDATE_GOLDEN=1"
    result = compare_images(str(expected), str(actual), tol=GOLDEN_TOLERANCE)
    assert result is None, result


def test_golden_comparison_fails_when_a_status_colour_changes(
    golden_timeline, tmp_path, monkeypatch
):
    monkeypatch.setitem(style.STATUS_COLORS, "holding", "#1a7f37")  # the old green
    actual = tmp_path / "golden_en.png"
    actual.write_bytes(golden_png(golden_timeline, *GOLDEN_VIEWS["golden_en.png"]))
    result = compare_images(str(GOLDEN / "golden_en.png"), str(actual), tol=GOLDEN_TOLERANCE)
    assert result is not None and "did not match" in result


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "size", "dpi"),
    [
        (ALL_ZONES, "en", "a4", 100),
        (ALL_ZONES, "ar", "a4", 100),
        (ALL_ZONES, "en", "700x500px", 100),  # crowded: labels must move or go
        ("at=2018-03-12T12:00", "en", "slide", 200),
        ("at=2021-08-20T12:00", "ar", "a4", 150),
        (FOCUS, "en", "letter", 100),
    ],
)
def test_zone_labels_do_not_overlap_and_stay_in_the_map(timeline, query, lang, size, dpi):
    scene = scene_of(timeline, query)
    fig = render(scene, lang=lang, size=size, dpi=dpi)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    info = snapshot_info(fig)
    frame = next(a for a in fig.axes if a.get_gid() == "map").get_window_extent(renderer)
    boxes = {z: t.get_window_extent(renderer) for z, t in info.zone_labels.items()}
    assert boxes, "no zone was labelled"
    for zone, box in boxes.items():
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, zone
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, zone
    for (a, box_a), (b, box_b) in combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"labels of {a} and {b} overlap"
    # every zone drawn is either labelled or reported as dropped
    assert set(info.zone_labels) | set(info.dropped_labels) <= set(info.zones_drawn)
    texts = {t.get_text().replace("\n", " ") for t in info.zone_labels.values()}
    column = "name_ar" if lang == "ar" else "name"
    assert texts <= set(scene.zones[column]) | {t + " …" for t in texts}


def test_crowded_page_moves_labels_beside_small_zones_with_leaders(timeline):
    fig = render(scene_of(timeline, ALL_ZONES), size="700x500px")
    info = snapshot_info(fig)
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    leaders = [line for line in ax.lines if line.get_gid() == "label-leader"]
    assert leaders  # Eastern Ghouta is a few pixels wide here: its label sits beside it
    assert len(info.zone_labels) + len(info.dropped_labels) >= 5


# --- map content --------------------------------------------------------------------------------


def test_map_is_in_a_metric_projection_with_true_distances(english):
    _, fig, _ = english
    info = snapshot_info(fig)
    assert "+proj=tmerc" in info.crs and "+units=m" in info.crs
    forward = Transformer.from_crs("EPSG:4326", info.crs, always_xy=True)
    damascus, aleppo = (36.2913, 33.5138), (37.1613, 36.2021)
    (x0, x1), (y0, y1) = forward.transform(*zip(damascus, aleppo, strict=True))
    on_map = float(np.hypot(x1 - x0, y1 - y0))
    _, _, true = Geod(ellps="WGS84").inv(*damascus, *aleppo)
    assert on_map == pytest.approx(true, rel=0.002)


def test_scale_bar_length_matches_its_label(english):
    _, fig, _ = english
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    label = next(t.get_text() for t in ax.texts if t.get_text().endswith(" km"))
    km = float(label.split()[0])
    assert km in {1, 2, 5, 10, 20, 50, 100, 200, 500}
    bar = [p for p in ax.patches if p.get_gid() == "scale-bar-segment"]
    assert len(bar) == 2
    assert sum(p.get_width() for p in bar) == pytest.approx(km * 1000, rel=1e-6)


def test_extent_covers_the_view_and_the_locator_marks_it(english, timeline):
    scene, fig, _ = english
    info = snapshot_info(fig)
    forward = Transformer.from_crs("EPSG:4326", info.crs, always_xy=True)
    x0, y0, x1, y1 = scene.extent()
    xs, ys = forward.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    ex0, ey0, ex1, ey1 = info.extent
    assert ex0 <= min(xs) and max(xs) <= ex1 and ey0 <= min(ys) and max(ys) <= ey1
    locator = next(a for a in fig.axes if a.get_gid() == "locator")
    mark = next(p for p in locator.patches if p.get_gid() == "locator-extent")
    assert mark.get_bbox().bounds == pytest.approx((ex0, ey0, ex1 - ex0, ey1 - ey0))


def test_a_far_away_extent_still_renders(timeline):
    fig = render(scene_of(timeline, ALL_ZONES), bbox=(2.0, 48.0, 3.0, 49.0))
    info = snapshot_info(fig)
    assert not info.zone_labels and info.countries == ["France"]


def test_bbox_argument_sets_the_extent(timeline):
    scene = scene_of(timeline, ALL_ZONES)
    fig = render(scene, bbox=(36.0, 33.2, 36.8, 33.8))
    info = snapshot_info(fig)
    assert (info.extent[2] - info.extent[0]) < 120_000  # a close-up around Damascus
    assert "eastern-ghouta" in info.zone_labels and "idlib" not in info.zone_labels


def test_countries_give_context_with_names_in_the_page_language(english, arabic):
    for (_, fig, files), turkey in ((english, "TURKEY"), (arabic, "تركيا")):
        info = snapshot_info(fig)
        assert {"Syria", "Turkey", "Iraq", "Jordan", "Lebanon"} <= set(info.countries)
        ax = next(a for a in fig.axes if a.get_gid() == "map")
        assert any(c.get_gid() == "countries" for c in ax.collections)
        assert any(p.get_gid() == "syria-border" for p in ax.patches)
        assert turkey in flat(svg_texts(files["svg"]))


def test_reference_layers_are_drawn_as_thin_outlines(timeline):
    import geopandas as gpd
    from shapely.geometry import box

    from geo.render.maps import ReferenceLayer

    layer = ReferenceLayer(
        "districts",
        gpd.GeoDataFrame(
            {"name": ["a", "b"]},
            geometry=[box(36, 33, 37, 34), box(37, 34, 38, 35)],
            crs="EPSG:4326",
        ),
    )
    fig = render(scene_of(timeline, ALL_ZONES), reference=[layer])
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    drawn = next(c for c in ax.collections if c.get_gid() == "reference-districts")
    assert len(drawn.get_paths()) == 2
    assert drawn.get_linewidths()[0] < 1


def test_focused_zone_gets_the_title_and_a_dark_outline(timeline):
    scene = scene_of(timeline, FOCUS)
    fig = render(scene)
    info = snapshot_info(fig)
    assert info.title == "Eastern Ghouta"
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    fill = next(p for p in ax.patches if p.get_gid() == "zone-eastern-ghouta")
    assert fill.get_facecolor()[:3] == pytest.approx(to_rgb(style.STATUS_COLORS["violated"]))
    outline = next(p for p in ax.patches if p.get_gid() == "zone-outline-eastern-ghouta")
    assert outline.get_linewidth() > 1.5 and outline.get_edgecolor()[:3] == pytest.approx(
        to_rgb("#111827")
    )
    assert outline.get_zorder() > max(c.get_zorder() for c in ax.collections)


def test_agreements_panel_says_how_many_are_left_out(timeline):
    scene = scene_of(timeline, FOCUS)
    fig = render(scene, size="1000x700px")
    info = snapshot_info(fig)
    text = pdf_text(saved(fig, "pdf"))
    assert 0 < info.agreements_shown < len(scene.agreements)
    assert f"and {len(scene.agreements) - info.agreements_shown} more: see the permalink" in text


# --- many incidents -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    from tests.browser import synthetic_folder

    folder = synthetic_folder(tmp_path_factory.mktemp("synthetic") / "data", 30_000)
    timeline = load_timeline(folder)
    scene = select(timeline, View.parse("at=2018-01-01T12:00&window=730", timeline))
    return scene, render(scene)


def test_many_incidents_are_drawn_and_the_footer_says_how_many_more(crowded):
    scene, fig = crowded
    info = snapshot_info(fig)
    assert len(scene.records) > 500
    assert info.incidents_drawn == len(scene.records)
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    scatters = [c for c in ax.collections if (c.get_gid() or "").startswith("incidents-")]
    assert sum(len(c.get_offsets()) for c in scatters) == len(scene.records)
    text = pdf_text(saved(fig, "pdf"))
    left = info.citations_total - info.citations_shown
    assert left > 0 and f"and {left} more: see the permalink" in text
    assert "synthetic " in text  # imported records are cited by data set and id


def test_many_incidents_are_rasterized_in_svg(crowded):
    scene, fig = crowded
    svg = saved(fig, "svg")
    assert len(scene.records) > 2000 and b"<image" in svg
    assert len(svg) < 3_000_000


def test_snapshots_made_in_threads_equal_those_made_alone(timeline, english):
    """The app renders from Streamlit's threads: rcParams are only touched under a lock."""
    from concurrent.futures import ThreadPoolExecutor

    scene, _, files = english
    arabic_alone = saved(render(scene, lang="ar"), "svg")
    jobs = [("en", "png"), ("ar", "svg"), ("en", "pdf"), ("ar", "svg")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: saved(render(scene, lang=job[0]), job[1]), jobs))
    assert results[0] == files["png"] and results[2] == files["pdf"]
    assert results[1] == results[3] == arabic_alone


# --- bad input ----------------------------------------------------------------------------------


def test_bad_arguments_are_usage_errors_naming_the_argument(english, timeline):
    scene, fig, _ = english
    with pytest.raises(UsageError, match="--lang: 'fr'"):
        render(scene, lang="fr")
    with pytest.raises(UsageError, match="--bbox"):
        render(scene, bbox=(36.0, 33.0, 35.0))
    with pytest.raises(UsageError, match="--bbox"):
        render(scene, bbox=(37.0, 33.0, 36.0, 34.0))
    with pytest.raises(UsageError, match="--bbox: .* too large for a snapshot map"):
        render(scene, bbox=(-179.0, -80.0, 179.0, 80.0))
    with pytest.raises(UsageError, match="page: .*page_size"):
        render_static(scene, page="a4")
    with pytest.raises(UsageError, match="--format: 'gif'.*png, pdf or svg"):
        save_figure(fig, io.BytesIO(), "gif")
    from matplotlib.figure import Figure

    with pytest.raises(UsageError, match="render_static"):
        save_figure(Figure(), io.BytesIO(), "png")


# --- layout helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "nice"), [(137, 100), (43.0, 20), (0.8, 0.5), (5, 5), (9.99, 5), (2000, 2000)]
)
def test_nice_length(target, nice):
    assert nice_length(target) == pytest.approx(nice)


def test_fit_aspect_grows_to_the_frame_and_keeps_the_box():
    out = fit_aspect((0, 0, 10, 2), 2.0, margin=0.1)
    assert (out[2] - out[0]) / (out[3] - out[1]) == pytest.approx(2.0)
    assert out[0] <= -1 and out[2] >= 11 and out[1] < 0 and out[3] > 2


def test_wrap_keeps_words_and_cuts_only_what_cannot_fit():
    def measure(text):
        return len(text)

    assert wrap("aa bb cc dd", 5, measure) == ["aa bb", "cc dd"]
    assert wrap("abcdefghij", 4, measure) == ["abcd", "efgh", "ij"]
    assert wrap("aa bb cc dd ee", 5, measure, max_lines=2) == ["aa bb", "cc …"]


def test_fill_lines_leaves_room_for_the_note_on_what_was_left_out():
    items = [f"item{i}" for i in range(10)]  # 5 wide each
    lines, left = fill_lines(
        items,
        lambda i: 5.0,
        first_width=12,
        width=12,
        max_lines=2,
        separator_width=1,
        suffix_width=lambda n: 6.0,
    )
    assert lines == [[0, 1], [2]] and left == 7
    everything, none_left = fill_lines(
        items[:3],
        lambda i: 5.0,
        first_width=20,
        width=20,
        max_lines=1,
        separator_width=1,
        suffix_width=lambda n: 6.0,
    )
    assert everything == [[0, 1, 2]] and none_left == 0
