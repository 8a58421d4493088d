// The default stack provider: Kafka, Cassandra and Flink (JobManager, TaskManager, SQL Gateway)
// as plain local processes on loopback, from artifacts resolved once into the cache.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { childEnvironment, projectRoot, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import type { Progress } from '../common/progress.js';
import { pollUntil } from '../common/retry.js';
import { artifactPaths, resolveArtifacts } from './artifacts.js';
import { findJava17 } from './java.js';
import { assertPortFree, isRunning, launchDetached, stopProcess, type ProcessIdentity } from './processes.js';
import { localServices, type LocalService } from './services.js';
import { appAnswers, recordedApps, startApp, type AppName, type RecordedApp } from './apps.js';
import { DEFAULT_RESTART_POLICY, readSupervisorState, superviseStep, supervisorFile, writeSupervisorState, type RestartPolicy, type SupervisorState } from './supervisor.js';
import type { ServiceStatus, StackEndpoints, StackOptions, StackProvider, StackUpResult } from './types.js';

const log = childLogger('stack');

interface RecordedService extends ProcessIdentity {
  address: string;
  logFile: string;
  startedAt: string;
}

interface StackState {
  provider: 'local';
  /** By the service's own name (services.ts, LocalService.name): `flink-taskmanager-2` for the second TaskManager. */
  services: Record<string, RecordedService>;
  /** The process that restarts dead services (supervisor.ts). */
  supervisor?: ProcessIdentity & { logFile: string };
}

