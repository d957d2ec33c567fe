"""Leaflet and its plugins, served by the app itself: no CDN, ever; and the country outlines.

The packages and their exact versions are pinned in ``package.json`` / ``package-lock.json``
(with their sha512 integrity). :func:`install` (``python -m geo.assets``, run by ``make``)
downloads each package's tarball from the npm registry, checks it against the lock, and
extracts only the files the maps use into ``static/vendor/<package>/``, which Streamlit serves
at ``/app/static/vendor/...`` (``server.enableStaticServing``). Node is not needed.

:func:`localize` rewrites every CDN address that folium puts into a map (each element's
``default_js`` and ``default_css``) to the local copy, drops the libraries dezmap maps do not
use (jQuery, Bootstrap, Font Awesome, awesome-markers), and refuses any address it does not
know, so that a new plugin cannot quietly bring a CDN back.

The country outlines (:mod:`geo.context`) are Natural Earth's, from the npm package
``world-atlas``, at the 1:10m scale. At the scale of a zone such as Eastern Ghouta (about
30 km across) the 1:50m outlines are too coarse: half of Syria's border segments there are
longer than 10 km, some over 40 km, so the Lebanese border would cut across the frame in a
few straight strokes; at 1:10m the median segment is about 2 km. The file (3.6 MB) is only
read by Python, never sent to the browser: the app's map takes a part clipped to the region
and simplified (see :mod:`geo.render.maps`), so the payload stays small.

Wide windows (thousands of incidents) are clustered in the browser by ``supercluster``
(:class:`geo.render.maps.CompactIncidentCluster`): it indexes all the points once and, on
every move, returns only the clusters and points in view at that zoom, so the map holds a few
hundred Leaflet layers instead of one per incident. Its ``dist/`` build is a UMD bundle with
its one dependency, ``kdbush``, compiled in (the lock records kdbush as npm resolved it, but
nothing of it is served). ``leaflet.markercluster`` stays vendored: its default style sheet
gives the cluster circles their look, and folium's own cluster plugins are localised to it.

The zone editor (``ui/editor/``) draws with ``@geoman-io/leaflet-geoman-free``, whose
``dist/`` file is one self-contained bundle (its own dependencies, Turf and polyclip, are
compiled in), so the lock pins that one package. It is chosen over Leaflet.draw because the
editor needs holes and multi-part zones: geoman edits every ring of a (multi)polygon, cuts
holes, adds and removes parts, while Leaflet.draw edits only the outer ring of simple
polygons. Its icons are inlined in its CSS, so nothing else is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from geo.atomic import atomic_write_bytes
from geo.config import PROJECT_DIR
from geo.errors import DezmapError

REGISTRY = "https://registry.npmjs.org"
LOCK_FILE = PROJECT_DIR / "package-lock.json"
VENDOR_DIR = PROJECT_DIR / "static" / "vendor"
#: Where the browser finds ``static/`` (Streamlit's static serving).
URL_PREFIX = "/app/static/vendor"

#: Files served per package: path inside the package -> path under ``static/vendor/<package>``.
FILES: dict[str, dict[str, str]] = {
    "leaflet": {
        "dist/leaflet.js": "leaflet.js",
        "dist/leaflet.css": "leaflet.css",
        "dist/images/layers.png": "images/layers.png",
        "dist/images/layers-2x.png": "images/layers-2x.png",
        "dist/images/marker-icon.png": "images/marker-icon.png",
        "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
        "dist/images/marker-shadow.png": "images/marker-shadow.png",
        "LICENSE": "LICENSE",
    },
    "leaflet.markercluster": {
        "dist/leaflet.markercluster.js": "leaflet.markercluster.js",
        "dist/MarkerCluster.css": "MarkerCluster.css",
        "dist/MarkerCluster.Default.css": "MarkerCluster.Default.css",
        "MIT-LICENCE.txt": "LICENSE",
    },
    # many incidents are clustered in the browser by supercluster (see the module docstring)
    "supercluster": {
        "dist/supercluster.min.js": "supercluster.min.js",
        "LICENSE": "LICENSE",
    },
    "leaflet.fullscreen": {
        "Control.FullScreen.js": "Control.FullScreen.js",
        "Control.FullScreen.css": "Control.FullScreen.css",
        "icon-fullscreen.svg": "icon-fullscreen.svg",
        "LICENSE": "LICENSE",
    },
    # the zone editor's drawing plugin (minified: half the size of the readable bundle)
    "@geoman-io/leaflet-geoman-free": {
        "dist/leaflet-geoman.min.js": "leaflet-geoman.min.js",
        "dist/leaflet-geoman.css": "leaflet-geoman.css",
        "LICENSE": "LICENSE",
    },
    # Natural Earth countries at 1:10m (see the module docstring for the choice of scale)
    "world-atlas": {
        "countries-10m.json": "countries-10m.json",
        "LICENSE": "LICENSE",
    },
}

#: CDN addresses folium uses, by the file they end in -> (package, local file).
_CDN_RULES: list[tuple[re.Pattern[str], tuple[str, str] | None]] = [
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.js$"), ("leaflet", "leaflet.js")),
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.css$"), ("leaflet", "leaflet.css")),
    (
        re.compile(r"/leaflet\.markercluster\.js$"),
        ("leaflet.markercluster", "leaflet.markercluster.js"),
    ),
    (re.compile(r"/MarkerCluster\.css$"), ("leaflet.markercluster", "MarkerCluster.css")),
    (
        re.compile(r"/MarkerCluster\.Default\.css$"),
        ("leaflet.markercluster", "MarkerCluster.Default.css"),
    ),
    (
        re.compile(r"/Control\.FullScreen(\.min)?\.js$"),
        ("leaflet.fullscreen", "Control.FullScreen.js"),
    ),
    (re.compile(r"/Control\.FullScreen\.css$"), ("leaflet.fullscreen", "Control.FullScreen.css")),
    # folium loads these for every map; dezmap's maps use none of them
    (re.compile(r"jquery[\w.-]*\.js$"), None),
    (re.compile(r"/bootstrap[@/][\w./-]*\.(js|css)$"), None),
    (re.compile(r"bootstrap-glyphicons\.css$"), None),
    (re.compile(r"leaflet\.awesome-markers\.(js|css)$"), None),
    (re.compile(r"leaflet\.awesome\.rotate(\.min)?\.css$"), None),
    (re.compile(r"fontawesome-free@[\d.]+/css/all(\.min)?\.css$"), None),
]


class AssetError(DezmapError):
    """A map asset is missing, cannot be downloaded, or has no local copy."""


def local_url(package: str, file: str) -> str:
    """The address at which the app serves one vendored file."""
    if package not in FILES or file not in FILES[package].values():
        raise AssetError(f"{package}/{file} is not a vendored file; see geo/assets.py FILES")
    return f"{URL_PREFIX}/{package}/{file}"


def local_address(url: str) -> str | None:
    """The local address for a CDN address; None for a library dezmap does not need.

    Raises
    ------
    AssetError
        For an address with no local copy (add the package to ``package.json``, the lock and
        :data:`FILES`).
    """
    if url.startswith(URL_PREFIX):
        return url
    for pattern, target in _CDN_RULES:
        if pattern.search(url):
            return None if target is None else local_url(*target)
    raise AssetError(
        f"no local copy of {url}: the app must not load anything from a CDN; vendor the "
        "package (package.json, package-lock.json, geo/assets.py) or do without it"
    )


def localize(element: object) -> object:
    """Point every folium element under ``element`` at the local copies of its assets.

    Returns ``element``, changed in place (instance attributes shadow folium's class-level
    CDN lists, so other maps are not affected).
    """
    for item in _walk(element):
        for attr in ("default_js", "default_css"):
            if getattr(item, attr, None):
                setattr(item, attr, _local_links(item, attr))
    return element


def asset_urls(element: object) -> list[str]:
    """The local addresses of the assets the folium elements under ``element`` ask for.

    Stylesheets first, then scripts, each in their order, without repeats. Every address
    goes through :func:`local_address`, so a layer added after :func:`localize` ran still
    loads nothing from a CDN.

    Raises
    ------
    AssetError
        For an address with no local copy.
    """
    items = list(_walk(element))
    urls = [
        url
        for attr in ("default_css", "default_js")
        for item in items
        for _, url in _local_links(item, attr)
    ]
    return list(dict.fromkeys(urls))


def _local_links(item: object, attr: str) -> list[tuple[str, str]]:
    """An element's ``default_js`` or ``default_css`` links, each at its local address."""
    links = [(name, local_address(url)) for name, url in getattr(item, attr, None) or []]
    return [(name, local) for name, local in links if local is not None]


