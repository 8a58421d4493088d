// The stack as containers: the same services, versions and host ports as the local-process
// provider, started with testcontainers on Docker or on Podman's Docker API (DOCKER_HOST). Images
// are the official ones or tipstream's own (`tipstream stack images`), by stack.images. The
// readiness is the local provider's: a log line per container, then the same probes.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { dirname, join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Network, Wait, type ContainerRuntimeClient, ImageName } from 'testcontainers';
import { CONTAINERS_STATE_FILE, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { pollUntil } from '../common/retry.js';
import { resolveArtifacts } from './artifacts.js';
import { containerDefinitions, HOST_FROM_CONTAINERS, type ContainerDefinition, type StackImages } from './containers/definitions.js';
import { cassandraAnswers, jobManagerAnswers, kafkaAnswers, sqlGatewayIsFlink, sqlGatewayRunsQueries, taskManagersReady } from './readiness.js';
import type { ServiceName, ServiceStatus, StackEndpoints, StackOptions, StackProvider, StackUpResult } from './types.js';
import { images as officialImages, localImages } from './versions.js';

interface RecordedContainer {
  service: ServiceName;
  hostname: string;
  id: string;
  image: string;
  address: string;
}

interface ContainerState {
  provider: 'testcontainers';
  networkId?: string;
  /** The network's gateway: the host's address as the containers see it. */
  hostGateway?: string;
  containers: RecordedContainer[];
}

/**
 * A container whose ports are published on one host address (the loopback, where the local
 * stack's services listen too), not on every interface as testcontainers publishes them.
 */
class StackContainer extends GenericContainer {
  withPublishedPorts(hostAddress: string, ports: Array<{ container: number; host: number }>): this {
    this.withExposedPorts(...ports);
    for (const { container, host } of ports) this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [`${container}/tcp`]: [{ HostIp: hostAddress, HostPort: String(host) }] };
    return this;
  }
}

/** Every container this provider starts carries these labels (`stack down` and CI's clean-up find them). */
export const stackLabel = 'io.tipstream.stack';

