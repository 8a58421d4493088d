// `tipstream stack up | fetch | down | status | logs` (and the hidden `supervise`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { taskManagersFromEnvironment, type ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import { createProgress } from '../common/progress.js';
import { ensureFunctionsJar } from '../orchestrator/index.js';
import { buildLocalImages, createStackProvider, LocalStackProvider, resolveArtifacts, serviceNames, stopApps, type ServiceName } from '../stack/index.js';
import { action, configFor, withConfigFlags, type ConfigPath } from './flags.js';

const stackSettings: ConfigPath[] = [
  'stack.provider',
  'stack.images',
  'stack.taskManagers',
  'stack.taskSlots',
  'cacheDir',
  'stateDir',
  'stack.ports.kafka',
  'stack.ports.flinkRest',
  'stack.ports.sqlGateway',
  'stack.ports.cassandra',
  'stack.readyTimeoutSeconds',
];

function withStackOptions(command: Command): Command {
  return withConfigFlags(command, stackSettings);
}

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('start, stop and inspect the local Kafka, Flink (with SQL Gateway) and Cassandra');

  withStackOptions(stack.command('up'))
    .description('download once (cached) and start every service; waits until each really answers')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command);
        // The CLI exits once the stack is up; testcontainers' reaper would remove the containers then.
        if (config.stack.provider === 'testcontainers') process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
        // Asked for, the TaskManagers are exactly that many; otherwise the ones running are kept.
        const exactTaskManagers = command.opts().taskmanagers !== undefined || taskManagersFromEnvironment();
        const provider = await createStackProvider(config, createProgress(), { buildFunctionsJar: (progress) => ensureFunctionsJar(config, progress), exactTaskManagers });
        const result = await provider.up();
        if (result.alreadyUp) {
          process.stdout.write('The stack is already up; nothing changed.\n');
        } else {
          const ready = Object.entries(result.readySeconds).map(([name, s]) => `${name} ${s!.toFixed(1)} s`).join(', ');
          process.stdout.write(`The stack is up (ready: ${ready}).\n`);
        }
        printEndpoints(config);
      }),
    );

  withStackOptions(stack.command('fetch'))
    .description('only download and verify the artifacts into the cache (what `stack up` does first)')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command);
        const paths = await resolveArtifacts(config, createProgress());
        process.stdout.write(`Artifacts are in ${config.cacheDir} (Flink connectors for containers: ${paths.connectorJarsDir}).\n`);
      }),
    );

  withConfigFlags(stack.command('images'), [...stackSettings, 'stack.containerEngine'])
    .description("build tipstream's own images of Kafka, Flink and Cassandra from the cached artifacts, for engines with no registry (Podman or Docker; unchanged images are kept)")
    .option('--force', 'rebuild even images whose inputs did not change')
    .action(
      action(async (options: { force?: boolean }, command: Command) => {
        const config = configFor(command);
        const started = Date.now();
        const built = await buildLocalImages(config, createProgress(), { force: options.force === true });
        for (const image of built) {
          const what = { built: 'built', imported: 'imported from the cached base file system', cached: 'unchanged, kept' }[image.outcome];
          process.stdout.write(`  ${image.tag.padEnd(45)} ${what}${image.outcome === 'cached' ? '' : ` (${image.seconds.toFixed(0)} s)`}\n`);
        }
        process.stdout.write(`Images ready in ${((Date.now() - started) / 1000).toFixed(0)} s. Use them with TIPSTREAM_STACK_IMAGES=local (or --images local).\n`);
      }),
    );

  withStackOptions(stack.command('down'))
    .description('stop exactly the processes `stack up` started, and wait until they are gone')
    .option('--purge', 'also delete the services\' data and logs (the download cache is kept)')
    .action(
      action(async (options: { purge?: boolean }, command: Command) => {
        const config = configFor(command);
        const apps = await stopApps(config);
        if (apps.length > 0) process.stdout.write(`Stopped ${apps.join(', ')}.\n`);
        await (await createStackProvider(config)).down();
        if (options.purge) await rm(config.stateDir, { recursive: true, force: true });
        if (config.stack.provider === 'external') {
          process.stdout.write(`stack.provider is external: tipstream started none of it and stopped none of it${options.purge ? `; ${config.stateDir} is deleted` : ''}.\n`);
        } else {
          process.stdout.write(`The stack is down${options.purge ? ` and ${config.stateDir} is deleted` : ''}.\n`);
        }
      }),
    );

  // Started by `stack up` (see supervisor.ts), not by people: hidden from --help.
  stack
    .command('supervise', { hidden: true })
    .description('restart stack services whose process died, until stopped')
    .action(
      action(async (_options: unknown, command: Command) => {
        const config = configFor(command);
        const abort = new AbortController();
        process.once('SIGTERM', () => abort.abort());
        process.once('SIGINT', () => abort.abort());
        await new LocalStackProvider(config, createProgress(false)).supervise(abort.signal);
      }),
    );

  withStackOptions(stack.command('status'))
    .description('each service: up, restarting (the supervisor brings it back) or down, its address, pid and whether it answers')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }, command: Command) => {
        const config = configFor(command);
        const statuses = await (await createStackProvider(config, createProgress(false))).status();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        } else {
          const rows = statuses.map((s) => [s.instance ?? s.service, s.state ?? (s.answers ? 'up' : 'down'), s.address, s.pid ? String(s.pid) : '-', s.answers ? 'yes' : 'no', s.detail ?? '']);
          process.stdout.write(table(['service', 'state', 'address', 'pid', 'answers', 'detail'], rows));
        }
        if (statuses.some((s) => s.pid !== undefined && !s.answers)) process.exitCode = 1;
      }),
    );

  withStackOptions(stack.command('logs'))
    .description(`print where a service's log is, and its last lines (${serviceNames.join(', ')}; flink-taskmanager-2 and on for the further TaskManagers)`)
    .argument('<service>', 'the service')
    .option('-n, --lines <count>', 'how many lines to show', '50')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .action(
      action(async (service: string, options: { lines: string; follow?: boolean }, command: Command) => {
        const instance = /^flink-taskmanager-(\d+)$/.exec(service)?.[1];
        if (!serviceNames.includes(service as ServiceName) && !(instance && Number(instance) >= 2)) {
          throw new UserError('TIPSTREAM_USAGE', `unknown service '${service}'; choose one of ${serviceNames.join(', ')} (or flink-taskmanager-2 and on, for the further TaskManagers)`);
        }
        const lines = Number(options.lines);
        if (!Number.isInteger(lines) || lines < 0) throw new UserError('TIPSTREAM_USAGE', `--lines must be a whole number, got '${options.lines}'`);
        const config = configFor(command);
        const file = (await new LocalStackProvider(config, createProgress(false)).logFile(service)) ?? join(config.stateDir, 'logs', `${service}.log`);
        process.stderr.write(`${service} log: ${file}\n`);
        if (!existsSync(file)) throw new UserError('TIPSTREAM_NOT_FOUND', `no log yet at ${file}: has ${service} been started with \`tipstream stack up\`?`);
        if (options.follow) {
          await new Promise<void>((resolve) => spawn('tail', ['-n', String(lines), '-F', file], { stdio: 'inherit' }).on('close', () => resolve()));
        } else {
          const text = await readFile(file, 'utf8');
          const tail = text.split('\n').slice(-lines - 1).join('\n');
          process.stdout.write(tail.endsWith('\n') || tail === '' ? tail : `${tail}\n`);
        }
      }),
    );
}

function printEndpoints(config: ResolvedConfig): void {
  process.stdout.write(
    [
      `  Kafka         ${config.kafka.bootstrapServers}`,
      `  Flink UI      ${config.flink.restUrl}`,
      `  SQL Gateway   ${config.flink.sqlGatewayUrl}`,
      `  Cassandra     ${config.host}:${config.cassandra.port}`,
      'Stop it with `tipstream stack down` (or `npm run stack:down`).',
      '',
    ].join('\n'),
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
