// The city's context for a map without tiles: the five boroughs as outlines, dissolved from the
// TLC taxi zones the project ships (each zone carries its borough). Land drawn from them over a
// water-coloured background is also where the rivers and the bay show.
import simplify from '@turf/simplify';
import truncate from '@turf/truncate';
import union from '@turf/union';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { projectRoot } from '../../common/config.js';
import { loadBoundaries } from '../../udf-service/index.js';
import { join } from 'node:path';

export const taxiZonesPath = join(projectRoot, 'data', 'neighborhoods', 'nyc-taxi-zones', 'taxi_zones.shp');

/** Degrees; about 30 m, plenty for an outline under the neighborhoods. */
const SIMPLIFY_TOLERANCE = 0.0003;

export type BoroughCollection = FeatureCollection<Polygon | MultiPolygon, { name: string }>;

/** One feature per borough (EWR, Newark airport, is a taxi zone but not a borough of the city: left out). */
export async function loadBoroughGeoJson(path: string = taxiZonesPath): Promise<BoroughCollection> {
  const { boundaries } = await loadBoundaries(path, { nameField: 'borough' });
  const zonesByBorough = new Map<string, Array<Feature<Polygon | MultiPolygon>>>();
  for (const zone of boundaries) {
    if (zone.name === 'EWR') continue;
    const zones = zonesByBorough.get(zone.name) ?? [];
    zones.push({ type: 'Feature', properties: {}, geometry: zone.geometry });
    zonesByBorough.set(zone.name, zones);
  }
  const features: BoroughCollection['features'] = [];
  for (const [name, zones] of [...zonesByBorough].sort(([a], [b]) => a.localeCompare(b))) {
    const dissolved = zones.length === 1 ? zones[0] : union({ type: 'FeatureCollection', features: zones });
    if (dissolved) features.push({ type: 'Feature', properties: { name }, geometry: dissolved.geometry });
  }
  const collection: BoroughCollection = { type: 'FeatureCollection', features };
  const simplified = simplify(collection, { tolerance: SIMPLIFY_TOLERANCE, highQuality: false, mutate: true });
  return truncate(simplified, { precision: 5, coordinates: 2, mutate: true });
}
