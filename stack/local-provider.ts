// The default stack provider: Kafka, Cassandra and Flink (JobManager, TaskManager, SQL Gateway)
// as plain local processes on loopback, from artifacts resolved once into the cache.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import type { Progress } from '../common/progress.js';
import { ensureFunctionsJar } from '../orchestrator/functions-jar.js';
import { artifactPaths, resolveArtifacts } from './artifacts.js';
import { findJava17 } from './java.js';
import { assertPortFree, isRunning, launchDetached, stopProcess, waitUntil, type ProcessIdentity } from './processes.js';
import { localServices, type LocalService } from './services.js';
import type { ServiceName, ServiceStatus, StackEndpoints, StackProvider, StackUpResult } from './types.js';

const log = childLogger('stack');

interface RecordedService extends ProcessIdentity {
  address: string;
  logFile: string;
  startedAt: string;
}

interface StackState {
  provider: 'local';
  services: Partial<Record<ServiceName, RecordedService>>;
}

export class LocalStackProvider implements StackProvider {
  readonly kind = 'local' as const;
  private readonly stateFile: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly progress: Progress,
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
    await ensureFunctionsJar(this.config, this.progress);
    const resolveSeconds = (Date.now() - resolveStart) / 1000;
    const services = localServices({ config: this.config, artifacts, java });
    const state = await this.readState();
    const timeoutMs = this.config.stack.readyTimeoutSeconds * 1000;

    const toStart = services.filter((s) => !isRecordedRunning(state, s.service));
    if (toStart.length === 0) {
      // Everything recorded is alive: confirm it answers, change nothing.
      await Promise.all(services.map((s) => waitUntil(`${s.service} at ${s.address}`, s.probe, timeoutMs)));
      return { endpoints: this.endpoints(), alreadyUp: true, readySeconds: {}, resolveSeconds };
    }

    for (const service of toStart) for (const port of service.ports) await assertPortFree(service.service, this.config.host, port);
    await mkdir(join(this.config.stateDir, 'logs'), { recursive: true });

    const readySeconds: Partial<Record<ServiceName, number>> = {};
    const started: ServiceName[] = [];
    try {
      // Launch everything, then wait for all: the JVMs start in parallel and each readiness
      // probe covers its own dependencies (the TaskManager registers with the JobManager, the
      // gateway's SELECT 1 needs a slot).
      const launched: Array<{ service: LocalService; identity: ProcessIdentity; at: number }> = [];
      for (const service of toStart) {
        await service.prepare();
        this.progress.step(`starting ${service.service} (${service.address}); log: ${service.logFile}`);
        const identity = launchDetached(service.launch());
        state.services[service.service] = { ...identity, address: service.address, logFile: service.logFile, startedAt: new Date().toISOString() };
        started.push(service.service);
        await this.writeState(state);
        launched.push({ service, identity, at: Date.now() });
        log.info({ service: service.service, pid: identity.pid }, 'started');
      }
      await Promise.all(
        launched.map(async ({ service, identity, at }) => {
          await waitUntil(`${service.service} at ${service.address} (log: ${service.logFile})`, service.probe, timeoutMs, 500, () => isRunning(identity));
          readySeconds[service.service] = (Date.now() - at) / 1000;
          this.progress.step(`${service.service} is ready after ${readySeconds[service.service]!.toFixed(1)} s`);
        }),
      );
      await Promise.all(services.filter((s) => !started.includes(s.service)).map((s) => waitUntil(`${s.service} at ${s.address}`, s.probe, timeoutMs)));
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
    return { endpoints: this.endpoints(), alreadyUp: false, readySeconds, resolveSeconds };
  }

  async down(): Promise<void> {
    const state = await this.readState();
    const order = (Object.keys(state.services) as ServiceName[]).sort((a, b) => stopRank(a) - stopRank(b));
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
    const services = this.describeServices();
    return Promise.all(
      services.map(async (service): Promise<ServiceStatus> => {
        const recorded = state.services[service.service];
        const running = recorded !== undefined && isRunning(recorded);
        let answers = false;
        let detail: string | undefined;
        try {
          answers = await service.probe();
        } catch (err) {
          detail = err instanceof Error ? err.message : String(err);
        }
        return {
          service: service.service,
          address: service.address,
          ...(running ? { pid: recorded.pid } : {}),
          answers,
          ...(running ? {} : { detail: recorded ? 'recorded process has exited' : 'not started by tipstream' }),
          ...(detail && running && !answers ? { detail } : {}),
        };
      }),
    );
  }

  /** The services' definitions, for status and logs; needs no Java and no downloads. */
  describeServices(): LocalService[] {
    return localServices({ config: this.config, artifacts: artifactPaths(this.config), java: 'java' });
  }

  async logFile(service: ServiceName): Promise<string> {
    const state = await this.readState();
    return state.services[service]?.logFile ?? this.describeServices().find((s) => s.service === service)!.logFile;
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
    await writeFile(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}

function isRecordedRunning(state: StackState, service: ServiceName): boolean {
  const recorded = state.services[service];
  return recorded !== undefined && isRunning(recorded);
}

/** The gateway and TaskManager go first, the JobManager next, the storage services last. */
function stopRank(service: ServiceName): number {
  return ['sql-gateway', 'flink-taskmanager', 'flink-jobmanager', 'cassandra', 'kafka'].indexOf(service);
}
