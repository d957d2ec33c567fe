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

_WHOLE_URL = re.compile(r"https?://[^\s\"'<>`\\^{}|\x00-\x1f\x7f]+")
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


def citation_url(field: str) -> str | None:
    """The field as an http(s) address, or None: the whole field must be one address.

    No spaces, quotes, angle brackets or control characters, a host, and nothing before the
    scheme, so that text such as ``=HYPERLINK("http://...")`` never becomes a link.
    """
    text = field.strip()
    if not _WHOLE_URL.fullmatch(text):
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    return text


def citations(source: str) -> list[tuple[str, str | None]]:
    """Split a ``source`` cell into (label, url) pairs: ``Outlet, date, URL | PA-X 2093``.

    Citations are separated by `` | ``; within one, the URL is its last field (after the
    last ``, ``) and only counts when that whole field is an http(s) address
    (:func:`citation_url`).
    """
    out = []
    for part in str(source or "").split(" | "):
        part = part.strip()
        if not part:
            continue
        head, _, last = part.rpartition(", ")
        url = citation_url(last) or (citation_url(part) if not head else None)
        if url is None:
            out.append((part, None))
            continue
        label = head.strip().rstrip(",;").strip() if head else ""
        out.append((label or (urlparse(url).hostname or url), url))
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
