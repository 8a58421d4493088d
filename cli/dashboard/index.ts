// `tipstream dashboard`, and startDashboard() for tests and live mode, which embed it.
import type { Command } from 'commander';
import { action, configFor, untilStopped, withConfigFlags } from '../flags.js';
import { describeSetting, requireExistingPath } from '../../common/config.js';
import { PortInUseError } from '../../common/errors.js';
import { startDashboard } from './server.js';

export { startDashboard, type DashboardOptions, type StartedDashboard } from './server.js';

export function registerDashboardCommand(program: Command): void {
  withConfigFlags(program.command('dashboard'), ['dashboard.port', 'dashboard.minRides', 'dashboard.liveSpan', 'dashboard.pollInterval', 'udf.boundaries', 'udf.nameField', 'udf.where', 'cassandra.keyspace', 'flink.restUrl'], {
    'udf.boundaries': { default: 'the one the udf-service uses' },
  })
    .description('serve the live map of tip per mile per neighborhood, with the pipeline health (until Ctrl-C)')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command);
        requireExistingPath(config.udf.boundaries, describeSetting(config, 'udf.boundaries'));
        const dashboard = await startDashboard({ config }).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('the dashboard', config.host, config.dashboard.port);
          throw err;
        });
        process.stderr.write(`dashboard: ${dashboard.url}/ (Ctrl-C stops)\n`);
        await untilStopped();
        await dashboard.close();
      }),
    );
}
