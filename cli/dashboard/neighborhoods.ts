// The neighborhood boundaries the udf-service looks points up in, as GeoJSON small enough for a
// browser: simplified (a map at city zoom needs no metre-level detail) and rounded to 5 decimals
// (about a metre), each feature named by the `name` property the page joins results on.
import simplify from '@turf/simplify';
import truncate from '@turf/truncate';
import type { FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { loadBoundaries, type LoadOptions } from '../../udf-service/index.js';

/** Degrees; about 10 m at New York's latitude, below what a city-wide map shows. */
const SIMPLIFY_TOLERANCE = 0.0001;

export type NeighborhoodCollection = FeatureCollection<Polygon | MultiPolygon, { name: string }>;

export async function loadNeighborhoodGeoJson(path: string, options: LoadOptions): Promise<NeighborhoodCollection> {
  const { boundaries } = await loadBoundaries(path, options);
  const collection: NeighborhoodCollection = {
    type: 'FeatureCollection',
    features: boundaries.map((b) => ({ type: 'Feature', properties: { name: b.name }, geometry: b.geometry })),
  };
  // mutate: the collection is ours alone, and copying 500 polygons twice buys nothing.
  const simplified = simplify(collection, { tolerance: SIMPLIFY_TOLERANCE, highQuality: false, mutate: true });
  return truncate(simplified, { precision: 5, coordinates: 2, mutate: true });
}
