// dezmap zone editor: a Leaflet map with leaflet-geoman, relayed to Streamlit by hand.
//
// Streamlit's component protocol (API version 1) is a few postMessage calls, so no build step
// and no npm package are needed: we announce "streamlit:componentReady", receive
// "streamlit:render" with the Python arguments, and answer with "streamlit:setComponentValue"
// and "streamlit:setFrameHeight".
//
// Arguments (see ui/editor/__init__.py):
//   geometry   the outline being edited (GeoJSON Polygon or MultiPolygon, or null)
//   revision   bumped by Python when it wants this outline loaded (a new zone or version,
//              undo, a reload); between two revisions the map keeps its own state, so a rerun
//              never interrupts an edit in progress
//   context    FeatureCollection drawn faintly: other versions and other zones
//   countries  FeatureCollection of country outlines (or null)
//   added, removed   preview geometries: what the edit adds to and takes from the outline
//   applied    id of the last edit Python has taken into account (exposed as data-applied)
//   fit        [west, south, east, north] to show when nothing is loaded yet
//   height     frame height in pixels
//
// Value sent: {geometry, id, revision}. ``id`` is unique per edit step (this frame's random
// prefix and a counter), so Python can tell a new step from the value Streamlit repeats on
// every rerun. Every text from the data reaches the page through textContent only.
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var instance = Math.random().toString(36).slice(2, 10);
  var counter = 0;
  var map = null;
  var editable = null;
  var layers = { countries: null, context: null, added: null, removed: null };
  var drawn = { countries: "", context: "", added: "", removed: "" };
  var loadedRevision = null;
  var timer = null;
  var lastHeight = null;

  function post(type, data) {
    var message = Object.assign({ isStreamlitMessage: true, type: type }, data || {});
    window.parent.postMessage(message, "*");
  }

  function setHeight(height) {
    if (height !== lastHeight) {
      lastHeight = height;
      post("streamlit:setFrameHeight", { height: height });
    }
  }

  function problem(text) {
    var box = document.getElementById("problem");
    box.textContent = text;
    box.style.display = "block";
  }

  // --- the map ---------------------------------------------------------------------------

  function init() {
    if (!window.L || !L.PM) {
      problem("The map libraries did not load (run `python -m geo.assets`).");
      return false;
    }
    map = L.map("map", { zoomControl: true, attributionControl: false, boxZoom: false });
    // context below the outline being edited; previews above the context, below the outline
    [["dz-countries", 350], ["dz-context", 360], ["dz-preview", 380]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = String(p[1]);
    });
    map.getPane("dz-preview").style.pointerEvents = "none";
    L.control.scale({ imperial: false }).addTo(map);
    editable = L.featureGroup().addTo(map);
    map.pm.setGlobalOptions({
      layerGroup: editable, // drawn parts and cut results join the edited outline
      snappable: true,
      allowSelfIntersection: true, // shapely reports a crossing, with its place, in the page
      pathOptions: { color: "#1d4ed8", weight: 2, fillOpacity: 0.15 },
    });
    map.pm.addControls({
      position: "topleft",
      drawMarker: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawCircle: false,
      drawText: false,
      drawRectangle: false,
      drawPolygon: true, // a new part
      editMode: true, // move, add (middle handles) and delete (right click) vertices
      dragMode: false,
      cutPolygon: true, // a hole
      removalMode: true, // delete a part
      rotateMode: false,
    });
    editable.on("pm:edit pm:vertexadded pm:vertexremoved pm:markerdragend", changed);
    editable.on("pm:markerdragstart", function () {
      clearTimeout(timer);
    });
    map.on("pm:create", function (e) {
      ownLayer(e.layer);
      changed();
    });
    map.on("pm:cut", function (e) {
      explode(e.layer);
      changed();
    });
    map.on("pm:remove", changed);
    // back to moving vertices once a part or a hole is drawn (or the drawing is cancelled)
    map.on("pm:drawend", function () {
      setTimeout(function () {
        if (!map.pm.globalDrawModeEnabled() && !map.pm.globalRemovalModeEnabled()) {
          map.pm.enableGlobalEditMode();
        }
      }, 0);
    });
    window.dzEditor = {
      map: map,
      geometry: currentGeometry,
      lastSent: function () {
        return document.body.dataset.sent || "";
      },
    };
    return true;
  }

  function ownLayer(layer) {
    if (!editable.hasLayer(layer)) editable.addLayer(layer);
    layer.on("pm:edit pm:vertexadded pm:vertexremoved pm:markerdragend", changed);
    if (map.pm.globalEditModeEnabled() && layer.pm) layer.pm.enable();
  }

  // A cut that splits a part leaves one layer with several parts: make each part its own
  // layer, so that the removal tool can delete one part alone.
  function explode(layer) {
    if (!layer || !layer.toGeoJSON) return;
    var parts = partsOf(layer.toGeoJSON(15).geometry);
    if (parts.length <= 1) {
      ownLayer(layer);
      return;
    }
    editable.removeLayer(layer);
    if (map.hasLayer(layer)) map.removeLayer(layer);
    parts.forEach(function (coords) {
      ownLayer(L.polygon(L.GeoJSON.coordsToLatLngs(coords, 1), map.pm.getGlobalOptions().pathOptions));
    });
  }

  function partsOf(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates.slice();
    return [];
  }

  function polygonsIn(group, out) {
    group.eachLayer(function (layer) {
      if (layer instanceof L.Polygon) {
        if (map.hasLayer(layer)) out.push(layer);
      } else if (layer.eachLayer) {
        polygonsIn(layer, out);
      }
    });
    return out;
  }

  // The edited outline as GeoJSON: a Polygon, a MultiPolygon when there are several parts,
  // or null when every part was removed.
  function currentGeometry() {
    var parts = [];
    polygonsIn(editable, []).forEach(function (layer) {
      parts = parts.concat(partsOf(layer.toGeoJSON(6).geometry));
    });
    if (parts.length === 0) return null;
    if (parts.length === 1) return { type: "Polygon", coordinates: parts[0] };
    return { type: "MultiPolygon", coordinates: parts };
  }

  function loadGeometry(geometry) {
    var editing = map.pm.globalEditModeEnabled();
    if (editing) map.pm.disableGlobalEditMode();
    editable.clearLayers();
    partsOf(geometry).forEach(function (coords) {
      var layer = L.polygon(L.GeoJSON.coordsToLatLngs(coords, 1), {
        color: "#1d4ed8",
        weight: 2,
        fillOpacity: 0.15,
      });
      editable.addLayer(layer);
    });
    map.pm.enableGlobalEditMode();
  }

  // --- context and previews (never editable, never snapped to) ---------------------------

  function tooltip(text) {
    var span = document.createElement("span");
    span.className = "dz-tip";
    span.textContent = String(text);
    return span;
  }

  function contextStyle(feature) {
    var kind = (feature.properties || {}).kind;
    if (kind === "version") {
      return { color: "#475569", weight: 1.5, dashArray: "5 4", fill: false };
    }
    return { color: "#64748b", weight: 1, fillColor: "#94a3b8", fillOpacity: 0.12 };
  }

  function replaceLayer(name, data, make) {
    var text = JSON.stringify(data || null);
    if (text === drawn[name]) return;
    drawn[name] = text;
    if (layers[name]) map.removeLayer(layers[name]);
    layers[name] = data ? make(data).addTo(map) : null;
  }

  function drawContext(args) {
    replaceLayer("countries", args.countries, function (data) {
      return L.geoJSON(data, {
        pane: "dz-countries",
        pmIgnore: true,
        snapIgnore: true,
        interactive: false,
        style: function (feature) {
          if ((feature.properties || {}).part === "border") {
            return { color: "#9ca3af", weight: 1, fill: false };
          }
          return { stroke: false, fillColor: "#ffffff", fillOpacity: 0.7 };
        },
      });
    });
    replaceLayer("context", args.context, function (data) {
      return L.geoJSON(data, {
        pane: "dz-context",
        pmIgnore: true,
        snapIgnore: true,
        style: contextStyle,
        onEachFeature: function (feature, layer) {
          var label = (feature.properties || {}).label;
          if (label) layer.bindTooltip(tooltip(label), { sticky: true });
        },
      });
    });
    replaceLayer("added", args.added, function (data) {
      return L.geoJSON(data, {
        pane: "dz-preview",
        pmIgnore: true,
        snapIgnore: true,
        interactive: false,
        className: "dz-added",
        style: { color: "#15803d", weight: 1, fillColor: "#22c55e", fillOpacity: 0.45 },
      });
    });
    replaceLayer("removed", args.removed, function (data) {
      return L.geoJSON(data, {
        pane: "dz-preview",
        pmIgnore: true,
        snapIgnore: true,
        interactive: false,
        className: "dz-removed",
        style: { color: "#b91c1c", weight: 1, fillColor: "#ef4444", fillOpacity: 0.45 },
      });
    });
  }

  function fit(args) {
    var bounds = editable.getLayers().length ? editable.getBounds() : null;
    if ((!bounds || !bounds.isValid()) && args.fit && args.fit.length === 4) {
      var f = args.fit;
      bounds = L.latLngBounds([f[1], f[0]], [f[3], f[2]]);
    }
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
    else map.setView([35.0, 38.5], 6);
  }

  // --- the relay -------------------------------------------------------------------------

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(send, DEBOUNCE_MS);
  }

  function send() {
    timer = null;
    counter += 1;
    var id = instance + ":" + counter;
    document.body.dataset.sent = id;
    post("streamlit:setComponentValue", {
      value: { geometry: currentGeometry(), id: id, revision: loadedRevision },
      dataType: "json",
    });
  }

  function render(args) {
    setHeight(args.height || 520);
    if (!map && !init()) return;
    drawContext(args);
    if (args.revision !== loadedRevision) {
      clearTimeout(timer); // an edit of the previous outline must not reach the new one
      loadedRevision = args.revision;
      loadGeometry(args.geometry);
      fit(args);
      document.body.dataset.revision = String(args.revision);
    }
    document.body.dataset.applied = args.applied || "";
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.type !== "streamlit:render") return;
    try {
      render(data.args || {});
    } catch (err) {
      problem("The editor failed: " + err);
      throw err;
    }
  });

  post("streamlit:componentReady", { apiVersion: 1 });
})();
