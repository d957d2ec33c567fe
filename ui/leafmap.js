// dezmap's map on a Streamlit page: a components-v2 module (no iframe, no React, no bundle).
//
// Python (ui/leafmap.py) sends the folium map as strings: the base map's script (the map,
// its reference layers, towns, legend), the script of the layers that change from run to
// run (zones, incidents) with the layer control, the asset URLs (served by the app itself
// from /app/static/vendor), the map's CSS, its height, and where to move it. This module
// loads the assets once per page, in order but fetched in parallel, runs the base script in
// a scope of its own (so two maps never share a variable), and on later runs only swaps the
// layers, or moves the map when Python asks for a new centre or zoom. It reports the map's
// extent back as the state value "bounds" (250 ms after the reader's own moves end, at once
// after the first drawing and after a move the app asked for).

const ASSETS = (window.__dzAssets = window.__dzAssets || new Map());

function asset(url) {
  let loading = ASSETS.get(url);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = /\.css(\?|$)/.test(url);
      const el = document.createElement(css ? "link" : "script");
      if (css) {
        el.rel = "stylesheet";
        el.href = url;
      } else {
        el.src = url;
        el.async = false; // run in the order asked, fetched side by side
      }
      el.onload = () => resolve();
      el.onerror = () => {
        ASSETS.delete(url);
        reject(new Error(`could not load ${url}`));
      };
      document.head.appendChild(el);
    });
    ASSETS.set(url, loading);
  }
  return loading;
}

// The base script runs inside a function: its variables (the map, its layers) stay there.
// The function returns a runner that evaluates later code (the layers) in the same scope.
function scopeOf(script) {
  // eslint-disable-next-line no-new-func
  return new Function(`${script}\n;return function (code) { return eval(code); };`)();
}

function bounds(map) {
  const b = map.getBounds();
  return {
    _southWest: { lat: b.getSouth(), lng: b.getWest() },
    _northEast: { lat: b.getNorth(), lng: b.getEast() },
  };
}

// Leaflet ends a zoom animation on a timer of its own that remove() leaves running; on a map
// already taken off the page (the page left mid-zoom) it would throw, unless no zoom
// animation is under way any more (the flag the timer's function checks first). The map's
// listeners go first: nothing of it (a report, a layer's redrawing) runs on its way out.
function removeMap(state) {
  const map = state.map;
  state.map = null;
  state.script = null;
  if (!map) return;
  map.off();
  map._animatingZoom = false;
  map.remove();
  clearTimeout(state.timer);
  if (window.dzMap === map) window.dzMap = undefined;
}

function showProblem(host, message) {
  const box = document.createElement("div");
  box.className = "dz-map-problem";
  box.setAttribute("role", "alert");
  box.textContent = `The map could not be drawn: ${message}`;
  host.replaceChildren(box);
}

function report(state, now) {
  clearTimeout(state.timer);
  const send = () => {
    if (!state.map) return;
    if (state.hold) {
      state.held = true; // sent once the page stops holding the map's reports
      return;
    }
    const value = bounds(state.map);
    const text = JSON.stringify(value);
    if (text === state.reported) return;
    state.reported = text;
    state.map.getContainer().dataset.dzReported = text; // what the page was last told
    state.setStateValue("bounds", value);
  };
  if (now) send();
  else state.timer = setTimeout(send, 250);
}

function swapLayers(state, code) {
  const map = state.map;
  for (const layer of state.groups) map.removeLayer(layer);
  if (state.control) map.removeControl(state.control);
  // the layers' script lists itself in window.feature_group and window.layer_control
  const saved = [window.feature_group, window.layer_control];
  window.feature_group = [];
  window.layer_control = undefined;
  try {
    const run = state.run; // called plainly: "this" in the layers' script is no object of ours
    run(code);
    state.groups = window.feature_group;
    state.control = window.layer_control;
  } finally {
    [window.feature_group, window.layer_control] = saved;
  }
  state.layers = code;
}

function build(state, host, data) {
  removeMap(state);
  const style = document.createElement("style");
  style.textContent = data.css;
  const div = document.createElement("div");
  div.className = "dz-map";
  div.style.cssText = `position:relative;width:100%;height:${Number(data.height)}px`;
  host.replaceChildren(style, div);
  // folium's script finds its container by this id; taken off at once, so that another map
  // on the page (a page being replaced) never has the same one
  div.id = "map_div";
  try {
    state.run = scopeOf(`${data.script}\n;var __dzMap = map_div;`);
  } finally {
    div.removeAttribute("id");
  }
  state.map = state.run("__dzMap");
  window.dzMap = state.map; // the map drawn last: a handle for tests and debugging
  state.script = data.script;
  state.groups = [];
  state.control = null;
  state.layers = null;
  state.view = null;
  state.reported = null;
  state.map.on("moveend", () => report(state, false));
  state.map.on("dz:appmove", () => report(state, true));
  state.resize.disconnect();
  state.resize.observe(div);
}

function draw(state, host, data) {
  const fresh = state.script !== data.script || !state.map;
  if (fresh) build(state, host, data);
  if (fresh || state.layers !== data.layers) swapLayers(state, data.layers || "");
  // The page asks for a view (a focused zone's centre and zoom) on every run: the map goes
  // there when the view asked for changes, and otherwise stays where the reader took it.
  const view = data.center ? JSON.stringify([data.center, data.zoom || null]) : null;
  if (view && view !== state.view) {
    // no options: the map's own setView (see _MapFurniture) makes it at once and reports it
    state.map.setView(data.center, data.zoom || state.map.getZoom());
  }
  state.view = view;
  if ((fresh || state.held) && data.report) {
    state.held = false;
    report(state, true);
  }
  if (fresh && data.report) announceDrawn();
}

// A map of this page has drawn itself, or said why not (for the page's run_again_once_drawn)
function announceDrawn() {
  window.__dzDrawn = true;
  window.dispatchEvent(new Event("dz:drawn"));
}

function onceDrawn(setStateValue) {
  // in a task of its own: sent in one batch with the map's own report, it would run only the
  // map's fragment (Streamlit runs a batch of updates in the fragment of one of them)
  const fire = () => setTimeout(() => setStateValue("drawn", true), 0);
  if (window.__dzDrawn) {
    fire();
    return () => {};
  }
  window.addEventListener("dz:drawn", fire, { once: true });
  return () => window.removeEventListener("dz:drawn", fire);
}

export default function (component) {
  const { parentElement: host, data, setStateValue } = component;
  if (data.once_drawn) return onceDrawn(setStateValue);
  let state = host.__dzState;
  if (!state) {
    state = host.__dzState = { generation: 0, groups: [] };
    state.resize = new ResizeObserver(() => state.map && state.map.invalidateSize());
  }
  state.setStateValue = data.report ? setStateValue : () => {};
  state.hold = Boolean(data.hold);
  const generation = ++state.generation;
  const current = () => generation === state.generation && host.isConnected;
  Promise.all(data.assets.map(asset))
    .then(() => {
      if (current()) draw(state, host, data);
    })
    .catch((error) => {
      if (current()) {
        const message = String(error && error.message ? error.message : error);
        removeMap(state);
        showProblem(host, message);
        // the page goes on without its map (told by the next run when it holds the reports)
        if (!state.hold) state.setStateValue("problem", message);
        if (data.report) announceDrawn();
      }
    });
  // Streamlit runs this when the map leaves the page, and also at once for a call that newer
  // data overtook while this module was being imported: only the latest call's may act.
  return () => {
    if (generation !== state.generation) return;
    state.generation += 1;
    state.resize.disconnect();
    removeMap(state);
  };
}
