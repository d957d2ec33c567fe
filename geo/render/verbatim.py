"""folium's rendered output kept as text, never read again as a Jinja template.

branca (0.8.2, the newest release) renders each element of a map with its Jinja macros, and
then wraps the *output* in ``branca.element.Element(output)``, which compiles that output as
a new Jinja template; rendering the whole figure (the HTML export) renders it once more. The
output holds the data: zone names, popups, incident summaries, the packed incident columns.
So a zone named ``{{ 7*7 }}`` came out as ``49`` in an exported HTML file, any Jinja
expression in a data file ran on the server (Jinja's default environment is not sandboxed),
and a name holding ``{%`` stopped the map with a template syntax error. Compiling the output
is also slow: Jinja tokenises every byte of it (a 1 MB layer of clustered incidents, the
countries' outlines), on every run of the Map page.

:func:`install` replaces ``MacroElement.render`` with a version that does what branca's does
(the element's ``header``, ``html`` and ``script`` macros rendered into the figure's three
parts, then its children) but adds each output as a :class:`Verbatim` element: text returned
as it is. Only the element's own template, written in this code base or in folium, is ever
compiled. ``tests/test_render_verbatim.py`` checks that maps render byte for byte as before
when their data holds no Jinja syntax, and exactly as written when it does.

Plain library: no Streamlit.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement

__all__ = ["Verbatim", "install"]


class Verbatim(Element):
    """Text that is already rendered: ``render()`` returns it unchanged."""

    def __init__(self, text: str) -> None:
        super().__init__()  # no template: nothing is compiled
        self._name = "Verbatim"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text, as given."""
        return self.text


def _render(self: MacroElement, **kwargs: Any) -> None:
    """``MacroElement.render`` with the macros' output kept as text (see the module's doc)."""
    figure = self.get_root()
    if not isinstance(figure, Figure):
        raise TypeError(f"cannot render {type(self).__name__}: it is not in a Figure")
    macros = self._template.module.__dict__
    for part, target in (
        ("header", figure.header),
        ("html", figure.html),
        ("script", figure.script),
    ):
        macro = macros.get(part)
        if macro is not None:
            target.add_child(Verbatim(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


_ORIGINAL = MacroElement.render


def install() -> None:
    """Make every folium element render verbatim (idempotent; done on importing geo.render)."""
    MacroElement.render = _render  # type: ignore[method-assign]


def uninstall() -> None:
    """Put branca's own ``MacroElement.render`` back (for the equivalence tests)."""
    MacroElement.render = _ORIGINAL  # type: ignore[method-assign]
