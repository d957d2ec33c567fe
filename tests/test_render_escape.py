"""Escaping and citations (geo.render.escape): links only from a citation's URL field."""

from __future__ import annotations

import pytest

from geo.render.escape import citation_url, citations, source_links


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "Reuters, 2016-09-10, http://in.reuters.com/article/x | PA-X 2091",
            [("Reuters, 2016-09-10", "http://in.reuters.com/article/x"), ("PA-X 2091", None)],
        ),
        ("https://example.org/a,b", [("example.org", "https://example.org/a,b")]),
        ("UCDP GED 19.1, id 12345", [("UCDP GED 19.1, id 12345", None)]),
        # an address anywhere but the URL field is text, never a link
        (
            '=HYPERLINK("http://127.0.0.1:9/","click")',
            [('=HYPERLINK("http://127.0.0.1:9/","click")', None)],
        ),
        (
            "Outlet, see http://evil.example/ for more",
            [("Outlet, see http://evil.example/ for more", None)],
        ),
        (
            "Outlet, 2017-01-01, javascript:alert(1)",
            [("Outlet, 2017-01-01, javascript:alert(1)", None)],
        ),
        (
            'Outlet, 2017-01-01, http://x.example/"onmouseover="alert(1)',
            [('Outlet, 2017-01-01, http://x.example/"onmouseover="alert(1)', None)],
        ),
    ],
)
def test_citations_take_the_url_from_the_last_field_only(source, expected):
    assert citations(source) == expected


@pytest.mark.parametrize(
    "text",
    ["http://", "https:///path", "http://exa mple.org", "ftp://example.org", " <http://x.org>"],
)
def test_citation_url_refuses_anything_but_one_whole_address(text):
    assert citation_url(text) is None


def test_source_links_escape_labels_and_link_only_urls():
    html = source_links(
        '<b>Outlet</b>, 2017-01-01, https://example.org/?a=1&b=2 | =HYPERLINK("http://127.0.0.1:9/")'
    )
    assert '<a href="https://example.org/?a=1&amp;b=2"' in html
    assert "&lt;b&gt;Outlet&lt;/b&gt;" in html
    assert "127.0.0.1" in html and 'href="http://127.0.0.1' not in html
