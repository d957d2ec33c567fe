"""`dezmap snapshot`: every format and the atlas from the command line, and every bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from geo.cli import main
from tests.conftest import DATA, ROOT

DEZMAP = Path(sys.executable).parent / "dezmap"
GHOUTA = ["--date", "2017-07-23T12:00", "--zone", "eastern-ghouta"]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # 2025-12-01 00:00 UTC
    monkeypatch.delenv("DEZMAP_DATA", raising=False)
    monkeypatch.delenv("DEZMAP_REFERENCE", raising=False)


def run(*args: str) -> int:
    try:
        return main(["snapshot", "--data", str(DATA), *args])
    except SystemExit as exc:  # argparse's own usage errors
        return int(exc.code)


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_png_from_a_real_process_has_the_page_size(tmp_path):
    out = tmp_path / "ghouta.png"
    env = {k: v for k, v in os.environ.items() if k != "DEZMAP_DATA"}
    result = subprocess.run(
        [str(DEZMAP), "snapshot", *GHOUTA, "--dpi", "100", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} (png" in result.stdout
    with Image.open(out) as image:
        # A4 landscape, 11.69 x 8.27 inches at 100 dpi
        assert abs(image.width - 1169) <= 1 and abs(image.height - 827) <= 1
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # a drawn map, not a blank page


@pytest.mark.parametrize(
    ("name", "args", "magic"),
    [
        ("a.pdf", [], b"%PDF"),
        ("a.svg", [], b"<?xml"),
        ("a.html", [], b"<!DOCTYPE html>"),
        ("a.out", ["--format", "svg"], b"<?xml"),
    ],
)
def test_the_format_follows_the_extension_unless_format_says(tmp_path, name, args, magic):
    out = tmp_path / name
    assert run(*GHOUTA, *args, "-o", str(out)) == 0
    assert out.read_bytes()[:200].lstrip().upper().startswith(magic.upper())


def test_pdf_text_holds_title_instant_and_zone_names(tmp_path):
    out = tmp_path / "a.pdf"
    assert run("--date", "2017-07-23T12:00", "--title", "Ghouta briefing", "-o", str(out)) == 0
    (text,) = pdf_text(out)
    assert "Ghouta briefing" in text
    assert "23 July 2017" in text
    for name in ("Eastern Ghouta", "Idlib", "Northern Homs"):
        assert name in text, name
    assert "approximate" in text


def test_view_takes_the_app_address_and_equals_the_flags(tmp_path):
    by_flags, by_view = tmp_path / "flags.svg", tmp_path / "view.svg"
    assert run(*GHOUTA, "--window-days", "14", "-o", str(by_flags)) == 0
    address = "http://localhost:8501/?at=2017-07-23T12:00%2B03:00&window=14&zone=eastern-ghouta"
    assert run("--view", address, "-o", str(by_view)) == 0
    assert by_flags.read_bytes() == by_view.read_bytes()


def test_size_slide_and_custom_and_portrait(tmp_path):
    slide, custom, portrait = tmp_path / "s.png", tmp_path / "c.png", tmp_path / "p.png"
    assert run(*GHOUTA, "--size", "slide", "-o", str(slide)) == 0
    assert Image.open(slide).size == (1920, 1080)
    assert run(*GHOUTA, "--size", "800x600px", "-o", str(custom)) == 0
    assert Image.open(custom).size == (800, 600)
    assert run(*GHOUTA, "--portrait", "--dpi", "50", "-o", str(portrait)) == 0
    width, height = Image.open(portrait).size
    assert height > width


def test_arabic_snapshot_holds_arabic_names(tmp_path):
    out = tmp_path / "ar.pdf"
    assert run(*GHOUTA, "--lang", "ar", "-o", str(out)) == 0
    (text,) = pdf_text(out)
    assert "الغوطة" in text


def test_atlas_pdf_has_a_page_per_instant_with_its_date(tmp_path):
    out = tmp_path / "atlas.pdf"
    code = run(
        "--from", "2017-07-01", "--to", "2017-10-01", "--every", "1m", "--dpi", "50",
        "-o", str(out),
    )  # fmt: skip
    assert code == 0
    pages = pdf_text(out)
    assert len(pages) == 4
    for page, month in zip(pages, ["July", "August", "September", "October"], strict=True):
        assert f"1 {month} 2017" in page


def test_atlas_gif_and_folder(tmp_path):
    gif = tmp_path / "atlas.gif"
    assert run(
        "--from", "2017-07-20", "--to", "2017-07-26", "--every", "3d", "--size", "640x400px", "--dpi", "100",
        "-o", str(gif),
    ) == 0  # fmt: skip
    with Image.open(gif) as image:
        assert image.n_frames == 3
    folder = tmp_path / "frames"
    folder.mkdir()
    assert run(
        "--from", "2017-07-20", "--to", "2017-07-26", "--every", "3d", "--size", "640x400px", "--dpi", "100",
        "-o", f"{folder}/",
    ) == 0  # fmt: skip
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "dezmap-2017-07-20T0000.png",
        "dezmap-2017-07-23T0000.png",
        "dezmap-2017-07-26T0000.png",
    ]


def test_atlas_webp_is_animated(tmp_path):
    out = tmp_path / "atlas.webp"
    assert run(
        "--from", "2017-07-20", "--to", "2017-07-22", "--every", "1d", "--size", "640x400px", "--dpi", "100",
        "-o", str(out),
    ) == 0  # fmt: skip
    with Image.open(out) as image:
        assert image.format == "WEBP" and image.n_frames == 3


BAD = [
    (
        ["--date", "2017-07-23", "--zone", "eastern-gouta"],
        "--zone: no zone 'eastern-gouta' (did you mean 'eastern-ghouta'",
        1,
    ),
    (
        ["--date", "1990-01-01"],
        "--date: 1 January 1990, 00:00 Damascus time is outside the data",
        1,
    ),
    (["--date", "2017-07-23", "--bbox", "37,34,36,33"], "--bbox: ", 1),
    (["--date", "2017-07-23", "--bbox", "36,33,37"], "--bbox: ", 1),
    (["--date", "2017-07-23", "--size", "a3"], "--size", 1),
    (
        ["--date", "2017-07-23", "--kinds", "airstrikes"],
        "--kinds: 'airstrikes' is not in the data",
        1,
    ),
    (["--date", "23/07/2017"], "--date: ", 1),
    (["--view", "?at=2017-07-23&zone=nowhere"], "--view: zone: no zone 'nowhere'", 1),
    (["--view", "?at=2017-07-23", "--date", "2017-07-23"], "--view already says what to show", 2),
    (["--zone", "eastern-ghouta"], "give the instant", 2),
    (["--date", "2017-07-23", "--format", "tiff"], "invalid choice: 'tiff'", 2),
    (["--date", "2017-07-23", "--dpi", "5"], "--dpi: 5", 1),
    (["--from", "2017-07-01", "--to", "2017-08-01"], "needs all three", 2),
    (
        ["--from", "2017-08-01", "--to", "2017-07-01", "--every", "1d"],
        "--to: the end is before --from",
        1,
    ),
    (["--from", "2017-07-01", "--to", "2017-08-01", "--every", "daily"], "--every: 'daily'", 1),
]


@pytest.mark.parametrize(("args", "message", "code"), BAD)
def test_bad_input_names_the_argument_and_leaves_no_file(tmp_path, capsys, args, message, code):
    out = tmp_path / ("out.pdf" if "--from" in args else "out.png")
    assert run(*args, "-o", str(out)) == code
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing/out.png", "-o: the folder"),
        ("out.jpg", "-o: cannot tell the format from"),
        ("atlas.txt", "-o: an atlas is written to"),
    ],
)
def test_bad_outputs_leave_no_file(tmp_path, capsys, output, message):
    atlas = ["--from", "2017-07-01", "--to", "2017-07-03", "--every", "1d"]
    args = atlas if output.startswith("atlas") else ["--date", "2017-07-23"]
    assert run(*args, "-o", str(tmp_path / output)) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_cannot_be_written_is_an_error_not_a_traceback(capsys):
    # /proc refuses new files even to root: the write fails after rendering, atomically
    assert run("--date", "2017-07-23", "--dpi", "50", "-o", "/proc/dezmap-test.png") == 1
    assert "-o: cannot write '/proc/dezmap-test.png'" in capsys.readouterr().err
    assert not Path("/proc/dezmap-test.png").exists()


def test_existing_file_is_replaced_whole(tmp_path):
    out = tmp_path / "a.png"
    out.write_bytes(b"old")
    assert run(*GHOUTA, "--dpi", "50", "-o", str(out)) == 0
    assert Image.open(io.BytesIO(out.read_bytes())).format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
