// The dashboard page: a MapLibre choropleth of average tip per mile for one window, a legend,
// the ranked neighborhoods, a slider over the stored windows that follows the newest unless
// pinned, and a health strip. Data comes from this dashboard's own API; no tiles or glyphs are
// requested (the style has no sources of its own and no text layers), so it works offline.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';

const PALETTE = ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#2c7fb8', '#253494'];
const SPARSE_COLOUR = '#9e9e9e';
const NO_DATA_COLOUR = '#eeeeee';
const RANKED = 5;

const $ = (id) => document.getElementById(id);
const money = (n) => (n === null || n === undefined ? '-' : n.toFixed(2));

const state = {
  minRides: 5,
  windows: [], // { windowEnd, windowStart, neighborhoods, rides }, oldest first
  rows: new Map(), // windowEnd -> rows
  shown: null, // windowEnd on the map
  follow: true,
  fitted: false,
  health: null,
  streamDown: false,
  /** windowEnd -> Date.now() when the map first showed it (read by the browser test). */
  shownAt: {},
};

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.json().catch(() => ({}))).error ?? ''}`);
  return response.json();
}

/**
 * Quantile class breaks over the window's ranked values (every class holds about as many
 * neighborhoods), without repeats: a window of few neighborhoods has fewer classes.
 */
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

function colourOf(value, breaks) {
  return classColours(breaks)[breaks.filter((b) => value >= b).length];
}

const ranked = (row) => row.averageTipPerMile !== null && row.rideCount >= state.minRides;

function render() {
  const windowEnd = state.shown;
  const rows = windowEnd ? state.rows.get(windowEnd) ?? [] : [];
  const values = rows.filter(ranked).map((r) => r.averageTipPerMile);
  const breaks = classBreaks(values);
  map.removeFeatureState({ source: 'neighborhoods' });
  for (const row of rows) {
    const fill = ranked(row) ? colourOf(row.averageTipPerMile, breaks) : SPARSE_COLOUR;
    map.setFeatureState({ source: 'neighborhoods', id: row.neighborhood }, { fill });
  }
  renderLegend(breaks, values.length > 0);
  renderRanked(rows);
  renderWindowControls();
  if (windowEnd && !(windowEnd in state.shownAt)) state.shownAt[windowEnd] = Date.now();
  if (!state.fitted && rows.length > 0) fitTo(new Set(rows.map((r) => r.neighborhood)));
}

function renderLegend(breaks, hasValues) {
  const items = [];
  if (hasValues) {
    const edges = [null, ...breaks, null];
    classColours(breaks).forEach((colour, i) => {
      const low = edges[i];
      const high = edges[i + 1];
      const label = low === null && high === null ? 'every neighborhood ranked' : low === null ? `below $${money(high)}` : high === null ? `$${money(low)} and more` : `$${money(low)} to $${money(high)}`;
      items.push([colour, label]);
    });
  }
  items.push([SPARSE_COLOUR, `fewer than ${state.minRides} rides, or no miles`], [NO_DATA_COLOUR, 'no rides in this window']);
  $('legend').replaceChildren(
    ...items.map(([colour, label]) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colour;
      li.append(swatch, label);
      return li;
    }),
  );
}

function renderRanked(rows) {
  const sorted = rows.filter(ranked).sort((a, b) => b.averageTipPerMile - a.averageTipPerMile || b.rideCount - a.rideCount);
  const item = (row) => {
    const li = document.createElement('li');
    li.dataset.neighborhood = row.neighborhood;
    const figure = document.createElement('span');
    figure.textContent = `$${money(row.averageTipPerMile)}/mi · ${row.rideCount}`;
    li.append(row.neighborhood, figure);
    return li;
  };
  // With fewer than twice RANKED neighborhoods, the better half is the top and the rest the bottom.
  const top = sorted.slice(0, Math.min(RANKED, Math.ceil(sorted.length / 2)));
  const bottom = sorted.slice(top.length).reverse().slice(0, RANKED);
  $('top').replaceChildren(...top.map(item));
  $('bottom').replaceChildren(...bottom.map(item));
}

function renderWindowControls() {
  const slider = $('slider');
  slider.max = String(Math.max(0, state.windows.length - 1));
  slider.disabled = state.windows.length < 2;
  const index = state.windows.findIndex((w) => w.windowEnd === state.shown);
  if (index >= 0) slider.value = String(index);
  const shown = state.windows[index];
  $('window-label').textContent = shown
    ? `window ${shown.windowStart.slice(0, 19).replace('T', ' ')} to ${shown.windowEnd.slice(11, 19)} UTC: ${shown.rides} rides in ${shown.neighborhoods} neighborhoods (${index + 1} of ${state.windows.length})`
    : 'no windows stored yet';
  $('follow').checked = state.follow;
}

function fitTo(names) {
  const bounds = new maplibregl.LngLatBounds();
  const extend = (coords) => (typeof coords[0] === 'number' ? bounds.extend(coords) : coords.forEach(extend));
  for (const feature of neighborhoods.features) if (names.has(feature.properties.name)) extend(feature.geometry.coordinates);
  if (!bounds.isEmpty()) {
    map.fitBounds(bounds, { padding: 20, animate: false });
    state.fitted = true;
  }
}

async function show(windowEnd) {
  if (!state.rows.has(windowEnd)) {
    const { rows } = await getJson(`/api/results?windowEnd=${encodeURIComponent(windowEnd)}`);
    state.rows.set(windowEnd, rows);
  }
  state.shown = windowEnd;
  render();
}

function addWindow(windowEnd, rows) {
  state.rows.set(windowEnd, rows);
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
}

function renderHealth() {
  const strip = $('health');
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
    if (job.status === 'no-job') add('no job deployed', 'down');
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
      add(`watermark lag ${m.watermarkLagSeconds === null ? '-' : `${m.watermarkLagSeconds} s`}`, stale);
    }
  }
  strip.replaceChildren(...parts);
}

function showTooltip(event) {
  const feature = event.features?.[0];
  const tooltip = $('tooltip');
  if (!feature) {
    tooltip.hidden = true;
    return;
  }
  const name = feature.properties.name;
  const row = (state.rows.get(state.shown) ?? []).find((r) => r.neighborhood === name);
  const table = document.createElement('table');
  const line = (label, value) => {
    const tr = table.insertRow();
    tr.insertCell().textContent = label;
    tr.insertCell().textContent = value;
  };
  const title = document.createElement('strong');
  title.textContent = name;
  if (row) {
    line('rides', String(row.rideCount));
    line('avg fare', `$${money(row.averageFareAmount)}`);
    line('avg tip', `$${money(row.averageTipAmount)}`);
    line('tip per mile', row.averageTipPerMile === null ? '-' : `$${money(row.averageTipPerMile)}`);
  } else {
    line('no rides in this window', '');
  }
  tooltip.replaceChildren(title, table);
  tooltip.style.left = `${event.originalEvent.clientX + 12}px`;
  tooltip.style.top = `${event.originalEvent.clientY + 12}px`;
  tooltip.hidden = false;
}

const [settings, neighborhoods, stored] = await Promise.all([
  getJson('/api/settings'),
  getJson('/api/neighborhoods.geojson'),
  getJson('/api/windows'),
]);
const fromQuery = new URLSearchParams(location.search).get('minRides');
state.minRides = fromQuery === null ? settings.minRides : Number(fromQuery);
state.windows = stored.windows;

const map = new maplibregl.Map({
  container: 'map',
  // A plain background and our polygons: no tile, sprite or glyph source is ever requested.
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f7f7f2' } }] },
  center: [-73.95, 40.73],
  zoom: 10,
  attributionControl: false,
});
window.tipstream = { map, state };

await new Promise((resolve) => map.once('load', resolve));
map.addSource('neighborhoods', { type: 'geojson', data: neighborhoods, promoteId: 'name' });
map.addLayer({
  id: 'neighborhood-fill',
  type: 'fill',
  source: 'neighborhoods',
  paint: { 'fill-color': ['coalesce', ['feature-state', 'fill'], NO_DATA_COLOUR], 'fill-opacity': 0.85 },
});
map.addLayer({ id: 'neighborhood-outline', type: 'line', source: 'neighborhoods', paint: { 'line-color': '#666', 'line-width': 0.4 } });
map.on('mousemove', 'neighborhood-fill', showTooltip);
map.on('mouseleave', 'neighborhood-fill', () => ($('tooltip').hidden = true));

$('slider').addEventListener('input', (event) => {
  const index = Number(event.target.value);
  state.follow = index === state.windows.length - 1;
  void show(state.windows[index].windowEnd);
});
$('follow').addEventListener('change', (event) => {
  state.follow = event.target.checked;
  if (state.follow && state.windows.length > 0) void show(state.windows[state.windows.length - 1].windowEnd);
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
  addWindow(windowEnd, rows);
  const newest = state.windows[state.windows.length - 1].windowEnd;
  if (state.follow && windowEnd === newest) void show(windowEnd);
  else if (windowEnd === state.shown) render();
  else renderWindowControls();
});

renderHealth();
if (state.windows.length > 0) await show(state.windows[state.windows.length - 1].windowEnd);
else render();
