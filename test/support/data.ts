// The files tests read: the demo samples in data/ (part of every clone), and the larger sets in
// ../shared/data (beside the team's checkout only), whose tests are skipped with one line naming
// the absent file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataDir, sharedDataDir } from '../../common/config.js';

export const samples = {
  debs: join(dataDir, 'taxi', 'debs2015', 'sorted_data.first10k.csv.gz'),
  foil: join(dataDir, 'taxi', 'foil2013'),
  zillow: join(dataDir, 'neighborhoods', 'zillow-ny', 'ZillowNeighborhoods-NY.zip'),
  taxiZonesDir: join(dataDir, 'neighborhoods', 'nyc-taxi-zones'),
  taxiZones: join(dataDir, 'neighborhoods', 'nyc-taxi-zones', 'taxi_zones.shp'),
};

export const largerSets = {
  pediacities: join(sharedDataDir, 'neighborhoods', 'pediacities', 'nyc-neighborhoods.geojson'),
  flinkTrainingRides: join(sharedDataDir, 'taxi', 'flink-training', 'nycTaxiRides.first100k.gz'),
};

/** A text file's contents, gunzipped when its name ends in .gz. */
export function readText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** `it` where the file exists; otherwise `it.skip`, after one line that names the absent file. */
export function itWithFile(path: string): jest.It {
  if (existsSync(path)) return it;
  process.stderr.write(`skipping a test: ${path} is absent (a larger data set, only in ../shared/data beside the team's checkout)\n`);
  return it.skip;
}
