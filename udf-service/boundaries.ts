// Loads neighborhood boundaries from an ESRI shapefile (.shp + .dbf, optional .prj, or a .zip
// holding them) or a GeoJSON file, into named polygons in lon/lat. A projected or non-WGS84
// .prj is reprojected with proj4; one it cannot read is a start-up error, never silent garbage.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { unzipSync } from 'fflate';
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from 'geojson';
import proj4 from 'proj4';
import * as shapefile from 'shapefile';
import { UserError } from '../common/errors.js';

export interface Boundary {
  name: string;
  geometry: Polygon | MultiPolygon;
}

export interface LoadOptions {
  /** The attribute holding the neighborhood name (Zillow: Name; taxi zones: zone). */
  nameField: string;
  /** Keep only features whose attribute equals a value: "City=New York". */
  where?: string;
}

export interface LoadedBoundaries {
  boundaries: Boundary[];
  /** What the coordinates were converted from, for the start-up log. */
  coordinateSystem: string;
  skipped: number;
}

function loadError(path: string, problem: string, cause?: unknown): UserError {
  return new UserError('TIPSTREAM_INPUT', `boundaries ${path}: ${problem}`, cause === undefined ? {} : { cause });
}

export async function loadBoundaries(path: string, options: LoadOptions): Promise<LoadedBoundaries> {
  if (!existsSync(path)) throw loadError(path, 'no such file');
  const extension = extname(path).toLowerCase();
  let features: Array<Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>>;
  let toLonLat: ((p: Position) => Position) | undefined;
  let coordinateSystem = 'WGS84 (GeoJSON)';
  if (extension === '.geojson' || extension === '.json') {
    features = await readGeoJson(path);
  } else if (extension === '.zip' || extension === '.shp') {
    const files = extension === '.zip' ? await filesFromZip(path) : await filesBeside(path);
    const projection = projectionOf(path, files.prj);
    toLonLat = projection.toLonLat;
    coordinateSystem = projection.description;
    features = await readShapefile(path, files.shp, files.dbf);
  } else {
    throw loadError(path, `unsupported file type '${extension}': give a .shp, a .zip holding one, or a .geojson`);
  }
  if (features.length === 0) throw loadError(path, 'holds no features');
  const filter = parseWhere(path, options.where);
  const boundaries: Boundary[] = [];
  let skipped = 0;
  let sawNameField = false;
  for (const feature of features) {
    const properties = feature.properties ?? {};
    if (options.nameField in properties) sawNameField = true;
    if (filter && String(properties[filter.field] ?? '') !== filter.value) continue;
    const name = properties[options.nameField];
    const geometry = feature.geometry;
    if (typeof name !== 'string' || name.trim() === '' || !geometry || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) {
      skipped += 1;
      continue;
    }
    boundaries.push({ name: name.trim(), geometry: toLonLat ? reproject(geometry, toLonLat) : geometry });
  }
  if (!sawNameField) {
    const fields = Object.keys(features[0]?.properties ?? {}).join(', ');
    throw loadError(path, `no feature has the name field '${options.nameField}' (fields: ${fields || 'none'}); choose one with --name-field`);
  }
  if (boundaries.length === 0) throw loadError(path, `no polygon with a name is left${options.where ? ` after --where '${options.where}'` : ''}`);
  return { boundaries, coordinateSystem, skipped };
}

function parseWhere(path: string, where: string | undefined): { field: string; value: string } | undefined {
  if (where === undefined) return undefined;
  const at = where.indexOf('=');
  if (at <= 0) throw loadError(path, `--where must look like 'Field=Value', got '${where}'`);
  return { field: where.slice(0, at).trim(), value: where.slice(at + 1).trim() };
}

async function readGeoJson(path: string): Promise<Array<Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw loadError(path, 'is not valid JSON', cause);
  }
  const collection = parsed as Partial<FeatureCollection>;
  if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) throw loadError(path, 'is not a GeoJSON FeatureCollection');
  return collection.features as Array<Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>>;
}

