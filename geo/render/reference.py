"""Reference layers (administrative boundaries and the like) read from a folder of GeoJSON files.

The app, the HTML export and the static snapshots draw the same layers: each file of the folder
is read with :func:`geo.io.read_layer`, simplified for display, and labelled from the first name
field it has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import DataError
from geo.render.escape import esc

if TYPE_CHECKING:
    import geopandas as gpd

#: Simplification of reference layers for display (degrees, about 200 m).
REFERENCE_TOLERANCE = 0.002
#: Fields that hold a feature's name, in order of preference.
LABEL_FIELDS = ("name", "NAME_EN", "ADM3_EN", "ADM2_EN", "ADM1_EN", "admin1Name_en", "NAME")


@dataclass(frozen=True)
class ReferenceLayer:
    """A reference layer to draw under the zones (administrative boundaries)."""

    name: str
    frame: gpd.GeoDataFrame
    label_field: str | None = None

    @cached_property
    def geojson(self) -> dict:
        """The layer as GeoJSON with escaped labels, made once (the map is built per rerun)."""
        data = json.loads(self.frame[["geometry"]].to_json(drop_id=True))
        if self.label_field and self.label_field in self.frame.columns:
            for feature, value in zip(data["features"], self.frame[self.label_field], strict=True):
                feature["properties"] = {"label": esc(value)}
        return data


def load_reference_layers(folder: str | Path) -> tuple[list[ReferenceLayer], list[str]]:
    """Every ``*.geojson`` of ``folder`` as a reference layer, and the files that were skipped.

    Returns
    -------
    (list of ReferenceLayer, list of str)
        The layers in file-name order, and one message per file that could not be read
        (``name.geojson: what is wrong``). A missing folder gives no layers and no message.
    """
    import shapely

    from geo.io import read_layer

    layers: list[ReferenceLayer] = []
    problems: list[str] = []
    path = Path(folder)
    if not path.is_dir():
        return layers, problems
    for file in sorted(path.glob("*.geojson")):
        try:
            frame, _ = read_layer(file)
        except DataError as exc:
            problems.append(f"{file.name}: {exc.message}")
            continue
        frame = frame.set_geometry(
            shapely.simplify(frame.geometry.to_numpy(), REFERENCE_TOLERANCE, preserve_topology=True)
        )
        label = next((f for f in LABEL_FIELDS if f in frame.columns), None)
        layers.append(ReferenceLayer(file.stem, frame, label))
    return layers, problems
