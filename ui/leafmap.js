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
  state.cancelHeld();
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
    const box = state.map.getContainer();
    if (state.hold) {
      state.held = true; // sent once the page stops holding the map's reports
      box.dataset.dzHeld = "1"; // the page is not whole yet (tests wait for this to go)
      return;
    }
    delete box.dataset.dzHeld;
    const value = bounds(state.map);
    const text = JSON.stringify(value);
    if (text === state.reported) return;
    state.reported = text;
    box.dataset.dzReported = text; // what the page was last told
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
  if (fresh && data.report) {
    state.held = false;
    report(state, true);
    announceDrawn();
  } else if (state.held && !state.hold && data.report) {
    // the page's second step is under way: its extent goes once that run has ended and its
    // widgets are drawn, so that the map's fragment runs neither in the middle of that run
    // nor while the widgets still show their first values
    state.held = false;
    state.cancelHeld();
    state.cancelHeld = when(settled, () => report(state, true), true);
  }
}

// A map of this page has drawn itself, or said why not (for the page's run_again_once_drawn)
function announceDrawn() {
  window.__dzDrawn = true;
  window.dispatchEvent(new Event("dz:drawn"));
}

// Streamlit's run state, on its root element: "notRunning" once a run has ended and no other
// is asked for (a reader's click on a widget or a page link asks for one at once)
function idle() {
  const app = document.querySelector('[data-testid="stApp"]');
  return !app || app.dataset.testScriptState === "notRunning";
}

// Every element of the page drawn: Streamlit shows a skeleton while an element's code loads.
function settled() {
  return idle() && !document.querySelector('[data-testid="stSkeleton"]');
}

// Call fn once condition() holds, checked again in a task of its own (and, with frames, two
// frames later: a widget drawn with a value set by the page shows it one update after its
// first drawing); returns a cancel.
function when(condition, fn, frames) {
  let done = false;
  let timer = null;
  let raf = null;
  const observer = new MutationObserver(() => check());
  const stop = () => {
    done = true;
    observer.disconnect();
    clearTimeout(timer);
    cancelAnimationFrame(raf);
  };
  const fire = () => {
    timer = null;
    if (done || !condition()) return; // not yet after all: the observer goes on watching
    stop();
    fn();
  };
  function check() {
    if (done || timer !== null || !condition()) return;
    timer = setTimeout(() => {
      if (!frames) return fire();
      raf = requestAnimationFrame(() => {
        raf = requestAnimationFrame(fire);
      });
    }, 0);
  }
  observer.observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-test-script-state"],
  });
  check();
  return stop;
}

// A click on a link to a page of the app (the sidebar's pages, a page link); not a link to
// this very address (a heading's anchor, Leaflet's zoom buttons: "#") nor to another site
function pageLink(event) {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!link || (link.target && link.target !== "_self")) return false;
  const url = new URL(link.href, window.location.href);
  const here = window.location;
  if (url.origin !== here.origin) return false;
  return url.pathname !== here.pathname || url.search !== here.search;
}

function onceDrawn(host, setStateValue) {
  // Asked for once the map has drawn itself and the run that drew it has ended, in a task of
  // its own (sent in one batch with the map's own report, it would run only the map's
  // fragment), and never after a click on another page's link: Streamlit shows "not running"
  // and keeps the address until the server answers that click, and a run asked for meanwhile
  // would bring the reader back here.
  const path = window.location.pathname;
  let cancel = () => {};
  const go = () => {
    cancel = when(idle, () => {
      if (host.isConnected && window.location.pathname === path) setStateValue("drawn", true);
    });
  };
  const leaving = (event) => {
    if (pageLink(event)) stop();
  };
  const stop = () => {
    window.removeEventListener("dz:drawn", go);
    document.removeEventListener("click", leaving, true);
    cancel();
  };
  document.addEventListener("click", leaving, true);
  if (window.__dzDrawn) go();
  else window.addEventListener("dz:drawn", go, { once: true });
  return stop;
}

export default function (component) {
  const { parentElement: host, data, setStateValue } = component;
  if (data.once_drawn) return onceDrawn(host, setStateValue);
  let state = host.__dzState;
  if (!state) {
    state = host.__dzState = { generation: 0, groups: [], cancelHeld: () => {} };
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
        // the page goes on without its map: told once no run is under way (a first paint's
        // second run tells it, as it would the extent)
        if (!state.hold) {
          state.cancelHeld = when(idle, () => state.setStateValue("problem", message));
        }
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