def _walk(element: object) -> Iterator[object]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


# --- installing ----------------------------------------------------------------------------------


def locked_packages(lock_file: Path = LOCK_FILE) -> dict[str, dict[str, str]]:
    """Name -> {version, integrity, url} for every vendored package, from the lock file."""
    try:
        lock = json.loads(lock_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssetError(f"{lock_file}: cannot be read: {exc}") from None
    out = {}
    for name in FILES:
        entry = lock.get("packages", {}).get(f"node_modules/{name}")
        if not entry or "integrity" not in entry:
            raise AssetError(
                f"{lock_file} does not pin {name}; run `npm install "
                "--package-lock-only` after editing package.json"
            )
        version = entry["version"]
        url = entry.get("resolved") or f"{REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
        out[name] = {"version": version, "integrity": entry["integrity"], "url": url}
    return out


def missing(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """The vendored files that are not on disk (empty when the assets are installed)."""
    return [
        f"{pkg}/{dest}"
        for pkg, files in FILES.items()
        for dest in files.values()
        if not (vendor_dir / pkg / dest).is_file()
    ]


def install(
    vendor_dir: Path = VENDOR_DIR, lock_file: Path = LOCK_FILE, *, force: bool = False
) -> list[str]:
    """Download, verify and unpack the vendored packages; return the packages installed.

    A package whose files are present with the locked integrity recorded beside them is
    skipped unless ``force``.

    Raises
    ------
    AssetError
        When a download fails or a tarball does not match the lock's integrity.
    """
    done = []
    for name, pin in locked_packages(lock_file).items():
        target = vendor_dir / name
        stamp = target / ".integrity"
        present = all((target / dest).is_file() for dest in FILES[name].values())
        if present and not force and stamp.is_file() and stamp.read_text() == pin["integrity"]:
            continue
        data = _download(pin["url"])
        _verify(data, pin["integrity"], name)
        _extract(data, FILES[name], target, name)
        target.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(stamp, pin["integrity"].encode())
        done.append(f"{name}@{pin['version']}")
    return done


def _download(url: str, attempts: int = 3) -> bytes:
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https only
                return response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = exc
            time.sleep(1 + attempt)
    raise AssetError(f"cannot download {url}: {last}")


def _verify(data: bytes, integrity: str, name: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in ("sha512", "sha384", "sha256"):
        raise AssetError(f"{name}: unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise AssetError(
            f"{name}: the downloaded tarball does not match package-lock.json "
            f"({algorithm} {actual[:16]}... is not {expected[:16]}...)"
        )


def _extract(data: bytes, files: dict[str, str], target: Path, name: str) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = {m.name.removeprefix("package/"): m for m in archive.getmembers() if m.isfile()}
        for source, dest in files.items():
            member = members.get(source)
            if member is None:
                raise AssetError(f"{name}: the package has no {source}")
            content = archive.extractfile(member)
            assert content is not None
            path = target / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, content.read())


def main() -> int:
    """Install the assets (``python -m geo.assets``); exit 1 with a message on failure."""
    try:
        installed = install(force="--force" in sys.argv[1:])
    except AssetError as exc:
        print(f"dezmap assets: error: {exc}", file=sys.stderr)
        return 1
    gone = missing()
    if gone:
        print(f"dezmap assets: error: still missing {', '.join(gone)}", file=sys.stderr)
        return 1
    print(
        "map assets: "
        + (f"installed {', '.join(installed)}" if installed else "up to date")
        + f" in {VENDOR_DIR}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
