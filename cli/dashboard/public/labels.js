// Names on a map without glyphs: an HTML overlay of borough names and of the neighborhoods that
// have data, each placed at its anchor and left out where it would overlap a name already placed
// (boroughs first, then neighborhoods by rides), so more names appear as one zooms in.

/** A point to write a polygon's name at: the middle of the bounding box of its largest ring. */
export function anchorOf(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const ring = polygon[0];
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    const area = (box[2] - box[0]) * (box[3] - box[1]);
    if (!best || area > best.area) best = { area, at: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2] };
  }
  return best?.at ?? null;
}

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Places `labels` ({ text, at: [lon, lat], className }) in priority order over the map. */
export function placeLabels(map, layer, labels) {
  const { width, height } = map.getContainer().getBoundingClientRect();
  const placed = [];
  const elements = [];
  for (const label of labels) {
    const point = map.project(label.at);
    if (point.x < 0 || point.y < 0 || point.x > width || point.y > height) continue;
    const div = document.createElement('div');
    div.textContent = label.text;
    if (label.className) div.className = label.className;
    div.style.left = `${point.x}px`;
    div.style.top = `${point.y}px`;
    elements.push(div);
    placed.push({ div, label, point });
  }
  layer.replaceChildren(...elements);
  // Measured once in the document, then the ones that collide with an earlier name are removed.
  const kept = [];
  for (const { div } of placed) {
    const box = div.getBoundingClientRect();
    const padded = { left: box.left - 2, right: box.right + 2, top: box.top - 1, bottom: box.bottom + 1 };
    if (kept.some((k) => overlaps(k, padded))) div.remove();
    else kept.push(padded);
  }
}
