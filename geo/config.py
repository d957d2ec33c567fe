"""Where dezmap finds its data: folders and environment variables, no heavy imports."""

from __future__ import annotations

import os
from pathlib import Path

ZONES_FILE, AGREEMENTS_FILE, VIOLATIONS_FILE = "zones.geojson", "agreements.csv", "violations.csv"
#: The project folder (where ``data/`` and ``static/`` live in a checkout).
PROJECT_DIR = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """The data folder used when none is named.

    ``$DEZMAP_DATA`` if set, else ``./data`` if it holds a zones file, else the ``data``
    folder of the checkout that holds this package.
    """
    env = os.environ.get("DEZMAP_DATA")
    if env:
        return Path(env)
    here = Path("data")
    if (here / ZONES_FILE).is_file():
        return here
    return PROJECT_DIR / "data"
