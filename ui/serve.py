"""Start the app warm: ``python -m ui.serve APP [streamlit options]`` (run by ``dezmap serve``).

Before Streamlit serves anything, this imports what the pages need and loads and joins the
data folder into the same caches the pages use, so that the first visitor gets the map as
fast as later ones instead of waiting for imports and the join. Then it hands over to
Streamlit's own command line, in this process.
"""

from __future__ import annotations

import sys
import time


def warm_up() -> float:
    """Import the pages' modules and fill the data caches; return the seconds it took.

    A data folder with errors is not an error here: the pages show the problems.
    """
    started = time.perf_counter()
    import logging

    # not streamlit_folium: a component declared before the server exists is never served
    import altair  # noqa: F401 - imported for its cost, once

    from geo.render import base_map
    from ui import data

    # filling the caches outside a page run is intended: Streamlit's warning about it is noise
    # (set after importing Streamlit, which configures its loggers on import)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )

    timeline = data.timeline_or_none()
    if timeline is not None:
        data.events()
        data.choices()
        data.reference_layers()
        # the first render compiles folium's templates
        base_map(tuple(timeline.zones.versions.total_bounds)).get_root().render()
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    """Warm up, then run ``streamlit run`` with ``argv`` in this process."""
    seconds = warm_up()
    print(f"dezmap: data loaded and joined in {seconds:.1f} s", flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv]
    cli.main()


if __name__ == "__main__":  # pragma: no cover - started by dezmap serve
    main(sys.argv[1:])
