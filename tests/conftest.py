"""Shared helpers: paths to the project's data and to the shared real data, and small builders
of zone files and CSV files written to real files on disk."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
REALDATA = Path(os.environ.get("DEZMAP_REALDATA", ROOT.parent / "shared" / "realdata"))

# A small square around Duma (Eastern Ghouta), counter-clockwise: a real place, valid outline.
DUMA_SQUARE = [[36.37, 33.55], [36.43, 33.55], [36.43, 33.60], [36.37, 33.60], [36.37, 33.55]]


def app_test(*, first_paint: bool = False):
    """``app.py`` under Streamlit's AppTest, as a session that has drawn the Map page's
    controls once, unless ``first_paint``: no browser draws the map here, so a session's first
    paint (the map before the controls, ``ui.controls.first_paint``) would never go on."""
    from streamlit.testing.v1 import AppTest

    from ui.controls import CONTROLS_SHOWN

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if not first_paint:
        app.session_state[CONTROLS_SHOWN] = True
    return app


def needs_realdata() -> Path:
    """Return the shared real-data folder, or skip with a clear reason when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"shared real data not found at {REALDATA} (set DEZMAP_REALDATA)")
    return REALDATA


def zone_feature(ring=None, **props) -> dict:
    """A valid zone feature; keyword arguments override properties (None deletes one)."""
    properties = {
        "zone_id": "eastern-ghouta",
        "name": "Eastern Ghouta",
        "name_ar": "الغوطة الشرقية",
        "group": "astana-2017",
        "valid_from": "2017-07-22",
        "valid_to": "",
        "accuracy": "approximate",
        "boundary_source": "test outline around Duma",
        "notes": "",
    }
    for key, value in props.items():
        if value is None:
            properties.pop(key, None)
        else:
            properties[key] = value
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring or DUMA_SQUARE]},
    }


def write_zones(path: Path, *features: dict, raw: str | None = None) -> Path:
    """Write a zones FeatureCollection (pretty-printed, one member per line) to ``path``."""
    text = (
        raw
        if raw is not None
        else json.dumps(
            {"type": "FeatureCollection", "features": list(features)}, indent=2, ensure_ascii=False
        )
    )
    path.write_text(text, encoding="utf-8")
    return path


def csv_text(header: list[str], rows: list[dict]) -> str:
    """CSV text with the given header and rows (dicts; missing cells are empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data folder that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported"))
    return target


# --- the browser tier: one Chromium per test module, a fresh context and page per test ---------
# Each browser module defines its own ``server`` fixture (which data, which options); these
# use it. A module may override ``context`` (downloads, init scripts) and keep ``page``.


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, shared by the module's tests."""
    from playwright.sync_api import sync_playwright

    from tests import browser

    with sync_playwright() as playwright:
        launched = browser.launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(chromium):
    """A fresh browser context (no cookies, storage or session) per test."""
    from tests import browser

    ctx = chromium.new_context(viewport=browser.VIEWPORT)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context, server):
    """A page of the test's context, recording console errors, page errors and requests."""
    from tests import browser

    page, log = browser.new_page(context, server.base_url)
    page.log = log
    return page
