// Public surface of the udf-service: `tipstream udf serve`, and startUdfService() for tests and
// the demo, which embed it.
import type { Command } from 'commander';
import { action, configFor, type ConfigFlag } from '../common/cli.js';
import { describeSetting, requireExistingPath } from '../common/config.js';
import { childLogger } from '../common/logger.js';
import { loadBoundaries, type LoadOptions } from './boundaries.js';
import { NeighborhoodIndex } from './neighborhood-index.js';
import { startUdfServer, type StartedUdfServer } from './server.js';

export { loadBoundaries, type Boundary, type LoadOptions } from './boundaries.js';
export { NeighborhoodIndex, UNKNOWN } from './neighborhood-index.js';
export { startUdfServer, type StartedUdfServer } from './server.js';

const log = childLogger('udf-service');

export interface UdfServiceOptions extends LoadOptions {
  boundaries: string;
  host?: string;
  port?: number;
}

/** Listens at once (healthz answers, readyz says loading), then loads the boundaries. */
export async function startUdfService(options: UdfServiceOptions): Promise<StartedUdfServer & { index: NeighborhoodIndex }> {
  const server = await startUdfServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  try {
    const loaded = await loadBoundaries(options.boundaries, options);
    const index = new NeighborhoodIndex(loaded.boundaries);
    server.setIndex(index);
    log.info({ boundaries: options.boundaries, neighborhoods: index.size, coordinates: loaded.coordinateSystem, skipped: loaded.skipped, url: server.url }, 'ready');
    return { ...server, index };
  } catch (err) {
    await server.close();
    throw err;
  }
}

const udfFlags: ConfigFlag[] = [
  { flag: 'boundaries', path: 'udf.boundaries' },
  { flag: 'name-field', path: 'udf.nameField' },
  { flag: 'where', path: 'udf.where' },
  { flag: 'port', path: 'udf.port' },
];

export function registerUdfCommands(program: Command): void {
  const udf = program.command('udf').description('the neighborhood lookup service Flink calls over HTTP');
  udf
    .command('serve')
    .description('serve neighborhood lookups from a shapefile (.shp, or .zip holding one) or GeoJSON')
    .option('--boundaries <path>', 'boundaries file (default: the Zillow shapefile in data/)')
    .option('--name-field <field>', 'attribute holding the neighborhood name (default Name)')
    .option('--where <Field=Value>', "keep only features with this attribute value, e.g. 'City=New York'")
    .option('--port <port>', 'port to listen on (default 8090)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)', '127.0.0.1')
    .action(
      action(async (options: { host: string }, command: Command) => {
        const config = configFor(command, udfFlags);
        requireExistingPath(config.udf.boundaries, describeSetting(config, 'udf.boundaries'));
        const service = await startUdfService({
          boundaries: config.udf.boundaries,
          nameField: config.udf.nameField,
          ...(config.udf.where ? { where: config.udf.where } : {}),
          host: options.host,
          port: config.udf.port,
        });
        process.stderr.write(`udf-service: ${service.index.size} neighborhoods, listening on ${service.url} (lookup: ${service.url}/lookup?lon=-73.97912&lat=40.7623177)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.stderr.write('udf-service: stopping (finishing requests in flight)\n');
            void service.close().then(resolve);
          };
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
}
