import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWithFile, largerSets, readText, samples } from '../../support/data.js';
import { loadBoundaries, NeighborhoodIndex, UNKNOWN } from '../../../udf-service/index.js';

const zillow = samples.zillow;
const taxiZones = samples.taxiZones;
const referencePoint = { lon: -73.97912, lat: 40.7623177 };

function geojsonFile(features: unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tipstream-geo-')), 'b.geojson');
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features }));
  return path;
}

const square = (x0: number, y0: number, size: number) => [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]];

describe('neighborhood lookup on the real boundaries', () => {
  it("puts the reference's test point in Midtown with the Zillow shapefile", async () => {
    const { boundaries } = await loadBoundaries(zillow, { nameField: 'Name' });
    expect(new NeighborhoodIndex(boundaries).lookup(referencePoint.lon, referencePoint.lat)).toBe('Midtown');
  });

  it('puts it in Times Sq/Theatre District with the taxi zones, which needs reprojection from US feet', async () => {
    const loaded = await loadBoundaries(taxiZones, { nameField: 'zone' });
    expect(loaded.coordinateSystem).toMatch(/^reprojected from NAD_1983_StatePlane_New_York_Long_Island/);
    expect(new NeighborhoodIndex(loaded.boundaries).lookup(referencePoint.lon, referencePoint.lat)).toBe('Times Sq/Theatre District');
  });

  it('keeps only the features matching --where', async () => {
    const all = await loadBoundaries(zillow, { nameField: 'Name' });
    const nyc = await loadBoundaries(zillow, { nameField: 'Name', where: 'City=New York' });
    expect(all.boundaries).toHaveLength(579);
    expect(nyc.boundaries).toHaveLength(278);
  });

  it('resolves at least 97% of the DEBS sample pickups with non-zero coordinates', async () => {
    const index = new NeighborhoodIndex((await loadBoundaries(zillow, { nameField: 'Name' })).boundaries);
    const rows = readText(samples.debs).trim().split('\n');
    let considered = 0;
    let resolved = 0;
    for (const row of rows) {
      const fields = row.split(',');
      const lon = Number(fields[6]);
      const lat = Number(fields[7]);
      if (lon === 0 && lat === 0) continue;
      considered += 1;
      if (Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90 && index.lookup(lon, lat) !== UNKNOWN) resolved += 1;
    }
    expect(considered).toBeGreaterThan(9800);
    expect(resolved / considered).toBeGreaterThanOrEqual(0.97);
  });
});

describe('exact point-in-polygon rules', () => {
  const index = new NeighborhoodIndex([
    { name: 'Donut', geometry: { type: 'Polygon', coordinates: [square(0, 0, 10), square(4, 4, 2)] } },
    { name: 'Islands', geometry: { type: 'MultiPolygon', coordinates: [[square(20, 0, 2)], [square(30, 0, 2)]] } },
    { name: 'Big', geometry: { type: 'Polygon', coordinates: [square(50, 0, 10)] } },
    { name: 'Small', geometry: { type: 'Polygon', coordinates: [square(52, 2, 2)] } },
  ]);

  it('finds a point inside a polygon with a hole, and not inside the hole', () => {
    expect(index.lookup(1, 1)).toBe('Donut');
    expect(index.lookup(5, 5)).toBe(UNKNOWN);
  });

  it('finds points in every part of a multipolygon, and not between them', () => {
    expect(index.lookup(21, 1)).toBe('Islands');
    expect(index.lookup(31, 1)).toBe('Islands');
    expect(index.lookup(25, 1)).toBe(UNKNOWN);
  });

  it('answers Unknown outside every polygon (inside no bounding box too)', () => {
    expect(index.lookup(-100, -50)).toBe(UNKNOWN);
  });

  it('resolves overlaps to the smallest polygon, whatever the order of the file', () => {
    expect(index.lookup(53, 3)).toBe('Small');
    expect(index.lookup(51, 1)).toBe('Big');
    const reversed = new NeighborhoodIndex([
      { name: 'Small', geometry: { type: 'Polygon', coordinates: [square(52, 2, 2)] } },
      { name: 'Big', geometry: { type: 'Polygon', coordinates: [square(50, 0, 10)] } },
    ]);
    expect(reversed.lookup(53, 3)).toBe('Small');
  });
});

