// Point → neighborhood: a Flatbush index over the polygons' bounding boxes narrows the search,
// then @turf/boolean-point-in-polygon decides exactly (holes and multipolygons included). In front
// of both, answers are remembered per small grid cell that no polygon edge touches (all its points
// share one answer), so a point in a cell seen before skips the exact test.
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
  private readonly cells: CellCache;

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
    this.cells = new CellCache(this.boundaries.map((b) => b.geometry));
  }

  get size(): number {
    return this.boundaries.length;
  }

  /** The neighborhood holding the point, or `Unknown`. Coordinates must already be validated. */
  lookup(lon: number, lat: number): string {
    let match = this.cells.answer(lon, lat, this.exactMatch);
    if (match === CellCache.MIXED) match = this.exactMatch(lon, lat);
    return match < 0 ? UNKNOWN : this.boundaries[match]!.name;
  }

  /** The same answer without the cell cache: the index, then the exact test. */
  exactLookup(lon: number, lat: number): string {
    const match = this.exactMatch(lon, lat);
    return match < 0 ? UNKNOWN : this.boundaries[match]!.name;
  }

  /** The boundary holding the point (its position in the sorted list), or -1. */
  private readonly exactMatch = (lon: number, lat: number): number => {
    const hits = this.index.search(lon, lat, lon, lat, undefined);
    // Indexes follow the sorted order, so the smallest matching polygon is the lowest index.
    hits.sort((a, b) => a - b);
    const point: Position = [lon, lat];
    for (const i of hits) {
      const boundary = this.boundaries[i];
      if (boundary && booleanPointInPolygon(point, boundary.geometry)) return i;
    }
    return -1;
  };
}

/**
 * Answers remembered per grid cell (`cellSize` degrees square). A cell that some polygon edge
 * may touch (an edge's bounding box meets the cell) is `MIXED` and always asks the exact test;
 * any other cell lies wholly inside or outside each polygon, so the answer at its center holds
 * for all of it. Bounding boxes overestimate, which only sends more points to the exact test.
 */
class CellCache {
  static readonly MIXED = -2;
  /** Cells remembered at most (some 40 MB): a flood of far-flung points stops filling memory there. */
  static readonly CAPACITY = 500_000;
  private readonly edges: Flatbush;
  private readonly answers = new Map<number, number>();

  constructor(
    geometries: Array<Polygon | MultiPolygon>,
    private readonly cellSize = 0.0005,
  ) {
    const segments: Array<[Position, Position]> = [];
    for (const geometry of geometries) {
      for (const polygon of geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) {
        for (const ring of polygon) for (let i = 0; i < ring.length; i++) segments.push([ring[i]!, ring[(i + 1) % ring.length]!]);
      }
    }
    this.edges = new Flatbush(Math.max(1, segments.length));
    for (const [a, b] of segments) this.edges.add(Math.min(a[0]!, b[0]!), Math.min(a[1]!, b[1]!), Math.max(a[0]!, b[0]!), Math.max(a[1]!, b[1]!));
    if (segments.length === 0) this.edges.add(0, 0, 0, 0);
    this.edges.finish();
  }

  /** The remembered answer for the point's cell (computing it once), or MIXED. */
  answer(x: number, y: number, exact: (x: number, y: number) => number): number {
    const column = Math.floor(x / this.cellSize);
    const row = Math.floor(y / this.cellSize);
    // Within ±10^6 columns and rows (any lon/lat at the default size) the key is exact.
    if (!(Math.abs(column) < 1_000_000 && Math.abs(row) < 1_000_000)) return CellCache.MIXED;
    const key = (row + 1_000_000) * 2_000_001 + (column + 1_000_000);
    let answer = this.answers.get(key);
    if (answer === undefined) {
      // A hair wider than the cell, so rounding at its borders cannot hide an edge.
      const margin = this.cellSize * 1e-6;
      const [x0, y0] = [column * this.cellSize - margin, row * this.cellSize - margin];
      const [x1, y1] = [(column + 1) * this.cellSize + margin, (row + 1) * this.cellSize + margin];
      answer = this.edges.search(x0, y0, x1, y1).length > 0 ? CellCache.MIXED : exact((column + 0.5) * this.cellSize, (row + 0.5) * this.cellSize);
      if (this.answers.size < CellCache.CAPACITY) this.answers.set(key, answer);
    }
    return answer;
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