export class TestcontainersStackProvider implements StackProvider {
  readonly kind = 'testcontainers' as const;
  private readonly stateFile: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly progress: Progress,
    private readonly options: StackOptions = {},
    private readonly connectRuntime: () => Promise<ContainerRuntimeClient> = getContainerRuntimeClient,
  ) {
    this.stateFile = join(config.stateDir, CONTAINERS_STATE_FILE);
  }

  private endpoints(): StackEndpoints {
    return {
      kafkaBootstrapServers: `${this.config.host}:${this.config.stack.ports.kafka}`,
      flinkRestUrl: `http://${this.config.host}:${this.config.stack.ports.flinkRest}`,
      sqlGatewayUrl: `http://${this.config.host}:${this.config.stack.ports.sqlGateway}`,
      cassandraContactPoint: this.config.host,
      cassandraPort: this.config.stack.ports.cassandra,
    };
  }

  /** The images stack.images asks for: `auto` takes tipstream's own where the engine has them. */
  async chooseImages(runtime: ContainerRuntimeClient): Promise<StackImages> {
    const choice = this.config.stack.images;
    if (choice === 'official') return { ...officialImages };
    const local = { kafka: localImages.kafka, flink: localImages.flink, cassandra: localImages.cassandra };
    const present = await Promise.all(Object.values(local).map((image) => runtime.image.exists(ImageName.fromString(image)).catch(() => false)));
    if (present.every(Boolean)) return local;
    if (choice === 'local') {
      throw new UserError('TIPSTREAM_NOT_FOUND', `stack.images is local, but the engine lacks ${Object.values(local).filter((_, i) => !present[i]).join(', ')}: build them with \`tipstream stack images\``);
    }
    return { ...officialImages };
  }

  async up(): Promise<StackUpResult> {
    const runtime = await this.runtime();
    const state = await this.readState();
    const running = await this.runningContainers(runtime, state);
    const resolveStart = Date.now();
    const { connectorJarsDir } = await resolveArtifacts(this.config, this.progress);
    if (!this.options.buildFunctionsJar) throw new UserError('TIPSTREAM_USAGE', 'the testcontainers stack mounts the Flink functions jar: give it a buildFunctionsJar');
    const functionsJarDir = dirname(await this.options.buildFunctionsJar(this.progress));
    const resolveSeconds = (Date.now() - resolveStart) / 1000;
    const flinkStateDir = join(this.config.stateDir, 'containers', 'flink-state');
    await mkdir(join(flinkStateDir, 'checkpoints'), { recursive: true });
    await mkdir(join(flinkStateDir, 'savepoints'), { recursive: true });
    // The flink image runs as its own user (uid 9999): the folder must be writable for it too.
    for (const dir of [flinkStateDir, join(flinkStateDir, 'checkpoints'), join(flinkStateDir, 'savepoints')]) await chmod(dir, 0o777);
    const images = await this.chooseImages(runtime);
    const definitions = containerDefinitions(this.config, { connectorJarsDir, functionsJarDir, flinkStateDir, images, taskManagers: this.config.stack.taskManagers });
    const missing = definitions.filter((d) => !running.has(d.hostname));
    if (missing.length === 0) {
      await this.waitReady(definitions.length - 1);
      return { endpoints: this.endpoints(), alreadyUp: true, readySeconds: {}, resolveSeconds };
    }
    if (!state.networkId || !state.hostGateway) {
      const network = await new Network().start();
      state.networkId = network.getId();
      state.hostGateway = await this.gatewayOf(runtime, state.networkId);
      await this.writeState(state);
    }
    const readySeconds: Partial<Record<ServiceName, number>> = {};
    const startedAt = Date.now();
    // Every container at once: each waits for its own log line, and Flink's processes find each
    // other when they come up (a TaskManager retries its registration).
    try {
      const outcomes = await Promise.allSettled(
        missing.map(async (definition) => {
          this.progress.step(`starting ${definition.hostname} (${definition.image})`);
          const recorded = await this.start(definition, state.networkId!, state.hostGateway!);
          state.containers = [...state.containers.filter((c) => c.hostname !== definition.hostname), recorded];
          await this.writeState(state);
          const seconds = (Date.now() - startedAt) / 1000;
          readySeconds[definition.service] = Math.max(readySeconds[definition.service] ?? 0, seconds);
          this.progress.step(`${definition.hostname} logged that it is ready after ${seconds.toFixed(1)} s`);
        }),
      );
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      await this.waitReady(definitions.filter((d) => d.service === 'flink-taskmanager').length);
    } catch (err) {
      // Leave nothing half-started: every container of this stack goes, the failed ones too (by label).
      await this.down().catch(() => undefined);
      const all = await runtime.container.list().catch(() => []);
      const leftovers = all.filter((c) => c.Labels?.[stackLabel] === this.config.stateDir).map((c) => runtime.container.getById(c.Id));
      await Promise.all(
        leftovers.map(async (c) => {
          await runtime.container.stop(c, { timeout: 5 }).catch(() => undefined);
          await runtime.container.remove(c, { removeVolumes: true }).catch(() => undefined);
        }),
      );
      throw err;
    }
    readySeconds['sql-gateway'] = (Date.now() - startedAt) / 1000;
    return { endpoints: this.endpoints(), alreadyUp: false, readySeconds, resolveSeconds };
  }

  private async start(definition: ContainerDefinition, networkId: string, hostGateway: string): Promise<RecordedContainer> {
    let container = new StackContainer(definition.image)
      .withPublishedPorts(this.config.host, definition.ports)
      .withNetworkMode(networkId)
      .withNetworkAliases(definition.hostname)
      .withHostname(definition.hostname)
      .withEnvironment(definition.env)
      .withLabels({ [stackLabel]: this.config.stateDir, [`${stackLabel}.service`]: definition.service })
      .withBindMounts(definition.binds.map((b) => ({ source: b.source, target: b.target, mode: b.mode ?? ('ro' as const) })))
      .withWaitStrategy(Wait.forLogMessage(definition.readyLog))
      .withStartupTimeout(this.config.stack.readyTimeoutSeconds * 1000)
      // The host (the udf-service), by one name on Docker and Podman alike: the network's gateway.
      .withExtraHosts([{ host: HOST_FROM_CONTAINERS, ipAddress: hostGateway }]);
    if (definition.command.length > 0) container = container.withCommand(definition.command);
    const started = await container.start();
    return {
      service: definition.service,
      hostname: definition.hostname,
      id: started.getId(),
      image: definition.image,
      address: definition.ports.map((p) => `${this.config.host}:${p.host}`).join(', ') || definition.hostname,
    };
  }

  /** The local provider's readiness: Kafka and Cassandra answer clients, every slot is registered, the gateway runs a query. */
  private async waitReady(taskManagers: number): Promise<void> {
    const { kafkaBootstrapServers, flinkRestUrl, sqlGatewayUrl, cassandraPort } = this.endpoints();
    const timeoutMs = this.config.stack.readyTimeoutSeconds * 1000;
    await Promise.all([
      pollUntil(`kafka at ${kafkaBootstrapServers}`, () => kafkaAnswers({ bootstrapServers: kafkaBootstrapServers }), { timeoutMs }),
      pollUntil(`cassandra at ${this.config.host}:${cassandraPort}`, () => cassandraAnswers(`${this.config.host}:${cassandraPort}`), { timeoutMs }),
      pollUntil(`flink-jobmanager at ${flinkRestUrl}`, () => jobManagerAnswers(flinkRestUrl), { timeoutMs }),
    ]);
    await pollUntil(`${taskManagers} TaskManager(s) with ${this.config.stack.taskSlots} slots each`, () => taskManagersReady(flinkRestUrl, taskManagers * this.config.stack.taskSlots), { timeoutMs });
    await pollUntil(`sql-gateway at ${sqlGatewayUrl}`, () => sqlGatewayRunsQueries(sqlGatewayUrl), { timeoutMs });
  }

  async down(): Promise<void> {
    const state = await this.readState();
    if (state.containers.length === 0 && !state.networkId) return;
    const runtime = await this.runtime();
    await Promise.all(
      state.containers.map(async (recorded) => {
        this.progress.step(`stopping ${recorded.hostname} (container ${recorded.id.slice(0, 12)})`);
        const container = runtime.container.getById(recorded.id);
        await runtime.container.stop(container, { timeout: 20 }).catch(() => undefined);
        await runtime.container.remove(container, { removeVolumes: true }).catch(() => undefined);
      }),
    );
    if (state.networkId) await runtime.network.remove(runtime.network.getById(state.networkId)).catch(() => undefined);
    await rm(this.stateFile, { force: true });
  }

  async status(): Promise<ServiceStatus[]> {
    const state = await this.readState();
    const runtime = await this.runtime();
    const running = await this.runningContainers(runtime, state);
    const { flinkRestUrl, sqlGatewayUrl, kafkaBootstrapServers, cassandraPort } = this.endpoints();
    const probes: Record<ServiceName, () => Promise<boolean>> = {
      kafka: () => kafkaAnswers({ bootstrapServers: kafkaBootstrapServers }),
      cassandra: () => cassandraAnswers(`${this.config.host}:${cassandraPort}`),
      'flink-jobmanager': () => jobManagerAnswers(flinkRestUrl),
      'flink-taskmanager': () => taskManagersReady(flinkRestUrl, 1),
      'sql-gateway': () => sqlGatewayIsFlink(sqlGatewayUrl),
    };
    if (state.containers.length === 0) {
      return ['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'sql-gateway'].map((service) => ({ service: service as ServiceName, address: '-', answers: false, state: 'down' as const, detail: 'no container recorded' }));
    }
    return Promise.all(
      state.containers.map(async (c) => {
        const up = running.has(c.hostname);
        const answers = up && (await probes[c.service]().catch(() => false));
        const instance = /^taskmanager-(\d+)$/.exec(c.hostname)?.[1];
        return {
          service: c.service,
          ...(instance ? { instance: `flink-taskmanager-${instance}` } : {}),
          address: c.address,
          containerId: c.id.slice(0, 12),
          answers,
          state: up ? ('up' as const) : ('down' as const),
          detail: `${c.hostname} (${c.image})`,
        };
      }),
    );
  }

  /** The gateway of the stack's network, an address of the host that every container reaches. */
  private async gatewayOf(runtime: ContainerRuntimeClient, networkId: string): Promise<string> {
    const info = (await runtime.network.getById(networkId).inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
    const gateway = info.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
    if (!gateway) throw new InfrastructureError('TIPSTREAM_START', `the container network ${networkId.slice(0, 12)} has no gateway address; the containers could not reach the udf-service on the host`);
    return gateway;
  }

  private async runtime(): Promise<ContainerRuntimeClient> {
    try {
      return await this.connectRuntime();
    } catch (cause) {
      throw new UserError(
        'TIPSTREAM_NOT_FOUND',
        'the testcontainers provider needs a Docker engine, and none was found; start one (or Podman\'s, see stack/CONTAINERS.md and DOCKER_HOST), or use the default local provider (--provider local)',
        { cause },
      );
    }
  }

  private async runningContainers(runtime: ContainerRuntimeClient, state: ContainerState): Promise<Set<string>> {
    const running = new Set<string>();
    for (const recorded of state.containers) {
      const info = await runtime.container.inspect(runtime.container.getById(recorded.id)).catch(() => undefined);
      if (info?.State.Running) running.add(recorded.hostname);
    }
    return running;
  }

  private async readState(): Promise<ContainerState> {
    if (!existsSync(this.stateFile)) return { provider: 'testcontainers', containers: [] };
    const state = JSON.parse(await readFile(this.stateFile, 'utf8')) as Partial<ContainerState>;
    return { ...state, provider: 'testcontainers', containers: Array.isArray(state.containers) ? state.containers : [] };
  }

  private async writeState(state: ContainerState): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true });
    // Written aside and renamed, so a concurrent reader never sees half a file.
    await writeFileAtomic(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}
