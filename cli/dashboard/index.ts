// Public surface of the dashboard: `tipstream dashboard`, and startDashboard() for tests and
// live mode, which embed it.
import type { Command } from 'commander';
import { action, configFor, type ConfigFlag } from '../common/cli.js';
import { describeSetting, requireExistingPath } from '../common/config.js';
import { PortInUseError } from '../common/errors.js';
import { startDashboard } from './server.js';

export { startDashboard, type DashboardOptions, type StartedDashboard } from './server.js';

const dashboardFlags: ConfigFlag[] = [
  { flag: 'port', path: 'dashboard.port' },
  { flag: 'min-rides', path: 'dashboard.minRides' },
  { flag: 'poll-interval', path: 'dashboard.pollInterval' },
  { flag: 'boundaries', path: 'udf.boundaries' },
  { flag: 'name-field', path: 'udf.nameField' },
  { flag: 'where', path: 'udf.where' },
  { flag: 'keyspace', path: 'cassandra.keyspace' },
  { flag: 'flink', path: 'flink.restUrl' },
];

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live map of tip per mile per neighborhood, with the pipeline health (until Ctrl-C)')
    .option('--port <port>', 'port to listen on (default 8095)')
    .option('--min-rides <n>', 'grey out neighborhoods with fewer rides in the window (default 5)')
    .option('--poll-interval <duration>', 'how often new results are read from Cassandra (default "1 s")')
    .option('--boundaries <path>', 'boundaries file (default: the one the udf-service uses)')
    .option('--name-field <field>', 'attribute holding the neighborhood name (default Name)')
    .option('--where <Field=Value>', "keep only features with this attribute value, e.g. 'City=New York'")
    .option('--keyspace <name>', 'Cassandra keyspace of the results (default newyorktaxi)')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command, dashboardFlags);
        requireExistingPath(config.udf.boundaries, describeSetting(config, 'udf.boundaries'));
        const dashboard = await startDashboard({ config }).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('the dashboard', config.host, config.dashboard.port);
          throw err;
        });
        process.stderr.write(`dashboard: ${dashboard.url}/ (Ctrl-C stops)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await dashboard.close();
      }),
    );
}
