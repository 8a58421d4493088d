// One neighborhood's tip per mile, window by window over the span shown, beside the city-wide
// value, with its ride counts as bars (uPlot, served by the dashboard), and the same points as CSV.
import uPlot from '/vendor/uplot/uPlot.esm.js';

const CSV_HEADER = ['window_start', 'window_end', 'neighborhood', 'rides', 'tip_per_mile', 'city_rides', 'city_tip_per_mile'];

/** The series' points as CSV: one line per window, empty where the neighborhood had no ride. */
export function seriesCsv(neighborhood, points) {
  const field = (v) => (v === null || v === undefined ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  const lines = points.map((p) => [p.windowStart, p.windowEnd, neighborhood, p.rides, p.tipPerMile, p.cityRides, p.cityTipPerMile].map(field).join(','));
  return `${[CSV_HEADER.join(','), ...lines].join('\n')}\n`;
}

/** uPlot's columns: x in seconds, then the neighborhood's tip per mile, the city's, the rides. */
export function chartData(points) {
  return [
    points.map((p) => Date.parse(p.windowEnd) / 1000),
    points.map((p) => p.tipPerMile),
    points.map((p) => p.cityTipPerMile),
    points.map((p) => p.rides),
  ];
}

export function drawChart(container, neighborhood, points, previous) {
  previous?.destroy();
  const width = Math.max(300, container.clientWidth || container.parentElement.clientWidth - 24);
  const options = {
    width,
    height: 190,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, rides: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    series: [
      { label: 'window end (UTC)' },
      { label: `${neighborhood} $/mile`, stroke: '#253494', width: 2, points: { show: true, size: 6 }, value: (_u, v) => (v === null ? '-' : `$${v.toFixed(2)}`) },
      { label: 'city-wide $/mile', stroke: '#d95f02', width: 1.5, dash: [6, 4], value: (_u, v) => (v === null ? '-' : `$${v.toFixed(2)}`) },
      { label: `${neighborhood} rides`, scale: 'rides', stroke: '#9e9e9e', fill: '#9e9e9e55', paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } },
    ],
    axes: [{}, { label: 'tip per mile ($)', size: 50 }, { side: 1, scale: 'rides', label: 'rides', grid: { show: false }, size: 45 }],
  };
  return new uPlot(options, chartData(points), container);
}
