// Point → neighborhood: a Flatbush index over the polygons' bounding boxes narrows the search,
// then @turf/boolean-point-in-polygon decides exactly (holes and multipolygons included).
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import Flatbush from 'flatbush';
import type { MultiPolygon, Polygon, Position } from 'geojson';
import type { Boundary } from './boundaries.js';

export const UNKNOWN = 'Unknown';

interface IndexedBoundary extends Boundary {
  /** Planar area in square degrees: only compared between polygons, to pick the smallest. */
  area: number;
}

export class NeighborhoodIndex {
  private readonly index: Flatbush;
  private readonly boundaries: IndexedBoundary[];
  private readonly candidates: number[] = [];

  constructor(boundaries: Boundary[]) {
    // Overlaps resolve to the smallest polygon (the most specific neighborhood), then by name:
    // sorting once here makes every lookup's answer independent of the file's order.
    this.boundaries = boundaries
      .map((b) => ({ ...b, area: geometryArea(b.geometry) }))
      .sort((a, b) => a.area - b.area || a.name.localeCompare(b.name));
    this.index = new Flatbush(Math.max(1, this.boundaries.length));
    for (const boundary of this.boundaries) {
      const [minX, minY, maxX, maxY] = bbox(boundary.geometry);
      this.index.add(minX, minY, maxX, maxY);
    }
    if (this.boundaries.length === 0) this.index.add(0, 0, 0, 0);
    this.index.finish();
  }

  get size(): number {
    return this.boundaries.length;
  }

  /** The neighborhood holding the point, or `Unknown`. Coordinates must already be validated. */
  lookup(lon: number, lat: number): string {
    const hits = this.index.search(lon, lat, lon, lat, undefined);
    if (hits.length === 0) return UNKNOWN;
    // Indexes follow the sorted order, so the smallest matching polygon is the lowest index.
    hits.sort((a, b) => a - b);
    const point: Position = [lon, lat];
    for (const i of hits) {
      const boundary = this.boundaries[i];
      if (boundary && booleanPointInPolygon(point, boundary.geometry)) return boundary.name;
    }
    return UNKNOWN;
  }

  names(): string[] {
    return [...new Set(this.boundaries.map((b) => b.name))].sort();
  }
}

function bbox(geometry: Polygon | MultiPolygon): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const polygon of polygons) {
    for (const [x, y] of polygon[0] ?? []) {
      if (x! < minX) minX = x!;
      if (y! < minY) minY = y!;
      if (x! > maxX) maxX = x!;
      if (y! > maxY) maxY = y!;
    }
  }
  return [minX, minY, maxX, maxY];
}

/** Shoelace area of the outer rings minus the holes. */
function geometryArea(geometry: Polygon | MultiPolygon): number {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let total = 0;
  for (const [outer, ...holes] of polygons) {
    total += ringArea(outer ?? []);
    for (const hole of holes) total -= ringArea(hole);
  }
  return total;
}

function ringArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[j]![0]! + ring[i]![0]!) * (ring[j]![1]! - ring[i]![1]!);
  return Math.abs(sum) / 2;
}
