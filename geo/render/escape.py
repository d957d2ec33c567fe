"""Escaping for every place data text is shown: HTML, Markdown, scripts, and source citations.

Every string from a data file or an upload is untrusted. Maps, popups, tables, exported HTML
and snapshots take their text through these helpers.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlparse

import numpy as np

_URL = re.compile(r"https?://[^\s|]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def esc(value: object) -> str:
    """HTML-escape any value (None and NaN become an empty string)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def md_escape(value: object) -> str:
    """Escape text for Streamlit's Markdown (titles, captions, messages): shown as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", "" if value is None else str(value))


def safe_href(url: str) -> str | None:
    """An escaped ``href`` value for an http(s) address, or None for anything else."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return html.escape(url.strip(), quote=True)


def citations(source: str) -> list[tuple[str, str | None]]:
    """Split a ``source`` cell into (label, url) pairs: ``Outlet, date, URL | PA-X 2093``."""
    out = []
    for part in str(source or "").split(" | "):
        part = part.strip()
        if not part:
            continue
        match = _URL.search(part)
        url = match.group(0) if match else None
        label = part[: match.start()].strip().rstrip(",;").strip() if match else part
        out.append((label or (urlparse(url).netloc if url else part), url))
    return out


def source_links(source: str, limit: int = 3) -> str:
    """The citations of a record as escaped HTML links (text where there is no safe URL)."""
    items = []
    for label, url in citations(source)[:limit]:
        href = safe_href(url) if url else None
        text = esc(label)
        items.append(
            f'<a href="{href}" target="_blank" rel="noopener noreferrer">{text}</a>'
            if href
            else text
        )
    return "; ".join(items)


def script_json(value: object) -> str:
    """JSON for embedding in a ``<script>``: ``</`` cannot end the script early."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")