export class LocalStackProvider implements StackProvider {
  readonly kind = 'local' as const;
  private readonly stateFile: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly progress: Progress,
    private readonly options: StackOptions = {},
  ) {
    this.stateFile = join(config.stateDir, 'stack.json');
  }

  endpoints(): StackEndpoints {
    return {
      kafkaBootstrapServers: this.config.kafka.bootstrapServers,
      flinkRestUrl: this.config.flink.restUrl,
      sqlGatewayUrl: this.config.flink.sqlGatewayUrl,
      cassandraContactPoint: this.config.host,
      cassandraPort: this.config.stack.ports.cassandra,
    };
  }

  async up(): Promise<StackUpResult> {
    const java = await findJava17();
    const resolveStart = Date.now();
    const artifacts = await resolveArtifacts(this.config, this.progress);
    // Built here too, so a fresh clone's first `stack up` (CI) builds and unit-tests it before any deploy.
    await this.options.buildFunctionsJar?.(this.progress);
    const resolveSeconds = (Date.now() - resolveStart) / 1000;
    const state = await this.readState();
    const config = this.sized(state, this.options.exactTaskManagers === true);
    const services = localServices({ config, artifacts, java });
    const timeoutMs = this.config.stack.readyTimeoutSeconds * 1000;

    const toStart = services.filter((s) => !isRecordedRunning(state, s.name));
    // TaskManagers past stack.taskManagers: a stack brought up again with fewer stops the rest.
    const extra = Object.keys(state.services).filter((name) => !services.some((s) => s.name === name));
    if (toStart.length === 0 && extra.length === 0) {
      // Everything recorded is alive: confirm it answers, change nothing but a missing supervisor.
      await Promise.all(services.map((s) => pollUntil(`${s.service} at ${s.address}`, s.probe, { timeoutMs })));
      await this.startSupervisor(state, config);
      return { endpoints: this.endpoints(), alreadyUp: true, readySeconds: {}, resolveSeconds };
    }
    // This call starts what is missing; a supervisor must not start the same at the same time.
    await this.stopSupervisor(state);
    for (const name of extra) {
      this.progress.step(`stopping ${name} (pid ${state.services[name]!.pid}): stack.taskManagers is ${config.stack.taskManagers}`);
      await stopProcess(state.services[name]!);
      delete state.services[name];
      await this.writeState(state);
    }

    for (const service of toStart) for (const port of service.ports) await assertPortFree(service.name, this.config.host, port);
    await mkdir(join(this.config.stateDir, 'logs'), { recursive: true });

    const readySeconds: Record<string, number> = {};
    const started: string[] = [];
    try {
      // Launch everything, then wait for all: the JVMs start in parallel and each readiness
      // probe covers its own dependencies (the TaskManager registers with the JobManager, the
      // gateway's SELECT 1 needs a slot).
      const launched: Array<{ service: LocalService; identity: ProcessIdentity; at: number }> = [];
      for (const service of toStart) {
        await service.prepare();
        this.progress.step(`starting ${service.name} (${service.address}); log: ${service.logFile}`);
        const identity = launchDetached(service.launch());
        state.services[service.name] = { ...identity, address: service.address, logFile: service.logFile, startedAt: new Date().toISOString() };
        started.push(service.name);
        await this.writeState(state);
        launched.push({ service, identity, at: Date.now() });
        log.info({ service: service.name, pid: identity.pid }, 'started');
      }
      await Promise.all(
        launched.map(async ({ service, identity, at }) => {
          await pollUntil(`${service.name} at ${service.address} (log: ${service.logFile})`, () => answersAs(service, identity.pid), { timeoutMs, alive: () => isRunning(identity) });
          readySeconds[service.name] = (Date.now() - at) / 1000;
          this.progress.step(`${service.name} is ready after ${readySeconds[service.name]!.toFixed(1)} s`);
        }),
      );
      await Promise.all(services.filter((s) => !started.includes(s.name)).map((s) => pollUntil(`${s.name} at ${s.address}`, () => answersAs(s, state.services[s.name]!.pid), { timeoutMs })));
    } catch (err) {
      // Leave nothing half-started behind: stop what this call started, keep the logs.
      for (const name of started.reverse()) {
        const recorded = state.services[name];
        if (recorded) await stopProcess(recorded).catch(() => undefined);
        delete state.services[name];
      }
      await this.writeState(state);
      throw err;
    }
    await this.startSupervisor(state, config);
    return { endpoints: this.endpoints(), alreadyUp: false, readySeconds, resolveSeconds };
  }

  /**
   * Starts `tipstream stack supervise` for this stack unless one runs. It reads the resolved
   * configuration from the state folder (flags given to `stack up` included), without secrets:
   * the local stack has none.
   */
  private async startSupervisor(state: StackState, config: ResolvedConfig): Promise<void> {
    if (state.supervisor && isRunning(state.supervisor)) return;
    const configFile = join(this.config.stateDir, 'supervisor-config.json');
    const { kafka, cassandra, ...rest } = config;
    const { connectionString: _secret, ...kafkaWithoutSecret } = kafka;
    const { password: _password, ...cassandraWithoutSecret } = cassandra;
    await writeFile(configFile, `${JSON.stringify({ ...rest, kafka: kafkaWithoutSecret, cassandra: cassandraWithoutSecret }, null, 2)}\n`, { mode: 0o600 });
    await chmod(configFile, 0o600);
    await writeSupervisorState(this.config, {});
    const logFile = join(this.config.stateDir, 'logs', 'supervisor.log');
    const identity = launchDetached({
      command: process.execPath,
      args: [join(projectRoot, 'bin', 'tipstream.js'), '--config', configFile, 'stack', 'supervise'],
      env: childEnvironment({}, { withoutTipstreamSettings: true }),
      cwd: this.config.stateDir,
      logFile,
    });
    state.supervisor = { ...identity, logFile };
    await this.writeState(state);
    log.info({ pid: identity.pid }, 'supervisor started');
  }

  private async stopSupervisor(state: StackState): Promise<void> {
    if (!state.supervisor) return;
    await stopProcess(state.supervisor, 10_000);
    delete state.supervisor;
    await this.writeState(state);
  }

  /**
   * The supervisor's loop (`tipstream stack supervise`): once a second, each recorded service
   * whose process is gone is started again after its back-off, and watched until it answers.
   */
  async supervise(signal: AbortSignal, policy: RestartPolicy = DEFAULT_RESTART_POLICY, intervalMs = 1_000): Promise<void> {
    const java = await findJava17();
    const services = localServices({ config: this.config, artifacts: artifactPaths(this.config), java });
    const supervised: SupervisorState = {};
    while (!signal.aborted) {
      const state = await this.readState();
      let changed = false;
      for (const service of services) {
        const name = service.name;
        const recorded = state.services[name];
        if (!recorded) continue;
        const step = await superviseStep((supervised[name] ??= { state: 'up', restarts: [] }), policy, {
          name,
          alive: () => isRunning(recorded),
          answers: () => answersAs(service, recorded.pid).catch(() => false),
          restart: async () => {
            const identity = launchDetached(service.launch());
            state.services[name] = { ...identity, address: service.address, logFile: service.logFile, startedAt: new Date().toISOString() };
            await this.writeState(state);
            return identity.pid;
          },
          logFile: service.logFile,
        });
        changed ||= step;
      }
      // tipstream's own processes that `start` left running (the udf-service) are brought back too.
      for (const [name, app] of Object.entries(await recordedApps(this.config)) as Array<[AppName, RecordedApp]>) {
        if (!app.args) continue;
        const step = await superviseStep((supervised[name] ??= { state: 'up', restarts: [] }), policy, {
          name,
          alive: () => isRunning(app),
          answers: () => appAnswers(this.config, name),
          restart: async () => (await startApp(this.config, name, app.args!)).pid,
          logFile: app.logFile,
        });
        changed ||= step;
      }
      if (changed) await writeSupervisorState(this.config, supervised);
      await delay(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  async down(): Promise<void> {
    const state = await this.readState();
    // The supervisor first: it would start again what is being stopped.
    if (state.supervisor) {
      this.progress.step(`stopping the supervisor (pid ${state.supervisor.pid})`);
      await this.stopSupervisor(state);
    }
    await rm(supervisorFile(this.config), { force: true });
    const order = Object.keys(state.services).sort((a, b) => stopRank(a) - stopRank(b));
    for (const name of order) {
      const recorded = state.services[name]!;
      this.progress.step(`stopping ${name} (pid ${recorded.pid})`);
      await stopProcess(recorded);
      delete state.services[name];
      await this.writeState(state);
    }
    await rm(this.stateFile, { force: true });
  }

  async status(): Promise<ServiceStatus[]> {
    const state = await this.readState();
    const supervised = await readSupervisorState(this.config);
    const services = localServices({ config: this.sized(state, false), artifacts: artifactPaths(this.config), java: 'java' });
    return Promise.all(
      services.map(async (service): Promise<ServiceStatus> => {
        const recorded = state.services[service.name];
        const running = recorded !== undefined && isRunning(recorded);
        let answers = false;
        let detail: string | undefined;
        try {
          answers = running ? await answersAs(service, recorded.pid, true) : await (service.check ?? service.probe)();
        } catch (err) {
          detail = err instanceof Error ? err.message : String(err);
        }
        // A service with no address of its own (the TaskManager) answers through another (the
        // JobManager lists it): with its recorded process gone, that answer is not its own.
        if (recorded && !running && service.ports.length === 0) answers = false;
        const notRunning = recorded
          ? answers
            ? 'recorded process has exited; another process answers at its address'
            : 'recorded process has exited'
          : 'not started by tipstream';
        const supervision = supervised[service.name];
        const restarting = supervision?.state === 'restarting';
        const serviceState = answers && running && !restarting ? 'up' : restarting ? 'restarting' : 'down';
        const restarts = supervision?.restarts.length ?? 0;
        const supervisorDetail =
          supervision?.state === 'crash-loop'
            ? `left down by the supervisor after ${restarts} restarts`
            : restarting
              ? `restarting (attempt ${restarts}), process gone since ${new Date(supervision.diedAt!).toISOString()}`
              : undefined;
        return {
          service: service.service,
          ...(service.name !== service.service ? { instance: service.name } : {}),
          address: service.address,
          ...(running ? { pid: recorded.pid } : {}),
          answers,
          state: serviceState,
          ...(restarts > 0 ? { restarts } : {}),
          ...(running ? {} : { detail: notRunning }),
          ...(detail && running && !answers ? { detail } : {}),
          ...(supervisorDetail ? { detail: supervisorDetail } : {}),
        };
      }),
    );
  }

  /**
   * The configuration with as many TaskManagers as asked for (`exact`), or as many as run already
   * if that is more.
   */
  private sized(state: StackState, exact: boolean): ResolvedConfig {
    const recorded = Object.keys(state.services).map((name) => (name === 'flink-taskmanager' ? 1 : Number(/^flink-taskmanager-(\d+)$/.exec(name)?.[1] ?? 0)));
    const taskManagers = exact ? this.config.stack.taskManagers : Math.max(this.config.stack.taskManagers, ...recorded);
    return taskManagers === this.config.stack.taskManagers ? this.config : { ...this.config, stack: { ...this.config.stack, taskManagers } };
  }

  /** The services' definitions, for status and logs; needs no Java and no downloads. */
  describeServices(): LocalService[] {
    return localServices({ config: this.config, artifacts: artifactPaths(this.config), java: 'java' });
  }

  /** The log of a service by its own name (`flink-taskmanager-2`), or of its first instance by the service's. */
  async logFile(name: string): Promise<string | undefined> {
    const state = await this.readState();
    return state.services[name]?.logFile ?? this.describeServices().find((s) => s.name === name)?.logFile;
  }

  private async readState(): Promise<StackState> {
    if (!existsSync(this.stateFile)) return { provider: 'local', services: {} };
    try {
      return JSON.parse(await readFile(this.stateFile, 'utf8')) as StackState;
    } catch (cause) {
      throw new InfrastructureError('TIPSTREAM_START', `the stack state file ${this.stateFile} is unreadable; stop the processes it lists by pid and delete it`, { cause });
    }
  }

  private async writeState(state: StackState): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true });
    // Written aside and renamed, so a concurrent reader (the supervisor, `stack status`) never sees half a file.
    await writeFileAtomic(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}

/** The service answers, as this process where it can tell (see LocalService.probeProcess); for a status, without effects. */
async function answersAs(service: LocalService, pid: number, forStatus = false): Promise<boolean> {
  if (service.probeProcess) return service.probeProcess(pid);
  return (forStatus ? (service.check ?? service.probe) : service.probe)();
}

function isRecordedRunning(state: StackState, name: string): boolean {
  const recorded = state.services[name];
  return recorded !== undefined && isRunning(recorded);
}

/** The gateway and TaskManagers go first, the JobManager next, the storage services last. */
function stopRank(name: string): number {
  return ['sql-gateway', 'flink-taskmanager', 'flink-jobmanager', 'cassandra', 'kafka'].indexOf(name.replace(/^flink-taskmanager-\d+$/, 'flink-taskmanager'));
}