describe('the cell cache in front of the exact test', () => {
  /** Points on and beside every edge and vertex, and in every cell around them. */
  function pointsAround(boundaries: Awaited<ReturnType<typeof loadBoundaries>>['boundaries'], every: number): Array<[number, number]> {
    const points: Array<[number, number]> = [];
    let n = 0;
    for (const { geometry } of boundaries) {
      for (const polygon of geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) {
        for (const ring of polygon) {
          for (let i = 1; i < ring.length; i++) {
            if (n++ % every !== 0) continue;
            const [[x0, y0], [x1, y1]] = [ring[i - 1]!, ring[i]!] as [[number, number], [number, number]];
            points.push([x0, y0], [(x0 + x1) / 2, (y0 + y1) / 2]);
            // Beside the edge, a little and a cell or so away on either side.
            for (const d of [1e-7, 1e-5, 3e-4, 1e-3]) points.push([(x0 + x1) / 2 + d, (y0 + y1) / 2 - d], [(x0 + x1) / 2 - d, (y0 + y1) / 2 + d]);
          }
        }
      }
    }
    return points;
  }

  it('gives the exact answer on the real boundaries: on edges and vertices, beside them, at random and for real trips', async () => {
    for (const [path, nameField] of [[zillow, 'Name'], [taxiZones, 'zone']] as const) {
      const { boundaries } = await loadBoundaries(path, { nameField });
      const index = new NeighborhoodIndex(boundaries);
      const points = pointsAround(boundaries, 7);
      // Random points over New York City, twice each: the second lookup uses the remembered cell.
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let i = 0; i < 50_000; i++) points.push([-74.3 + random() * 0.6, 40.45 + random() * 0.5]);
      const rows = readText(samples.debs).trim().split('\n');
      for (const row of rows) {
        const f = row.split(',').map(Number);
        points.push([f[6]!, f[7]!], [f[8]!, f[9]!]);
      }
      expect(points.length).toBeGreaterThan(100_000);
      const differing = [...points, ...points].filter(([lon, lat]) => index.lookup(lon, lat) !== index.exactLookup(lon, lat));
      expect(differing).toEqual([]);
    }
  });

  it('answers inside a hole, on its edge and next to it as the exact test does', () => {
    const donut = new NeighborhoodIndex([{ name: 'Donut', geometry: { type: 'Polygon', coordinates: [square(0, 0, 0.01), square(0.004, 0.004, 0.002)] } }]);
    const points: Array<[number, number]> = [];
    for (let x = -0.001; x <= 0.011; x += 0.0001) for (let y = -0.001; y <= 0.011; y += 0.0001) points.push([x, y]);
    points.push([0.004, 0.005], [0.006, 0.006], [0, 0], [0.01, 0.005]);
    expect(points.filter(([x, y]) => donut.lookup(x, y) !== donut.exactLookup(x, y))).toEqual([]);
    expect(donut.lookup(0.005, 0.005)).toBe(UNKNOWN);
    expect(donut.lookup(0.001, 0.001)).toBe('Donut');
    expect(donut.lookup(0.004, 0.005)).toBe('Donut'); // on the hole's edge: turf counts the boundary in
  });
});

describe('loading errors are clear at start-up', () => {
  it('names a missing name field and lists the fields there are', async () => {
    await expect(loadBoundaries(zillow, { nameField: 'Neighbourhood' })).rejects.toThrow(/no feature has the name field 'Neighbourhood' \(fields: .*Name.*\)/);
  });

  it('refuses an empty file', async () => {
    await expect(loadBoundaries(geojsonFile([]), { nameField: 'name' })).rejects.toThrow(/holds no features/);
  });

  it('refuses a broken file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tipstream-geo-')), 'broken.zip');
    writeFileSync(path, 'this is not a zip');
    await expect(loadBoundaries(path, { nameField: 'Name' })).rejects.toThrow(/is not a readable zip archive/);
  });

  it('refuses a .prj it cannot understand, instead of giving wrong answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-shp-'));
    for (const ext of ['shp', 'shx', 'dbf']) copyFileSync(join(samples.taxiZonesDir, `taxi_zones.${ext}`), join(dir, `zones.${ext}`));
    writeFileSync(join(dir, 'zones.prj'), 'PROJCS["Made_Up",GEOGCS["Nowhere"],PROJECTION["Does_Not_Exist"]]');
    await expect(loadBoundaries(join(dir, 'zones.shp'), { nameField: 'zone' })).rejects.toThrow(/its \.prj is a coordinate system tipstream cannot convert/);
  });

  it('refuses a file that does not exist', async () => {
    await expect(loadBoundaries('/nowhere/boundaries.zip', { nameField: 'Name' })).rejects.toThrow('boundaries /nowhere/boundaries.zip: no such file');
  });

  itWithFile(largerSets.pediacities)('loads GeoJSON with its own name field', async () => {
    const { boundaries } = await loadBoundaries(largerSets.pediacities, { nameField: 'neighborhood' });
    expect(new NeighborhoodIndex(boundaries).lookup(referencePoint.lon, referencePoint.lat)).toBe('Midtown');
  });
});
