// The dashboard page: a MapLibre choropleth of average tip per mile over a span of stored windows
// (the whole run when it opens, ranked as `npm start` ranks it), borough outlines and names for
// context, a legend with its class breaks, the ranked neighborhoods, a chart of one neighborhood
// window by window, and a health strip. The span follows the newest window once new windows
// arrive. Data comes from this dashboard's own API; no tiles or glyphs are requested (the style
// has no sources of its own and no text layers; names are HTML), so it works offline.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { drawChart, seriesCsv } from '/chart.js';
import { anchorOf, placeLabels } from '/labels.js';

const PALETTE = ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#2c7fb8', '#253494'];
const SPARSE_COLOUR = '#9e9e9e';
const NO_DATA_COLOUR = '#f3f3ee';
const WATER_COLOUR = '#dde8f0';
/** As many as `npm start` prints by default. */
const TOP = 15;
const BOTTOM = 5;
const HOUR_MS = 3_600_000;

const $ = (id) => document.getElementById(id);
const money = (n) => (n === null || n === undefined ? '-' : n.toFixed(2));
const utc = (iso) => `${iso.slice(0, 16).replace('T', ' ')}`;

const query = new URLSearchParams(location.search);
const state = {
  minRides: 10,
  /** The rolling span live mode follows, in windows: `?span=N`, else the server's `dashboard.liveSpan`. */
  liveSpan: 15,
  keyspace: '',
  windows: [], // { windowEnd, windowStart, neighborhoods, rides }, oldest first
  runStart: null,
  preset: 'run',
  from: 0,
  to: 0,
  follow: false,
  /** Set once the person picks a span: new windows then never change the preset. */
  chosen: false,
  summary: null,
  selected: null,
  series: null,
  fitted: false,
  health: null,
  streamDown: false,
  /** windowEnd -> Date.now() when the span shown first reached it (read by the browser test). */
  shownAt: {},
};
let chart = null;
let refreshing = null;
let refreshAgain = false;
let seriesRequest = 0;

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.json().catch(() => ({}))).error ?? ''}`);
  return response.json();
}

/** Quantile class breaks over the ranked values (every class holds about as many neighborhoods), without repeats. */
function classBreaks(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const breaks = PALETTE.slice(1).map((_, i) => sorted[Math.floor(((i + 1) * sorted.length) / PALETTE.length)] ?? sorted[sorted.length - 1]);
  return [...new Set(breaks)].filter((b) => b > sorted[0]);
}

/** Colours spread over the palette, so the best class is always its darkest colour. */
function classColours(breaks) {
  const classes = breaks.length + 1;
  return Array.from({ length: classes }, (_, i) => PALETTE[classes === 1 ? PALETTE.length - 1 : Math.round((i * (PALETTE.length - 1)) / (classes - 1))]);
}

const colourOf = (value, breaks) => classColours(breaks)[breaks.filter((b) => value >= b).length];

function windowSizeText() {
  const w = state.windows.at(-1);
  if (!w) return null;
  const minutes = Math.round((Date.parse(w.windowEnd) - Date.parse(w.windowStart)) / 60_000);
  return minutes % 60 === 0 ? `${minutes / 60}-hour` : `${minutes}-minute`;
}

const runStartIndex = () => Math.max(0, state.windows.findIndex((w) => w.windowEnd === state.runStart));

/** The indexes a preset covers, over the windows stored now; the rolling span stays inside the run. */
function presetSpan(preset) {
  const last = state.windows.length - 1;
  if (preset === 'all') return [0, last];
  if (preset === 'run') return [runStartIndex(), last];
  if (preset === 'hour') {
    const since = Date.parse(state.windows[last].windowEnd) - HOUR_MS;
    return [state.windows.findIndex((w) => Date.parse(w.windowEnd) > since), last];
  }
  if (preset === 'latest') return [Math.max(runStartIndex(), last - state.liveSpan + 1), last];
  if (preset === 'window') return [last, last];
  return [state.from, state.to];
}

function applyPreset(preset) {
  state.preset = preset;
  if (state.windows.length === 0) return;
  [state.from, state.to] = presetSpan(preset);
}

/** Reads the span's totals and ranking from the server, then draws them; a newer request wins. */
/**
 * Redraws the span (summary, map, lists, and the open chart). Calls while one runs are folded into
 * one more run after it: a live job pushes a window every second, and a newer call that dropped the
 * one in flight would leave the page unchanged for as long as windows came faster than a redraw.
 */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      await redraw();
    } while (refreshAgain);
  })().finally(() => (refreshing = null));
  return refreshing;
}

async function redraw() {
  renderSpanControls();
  if (state.windows.length === 0) {
    state.summary = null;
    render();
    return;
  }
  const from = state.windows[state.from].windowEnd;
  const to = state.windows[state.to].windowEnd;
  const summary = await getJson(`/api/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&minRides=${state.minRides}`);
  state.summary = summary;
  render();
  if (!(to in state.shownAt)) state.shownAt[to] = Date.now();
  if (state.selected) await loadSeries(state.selected);
}

function render() {
  const summary = state.summary;
  const totals = summary?.totals ?? [];
  const ranked = new Set(summary?.ranked ?? []);
  const values = totals.filter((t) => ranked.has(t.neighborhood)).map((t) => t.tipPerMile);
  const breaks = classBreaks(values);
  map.removeFeatureState({ source: 'neighborhoods' });
  for (const t of totals) {
    const fill = ranked.has(t.neighborhood) ? colourOf(t.tipPerMile, breaks) : SPARSE_COLOUR;
    map.setFeatureState({ source: 'neighborhoods', id: t.neighborhood }, { fill, hasData: true });
  }
  renderLegend(breaks, values.length > 0);
  renderRanked();
  renderInfo();
  renderLabels();
  if (!state.fitted && totals.length > 0) fitTo(new Set(totals.map((t) => t.neighborhood)));
}

function renderLegend(breaks, hasValues) {
  const items = [];
  if (hasValues) {
    const edges = [null, ...breaks, null];
    classColours(breaks).forEach((colour, i) => {
      const low = edges[i];
      const high = edges[i + 1];
      const label = low === null && high === null ? 'every ranked neighborhood' : low === null ? `below $${money(high)}` : high === null ? `$${money(low)} and more` : `$${money(low)} to $${money(high)}`;
      items.push([colour, label]);
    });
  }
  items.push([SPARSE_COLOUR, `grey: fewer than ${state.minRides} rides over the span (not ranked), or no miles`], ['hatched', 'hatched: no rides in the span']);
  $('legend').replaceChildren(
    ...items.map(([colour, label]) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = colour === 'hatched' ? 'swatch hatched' : 'swatch';
      if (colour !== 'hatched') swatch.style.background = colour;
      li.append(swatch, label);
      return li;
    }),
  );
}

function renderRanked() {
  const byName = new Map((state.summary?.totals ?? []).map((t) => [t.neighborhood, t]));
  const sorted = (state.summary?.ranked ?? []).map((name) => byName.get(name));
  const item = (t) => {
    const li = document.createElement('li');
    li.dataset.neighborhood = t.neighborhood;
    if (t.neighborhood === state.selected) li.className = 'selected';
    const figure = document.createElement('span');
    figure.textContent = `$${money(t.tipPerMile)}/mi · ${t.rides} rides`;
    li.append(t.neighborhood, figure);
    li.addEventListener('click', () => void select(t.neighborhood));
    return li;
  };
  const top = sorted.slice(0, TOP);
  const bottom = sorted.slice(top.length).reverse().slice(0, BOTTOM);
  $('top-title').textContent = `Best tip per mile (at least ${state.minRides} rides, as npm start ranks them)`;
  $('top').replaceChildren(...top.map(item));
  $('bottom').replaceChildren(...bottom.map(item));
}

function spanText() {
  if (state.windows.length === 0) return 'no windows stored yet';
  const first = state.windows[state.from];
  const last = state.windows[state.to];
  const count = state.to - state.from + 1;
  const what = { run: 'the whole run', all: 'every stored window', hour: 'the last hour', latest: `the latest ${state.liveSpan} windows`, window: 'one window', custom: 'a chosen span' }[state.preset];
  return `${what}: ${count} window${count === 1 ? '' : 's'}, ${utc(first.windowStart)} to ${utc(last.windowEnd)} UTC`;
}

function renderInfo() {
  const info = $('info');
  if (state.windows.length === 0) {
    const empty = document.createElement('span');
    empty.className = 'empty';
    empty.textContent = 'no results yet: run `npm start`';
    info.replaceChildren(empty, ` (keyspace ${state.keyspace}: no windows stored)`);
    return;
  }
  const newest = state.windows.at(-1);
  const city = state.summary?.city;
  const parts = [
    `keyspace ${state.keyspace}`,
    `${windowSizeText()} windows`,
    `${state.windows.length} stored, newest ending ${utc(newest.windowEnd)} UTC`,
    `showing ${spanText()}`,
    city ? `${city.rides.toLocaleString('en-US')} rides, city-wide $${money(city.tipPerMile)} a mile` : '',
    state.follow ? 'following new windows' : '',
  ];
  info.textContent = parts.filter(Boolean).join(' · ');
}

function renderSpanControls() {
  const max = String(Math.max(0, state.windows.length - 1));
  for (const id of ['from', 'to']) {
    $(id).max = max;
    $(id).disabled = state.windows.length < 2;
  }
  $('from').value = String(state.from);
  $('to').value = String(state.to);
  $('preset').value = state.preset;
  $('follow').checked = state.follow;
  $('span-label').textContent = spanText();
}

/**
 * Fits the map to the neighborhoods with data. Names repeat across the boundary file (the Zillow
 * file of New York State has a "Downtown" in several cities), so a feature far from the median
 * of the others (more than half a degree) is left out: the map fitted upstate cities otherwise.
 */
function fitTo(names) {
  const boxes = neighborhoods.features
    .filter((feature) => names.has(feature.properties.name))
    .map((feature) => {
      const box = new maplibregl.LngLatBounds();
      const extend = (coords) => (typeof coords[0] === 'number' ? box.extend(coords) : coords.forEach(extend));
      extend(feature.geometry.coordinates);
      return box;
    })
    .filter((box) => !box.isEmpty());
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const centers = boxes.map((box) => box.getCenter());
  const lng = median(centers.map((c) => c.lng));
  const lat = median(centers.map((c) => c.lat));
  const bounds = new maplibregl.LngLatBounds();
  boxes.forEach((box, i) => {
    if (Math.abs(centers[i].lng - lng) <= 0.5 && Math.abs(centers[i].lat - lat) <= 0.5) bounds.extend(box);
  });
  if (!bounds.isEmpty()) {
    map.fitBounds(bounds, { padding: 30, animate: false });
    state.fitted = true;
  }
}

function renderLabels() {
  const ridesOf = new Map((state.summary?.totals ?? []).map((t) => [t.neighborhood, t.rides]));
  const named = neighborhoods.features
    .filter((f) => ridesOf.has(f.properties.name) && anchors.has(f.properties.name))
    .sort((a, b) => ridesOf.get(b.properties.name) - ridesOf.get(a.properties.name))
    .map((f) => ({ text: f.properties.name, at: anchors.get(f.properties.name) }));
  const boroughLabels = (boroughs?.features ?? []).map((f) => ({ text: f.properties.name, at: anchorOf(f.geometry), className: 'borough' }));
  placeLabels(map, $('labels'), [...boroughLabels, ...named]);
}

async function select(neighborhood) {
  state.selected = neighborhood;
  renderRanked();
  await loadSeries(neighborhood);
}

async function loadSeries(neighborhood) {
  const request = ++seriesRequest;
  const from = state.windows[state.from].windowEnd;
  const to = state.windows[state.to].windowEnd;
  const series = await getJson(`/api/series?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&neighborhood=${encodeURIComponent(neighborhood)}`);
  if (request !== seriesRequest) return;
  state.series = series;
  $('chart-panel').hidden = false;
  const total = state.summary?.totals.find((t) => t.neighborhood === neighborhood);
  $('chart-title').textContent = `${neighborhood}: tip per mile per window, ${spanText()}${total ? ` (over the span $${money(total.tipPerMile)} a mile, ${total.rides} rides)` : ''}`;
  chart = drawChart($('chart'), neighborhood, series.points, chart);
  window.tipstream.chart = chart;
  const csv = $('csv');
  if (csv.href.startsWith('blob:')) URL.revokeObjectURL(csv.href);
  csv.href = URL.createObjectURL(new Blob([seriesCsv(neighborhood, series.points)], { type: 'text/csv' }));
  csv.download = `tipstream-${neighborhood.replace(/[^A-Za-z0-9]+/g, '-')}-${from.slice(0, 16)}-${to.slice(0, 16)}.csv`.replace(/:/g, '');
}

function addWindow(windowEnd, rows) {
  const summary = {
    windowStart: rows[0]?.windowStart ?? windowEnd,
    windowEnd,
    neighborhoods: rows.length,
    rides: rows.reduce((sum, r) => sum + r.rideCount, 0),
  };
  const at = state.windows.findIndex((w) => w.windowEnd >= windowEnd);
  if (at === -1) state.windows.push(summary);
  else if (state.windows[at].windowEnd === windowEnd) state.windows[at] = summary;
  else state.windows.splice(at, 0, summary);
  if (state.runStart === null) state.runStart = windowEnd;
  return at === -1;
}

function renderHealth() {
  const parts = [];
  const add = (text, cls) => {
    const span = document.createElement('span');
    span.textContent = text;
    if (cls) span.className = cls;
    parts.push(span);
  };
  if (state.streamDown) add('dashboard server unreachable: reconnecting, showing the last data', 'down');
  const h = state.health;
  if (!h) {
    add('waiting for health…');
  } else {
    const c = h.cassandra;
    if (c.status === 'pending') add('reading Cassandra…');
    else add(c.status === 'up' ? 'Cassandra up' : `Cassandra unreachable (${c.error}): showing the last data`, c.status === 'up' ? '' : 'down');
    const job = h.job;
    if (job.status === 'pending') add('asking Flink…');
    if (job.status === 'no-job') add('no job deployed');
    if (job.status === 'lost') add(job.error, 'down');
    if (job.status === 'down') {
      const reason = job.error.length > 120 ? `${job.error.slice(0, 120)}…` : job.error;
      add(`Flink unreachable at ${job.flinkUrl} (${reason})${job.metrics ? ': the job figures shown are the last known' : ''}`, 'down');
    }
    const m = job.metrics;
    if (m) {
      const stale = job.status === 'up' ? '' : 'stale';
      const n = (v) => (v === null || v === undefined ? 'unknown' : String(v));
      add(`job ${m.state}, ${n(m.restarts)} restarts`, stale);
      add(`events in ${job.eventsInPerSecond === null ? '-' : Math.round(job.eventsInPerSecond)}/s`, stale);
      add(`malformed ${n(m.malformedRides)} rides, ${n(m.malformedFares)} fares`, stale);
      // Records whose clock is wrong: dead-lettered, they moved no window (README, "Event time and bad clocks").
      add(`implausible time ${n(m.implausibleRides)} rides, ${n(m.implausibleFares)} fares`, (m.implausibleRides || m.implausibleFares) && !stale ? 'warn' : stale);
      add(`trips joined ${n(m.tripsJoined)}`, stale);
      // Live mode's event time runs ahead of the wall: its lag is against its clock, as its terminal says it.
      const lag = job.watermarkLagSeconds ?? null;
      add(`watermark lag ${lag === null ? '-' : `${lag} s`}${job.pace === 'live' ? ' of event time (live clock)' : ''}`, stale);
    }
  }
  $('health').replaceChildren(...parts);
}

function showTooltip(event) {
  const feature = event.features?.[0];
  const tooltip = $('tooltip');
  if (!feature) {
    tooltip.hidden = true;
    return;
  }
  const name = feature.properties.name;
  const total = state.summary?.totals.find((t) => t.neighborhood === name);
  const table = document.createElement('table');
  const line = (label, value) => {
    const tr = table.insertRow();
    tr.insertCell().textContent = label;
    tr.insertCell().textContent = value;
  };
  const title = document.createElement('strong');
  title.textContent = name;
  if (total) {
    line('rides', String(total.rides));
    line('avg fare', `$${money(total.averageFare)}`);
    line('avg tip', `$${money(total.averageTip)}`);
    line('tip per mile', total.tipPerMile === null ? '-' : `$${money(total.tipPerMile)}`);
    line('click', 'for its chart');
  } else {
    line('no rides in this span', '');
  }
  tooltip.replaceChildren(title, table);
  tooltip.style.left = `${event.originalEvent.clientX + 12}px`;
  tooltip.style.top = `${event.originalEvent.clientY + 12}px`;
  tooltip.hidden = false;
}

/** Diagonal lines for the neighborhoods without rides, drawn once into an image MapLibre can tile. */
function hatchImage() {
  const size = 8;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const onLine = (x + y) % size === 0;
      data.set(onLine ? [138, 138, 138, 255] : [243, 243, 238, 255], i);
    }
  }
  return { width: size, height: size, data };
}

const [settings, neighborhoods, stored] = await Promise.all([getJson('/api/settings'), getJson('/api/neighborhoods.geojson'), getJson('/api/windows')]);
const anchors = new Map(neighborhoods.features.map((f) => [f.properties.name, anchorOf(f.geometry)]));
let boroughs = null;
state.minRides = query.get('minRides') === null ? settings.minRides : Number(query.get('minRides'));
state.liveSpan = query.get('span') === null ? settings.liveSpan : Number(query.get('span'));
state.keyspace = stored.keyspace;
state.windows = stored.windows;
state.runStart = stored.runStart;

const map = new maplibregl.Map({
  container: 'map',
  // A water-coloured background, the boroughs as land and our polygons: no tile, sprite or glyph source is ever requested.
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': WATER_COLOUR } }] },
  center: [-73.95, 40.71],
  zoom: 9.6,
  attributionControl: false,
});
window.tipstream = { map, state, chart: null };

await new Promise((resolve) => map.once('load', resolve));
map.addImage('hatch', hatchImage());
map.addSource('neighborhoods', { type: 'geojson', data: neighborhoods, promoteId: 'name' });
map.addLayer({
  id: 'neighborhood-fill',
  type: 'fill',
  source: 'neighborhoods',
  paint: { 'fill-color': ['coalesce', ['feature-state', 'fill'], NO_DATA_COLOUR], 'fill-opacity': 0.9 },
});
map.addLayer({
  id: 'neighborhood-hatch',
  type: 'fill',
  source: 'neighborhoods',
  paint: { 'fill-pattern': 'hatch', 'fill-opacity': ['case', ['boolean', ['feature-state', 'hasData'], false], 0, 0.6] },
});
map.addLayer({ id: 'neighborhood-outline', type: 'line', source: 'neighborhoods', paint: { 'line-color': '#666', 'line-width': 0.4 } });
map.on('mousemove', 'neighborhood-fill', showTooltip);
map.on('mouseleave', 'neighborhood-fill', () => ($('tooltip').hidden = true));
map.on('click', 'neighborhood-fill', (event) => {
  const name = event.features?.[0]?.properties.name;
  if (name) void select(name);
});
map.on('moveend', renderLabels);

// The boroughs take the server a few seconds to dissolve the first time: drawn when they come.
void getJson('/api/boroughs.geojson').then(
  (collection) => {
    boroughs = collection;
    map.addSource('boroughs', { type: 'geojson', data: collection });
    map.addLayer({ id: 'borough-land', type: 'fill', source: 'boroughs', paint: { 'fill-color': '#fbfbf7' } }, 'neighborhood-fill');
    map.addLayer({ id: 'borough-outline', type: 'line', source: 'boroughs', paint: { 'line-color': '#3a4a5a', 'line-width': 1.6 } });
    renderLabels();
  },
  () => undefined,
);

$('preset').addEventListener('change', (event) => {
  state.chosen = true;
  state.follow = event.target.value === 'latest' || (state.follow && event.target.value !== 'custom');
  applyPreset(event.target.value);
  void refresh();
});
for (const id of ['from', 'to']) {
  $(id).addEventListener('input', (event) => {
    state.chosen = true;
    state.preset = 'custom';
    const index = Number(event.target.value);
    if (id === 'from') [state.from, state.to] = [index, Math.max(index, state.to)];
    else [state.from, state.to] = [Math.min(state.from, index), index];
    state.follow = state.to === state.windows.length - 1 && state.follow;
    void refresh();
  });
}
$('follow').addEventListener('change', (event) => {
  state.chosen = true;
  state.follow = event.target.checked;
  if (state.follow && state.windows.length > 0) {
    const length = state.to - state.from;
    state.to = state.windows.length - 1;
    state.from = Math.max(0, state.to - length);
  }
  void refresh();
});
$('chart-close').addEventListener('click', () => {
  state.selected = null;
  $('chart-panel').hidden = true;
  renderRanked();
});

const events = new EventSource('/api/events');
events.addEventListener('open', () => {
  state.streamDown = false;
  renderHealth();
});
events.addEventListener('error', () => {
  state.streamDown = true;
  renderHealth();
});
events.addEventListener('health', (event) => {
  state.health = JSON.parse(event.data);
  renderHealth();
});
events.addEventListener('window', (event) => {
  const { windowEnd, rows } = JSON.parse(event.data);
  const wasEmpty = state.windows.length === 0;
  const isNewest = addWindow(windowEnd, rows);
  // New windows arriving mean a live job is producing them: follow a rolling span of the latest
  // ones, unless the person has chosen what to see.
  if (isNewest && !state.chosen && !wasEmpty) {
    state.follow = true;
    applyPreset('latest');
  } else if (wasEmpty || (state.follow && isNewest)) {
    const length = wasEmpty ? 0 : state.to - state.from;
    state.to = state.windows.length - 1;
    state.from = Math.max(0, state.to - length);
  } else {
    // A window before the span's end moves the indexes of the ones after it.
    const from = state.windows.findIndex((w) => w.windowEnd === state.summary?.from);
    const to = state.windows.findIndex((w) => w.windowEnd === state.summary?.to);
    if (from >= 0 && to >= 0) [state.from, state.to] = [from, to];
  }
  void refresh();
});

renderHealth();
if (state.windows.length > 0) applyPreset('run');
await refresh();
