// `tipstream udf serve`: the neighborhood lookup service, until stopped.
import type { Command } from 'commander';
import { describeSetting, requireExistingPath } from '../common/config.js';
import { startUdfService } from '../udf-service/index.js';
import { action, configFor, withConfigFlags } from './flags.js';

export function registerUdfCommands(program: Command): void {
  const udf = program.command('udf').description('the neighborhood lookup service Flink calls over HTTP');
  withConfigFlags(udf.command('serve'), ['udf.boundaries', 'udf.nameField', 'udf.where', 'udf.port', 'udf.bindAddress'], { 'udf.boundaries': { default: 'the Zillow shapefile in data/' } })
    .description('serve neighborhood lookups from a shapefile (.shp, or .zip holding one) or GeoJSON')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command);
        requireExistingPath(config.udf.boundaries, describeSetting(config, 'udf.boundaries'));
        const service = await startUdfService({
          boundaries: config.udf.boundaries,
          nameField: config.udf.nameField,
          ...(config.udf.where ? { where: config.udf.where } : {}),
          host: config.udf.bindAddress,
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
