"""Vendored map assets (geo.assets): pinned, verified, served locally, never from a CDN."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile

import folium
import folium.plugins
import pytest

from geo import assets
from geo.assets import AssetError, asset_urls, install, local_address, localize


def test_every_vendored_file_is_installed():
    assert assets.missing() == [], "run `python -m geo.assets` (make does)"


@pytest.mark.parametrize(
    "url,expected",
    [
        (
            "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
            "/app/static/vendor/leaflet/leaflet.js",
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
            "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ),
        (
            "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
            "/app/static/vendor/leaflet.fullscreen/Control.FullScreen.js",
        ),
        ("https://code.jquery.com/jquery-3.7.1.min.js", None),
    ],
)
def test_cdn_addresses_map_to_local_copies_or_are_dropped(url, expected):
    assert local_address(url) == expected


def test_unknown_cdn_address_is_refused():
    with pytest.raises(AssetError, match="must not load anything from a CDN"):
        local_address("https://unpkg.com/some-plugin@1/plugin.js")


def test_localize_leaves_no_remote_address_in_a_map():
    m = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.FastMarkerCluster([[33.5, 36.3]]).add_to(m)
    localize(m)
    html = m.get_root().render()
    assert "cdn" not in html and "https://" not in html
    assert "/app/static/vendor/leaflet/leaflet.js" in html
    assert "Control.FullScreen.js" in html and "leaflet.markercluster.js" in html
    other = folium.Map(tiles=None)  # class defaults untouched
    assert any("cdn.jsdelivr.net" in url for _, url in other.default_js)


def test_asset_urls_are_local_even_for_a_layer_added_after_localize():
    m = localize(folium.Map(tiles=None))
    folium.plugins.Fullscreen().add_to(m)  # a layer added later, with folium's CDN addresses
    urls = asset_urls(m)
    assert urls[0] == "/app/static/vendor/leaflet/leaflet.css"  # stylesheets first
    assert urls.index("/app/static/vendor/leaflet/leaflet.js") < urls.index(
        "/app/static/vendor/leaflet.fullscreen/Control.FullScreen.js"
    )
    assert all(u.startswith("/app/static/vendor/") for u in urls), urls
    assert len(urls) == len(set(urls))
    odd = folium.Map(tiles=None)
    odd.default_js = [("plugin", "https://unpkg.com/some-plugin@1/plugin.js")]
    with pytest.raises(AssetError, match="no local copy"):
        asset_urls(odd)


def fake_package(tmp_path, files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "pkg.tgz"
    path.write_bytes(out.getvalue())
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(out.getvalue()).digest()).decode()
    return path, integrity


def test_install_verifies_integrity_and_extracts_only_the_listed_files(tmp_path, monkeypatch):
    tarball, integrity = fake_package(tmp_path, {"a.js": "ok", "extra.js": "unused"})
    monkeypatch.setattr(assets, "FILES", {"demo": {"a.js": "a.js"}})
    lock = tmp_path / "package-lock.json"
    lock.write_text(
        json.dumps(
            {
                "packages": {
                    "node_modules/demo": {
                        "version": "1.0.0",
                        "integrity": integrity,
                        "resolved": tarball.as_uri(),
                    }
                }
            }
        )
    )
    vendor = tmp_path / "vendor"
    assert install(vendor, lock) == ["demo@1.0.0"]
    assert (vendor / "demo" / "a.js").read_text() == "ok"
    assert not (vendor / "demo" / "extra.js").exists()
    assert install(vendor, lock) == []  # up to date

    bad = integrity[:-8] + "AAAAAAA="
    lock.write_text(
        json.dumps(
            {
                "packages": {
                    "node_modules/demo": {
                        "version": "1.0.1",
                        "integrity": bad,
                        "resolved": tarball.as_uri(),
                    }
                }
            }
        )
    )
    with pytest.raises(AssetError, match="does not match package-lock.json"):
        install(tmp_path / "other", lock)
    assert not (tmp_path / "other").exists()


def test_lock_must_pin_every_package(tmp_path):
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"packages": {}}))
    with pytest.raises(AssetError, match="does not pin leaflet"):
        assets.locked_packages(lock)


def test_package_json_and_the_lock_pin_the_same_version_of_every_vendored_package():
    wanted = json.loads((assets.PROJECT_DIR / "package.json").read_text())["dependencies"]
    locked = assets.locked_packages()
    assert set(wanted) == set(assets.FILES) == set(locked)
    for name, pin in locked.items():
        assert pin["version"] == wanted[name], name
        assert pin["integrity"].startswith("sha512-"), name
        assert pin["url"].startswith(f"{assets.REGISTRY}/{name}/-/"), name
        # what is installed is what the lock pins
        stamp = assets.VENDOR_DIR / name / ".integrity"
        assert stamp.read_text() == pin["integrity"], f"run `python -m geo.assets` ({name})"


def test_the_country_outlines_come_with_their_licence():
    folder = assets.VENDOR_DIR / "world-atlas"
    assert "Permission to use, copy, modify" in (folder / "LICENSE").read_text()
    head = (folder / "countries-10m.json").read_bytes()[:200]
    assert head.startswith(b'{"type":"Topology"')
