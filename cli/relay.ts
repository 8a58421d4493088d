// `tipstream relay` and `tipstream results`.
import { Option, type Command } from 'commander';
import { Registry } from 'prom-client';
import { parseDurationMs } from '../common/duration.js';
import { PortInUseError, UserError } from '../common/errors.js';
import { createProgress } from '../common/progress.js';
import { type WindowResult } from '../clients/index.js';
import { openResultReader } from '../orchestrator/index.js';
import { runRelay, serveMetrics } from '../orchestrator/index.js';
import { action, configFor, withConfigFlags, type ConfigPath } from './flags.js';
import { defaultResultsSortKey, resultsSortKeys, sortResults, type ResultsSortKey } from './results-order.js';

const cassandraSettings: ConfigPath[] = [
  'cassandra.contactPoints',
  'cassandra.port',
  'cassandra.localDataCenter',
  'cassandra.keyspace',
  'cassandra.profile',
  'cassandra.username',
  'cassandra.caFile',
];

const relaySettings: ConfigPath[] = [...cassandraSettings, 'kafka.bootstrapServers', 'kafka.statsTopic', 'relay.sinks', 'relay.filesDir', 'relay.consumerGroup', 'relay.concurrency', 'relay.retryBudgetSeconds'];

/** A fixed-width table of window results, in the order given; `total` says how many matched. */
export function formatResults(rows: WindowResult[], total: number = rows.length): string {
  const money = (n: number) => n.toFixed(2);
  const lines = [
    `${'neighborhood'.padEnd(32)} ${'window end (UTC)'.padEnd(20)} ${'rides'.padStart(6)} ${'avg fare'.padStart(9)} ${'avg tip'.padStart(8)} ${'tip/mile'.padStart(9)}`,
    ...rows.map((r) =>
      `${r.neighborhood.slice(0, 32).padEnd(32)} ${r.windowEnd.replace('T', ' ').slice(0, 19).padEnd(20)} ${String(r.rideCount).padStart(6)} ${money(r.averageFareAmount).padStart(9)} ${money(r.averageTipAmount).padStart(8)} ${(r.averageTipPerMile === null ? '-' : money(r.averageTipPerMile)).padStart(9)}`,
    ),
  ];
  if (total > rows.length) lines.push(`(${total - rows.length} more rows; --limit to show them)`);
  return `${lines.join('\n')}\n`;
}

export function registerRelayCommands(program: Command): void {
  withConfigFlags(
    program
      .command('relay')
      .description('copy window results from the results topic into Cassandra / Cosmos DB and/or CSV files (idempotent writes, offsets committed once every sink has them)'),
    relaySettings,
  )
    .option('--stop-when-idle <duration>', 'stop after this long without a new result, e.g. "10 s" (default: run until Ctrl-C)')
    .option('--metrics-port <port>', "serve the relay's counters and lag as Prometheus text on this port, e.g. 9465")
    .action(
      action(async (options: { stopWhenIdle?: string; metricsPort?: string }, command: Command) => {
        const config = configFor(command);
        const stopWhenIdleMs = options.stopWhenIdle === undefined ? undefined : parseDurationMs(options.stopWhenIdle, '--stop-when-idle');
        const metricsPort = options.metricsPort === undefined ? undefined : Number(options.metricsPort);
        if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort > 0 && metricsPort < 65536)) {
          throw new UserError('TIPSTREAM_USAGE', `--metrics-port must be a port number, got '${options.metricsPort}'`);
        }
        const registry = new Registry();
        const server =
          metricsPort === undefined
            ? undefined
            : await serveMetrics(registry, config.host, metricsPort).catch((err: unknown) => {
                if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError("the relay's metrics endpoint", config.host, metricsPort);
                throw err;
              });
        if (server) process.stderr.write(`relay metrics at http://${config.host}:${metricsPort}/metrics\n`);
        const progress = createProgress();
        const bar = progress.bar('relayed', 0, ' rows');
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const counters = await runRelay(config, {
            registry,
            signal: controller.signal,
            ...(stopWhenIdleMs === undefined ? {} : { stopWhenIdleMs }),
            onBatch: (c) => bar.update(c.written, { detail: c.retries ? `${c.retries} retries` : '' }),
          });
          bar.stop();
          process.stdout.write(`relay: ${counters.written} rows written, ${counters.retries} retries, ${counters.rejected} rejected records\n`);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          if (server) await new Promise((resolve) => server.close(resolve));
        }
      }),
    );

  withConfigFlags(
    program
      .command('results')
      .description('read the window results back from Cassandra / Cosmos DB, newest window first (see --sort)')
      .addHelpText(
        'after',
        `
Orders (--sort):
  window        newest window first; in a window, best tip per mile first
  tip-per-mile  best average tip per mile first, then newest window first
  rides         most rides first, then newest window first
  neighborhood  by neighborhood name, then newest window first
Ties end in neighborhood name. A window whose rides have no distance has no
tip per mile ('-'); it comes after every row that has one.`,
      ),
    cassandraSettings,
  )
    .option('--neighborhood <name>', 'only this neighborhood')
    .option('--since <time>', 'only windows ending after this ISO-8601 time')
    .addOption(new Option('--sort <key>', 'order of the rows, see Orders below').choices(resultsSortKeys).default(defaultResultsSortKey))
    .option('--limit <n>', 'rows to print, the first n in the --sort order (default 20 for the table, every row with --json)')
    .option('--json', 'print the rows as a JSON array, in the same order')
    .action(
      action(async (options: { neighborhood?: string; since?: string; sort: string; limit?: string; json?: boolean }, command: Command) => {
        const config = configFor(command);
        const since = options.since === undefined ? undefined : new Date(options.since);
        if (since !== undefined && Number.isNaN(since.getTime())) throw new UserError('TIPSTREAM_USAGE', `--since must be an ISO-8601 time, got '${options.since}'`);
        const limit = options.limit === undefined ? (options.json ? Infinity : 20) : Number(options.limit);
        if (limit !== Infinity && !(Number.isInteger(limit) && limit >= 1)) throw new UserError('TIPSTREAM_USAGE', `--limit must be a positive integer, got '${options.limit}'`);
        const reader = await openResultReader(config);
        try {
          const rows = await reader.read({ ...(options.neighborhood ? { neighborhood: options.neighborhood } : {}), ...(since ? { since } : {}) });
          // commander has already refused any --sort value outside resultsSortKeys.
          const shown = sortResults(rows, options.sort as ResultsSortKey).slice(0, limit);
          process.stdout.write(options.json ? `${JSON.stringify(shown, null, 2)}\n` : formatResults(shown, rows.length));
        } finally {
          await reader.close();
        }
      }),
    );
}