interface ShapefileParts {
  shp: Uint8Array;
  dbf: Uint8Array;
  prj?: string;
}

async function filesFromZip(path: string): Promise<ShapefileParts> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(await readFile(path)));
  } catch (cause) {
    throw loadError(path, 'is not a readable zip archive', cause);
  }
  const find = (ext: string) => Object.entries(entries).find(([name]) => name.toLowerCase().endsWith(ext) && !basename(name).startsWith('.'))?.[1];
  const shp = find('.shp');
  const dbf = find('.dbf');
  if (!shp || !dbf) throw loadError(path, 'the zip must hold a .shp and a .dbf');
  const prj = find('.prj');
  return { shp, dbf, ...(prj ? { prj: Buffer.from(prj).toString('utf8') } : {}) };
}

async function filesBeside(path: string): Promise<ShapefileParts> {
  const stem = path.slice(0, -extname(path).length);
  const dbfPath = [`${stem}.dbf`, `${stem}.DBF`].find(existsSync);
  if (!dbfPath) throw loadError(path, `the .dbf beside it (${stem}.dbf) is missing`);
  const prjPath = [`${stem}.prj`, `${stem}.PRJ`].find(existsSync);
  return {
    shp: new Uint8Array(await readFile(path)),
    dbf: new Uint8Array(await readFile(dbfPath)),
    ...(prjPath ? { prj: await readFile(prjPath, 'utf8') } : {}),
  };
}

async function readShapefile(path: string, shp: Uint8Array, dbf: Uint8Array): Promise<Array<Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>>> {
  try {
    const source = await shapefile.open(toArrayBuffer(shp), toArrayBuffer(dbf));
    const features: Array<Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>> = [];
    for (;;) {
      const next = await source.read();
      if (next.done) break;
      features.push(next.value as Feature<Polygon | MultiPolygon | null, Record<string, unknown> | null>);
    }
    return features;
  } catch (cause) {
    throw loadError(path, 'is not a readable shapefile', cause);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Geographic NAD83/WGS84 needs no conversion (they differ by about a metre); anything else is reprojected. */
function projectionOf(path: string, prj: string | undefined): { toLonLat?: (p: Position) => Position; description: string } {
  if (prj === undefined) return { description: 'no .prj: assumed lon/lat (WGS84)' };
  const wkt = prj.trim();
  if (/^GEOGCS\[/i.test(wkt) && /(WGS_?1984|WGS 84|North_American_1983|NAD_?83)/i.test(wkt)) {
    return { description: `geographic (${/^GEOGCS\["([^"]+)"/i.exec(wkt)?.[1] ?? 'lon/lat'})` };
  }
  let converter: proj4.Converter;
  try {
    converter = proj4(wkt, 'WGS84');
    const probe = converter.forward([0, 0]);
    if (!probe.every(Number.isFinite)) throw new Error('the projection gives no finite coordinates');
  } catch (cause) {
    throw loadError(path, `its .prj is a coordinate system tipstream cannot convert to lon/lat (${wkt.slice(0, 60)}...)`, cause);
  }
  return {
    toLonLat: (p) => converter.forward([p[0]!, p[1]!]),
    description: `reprojected from ${/^(?:PROJCS|GEOGCS)\["([^"]+)"/i.exec(wkt)?.[1] ?? 'its .prj'}`,
  };
}

function reproject(geometry: Polygon | MultiPolygon, toLonLat: (p: Position) => Position): Polygon | MultiPolygon {
  const ring = (r: Position[]) => r.map(toLonLat);
  return geometry.type === 'Polygon'
    ? { type: 'Polygon', coordinates: geometry.coordinates.map(ring) }
    : { type: 'MultiPolygon', coordinates: geometry.coordinates.map((polygon) => polygon.map(ring)) };
}
