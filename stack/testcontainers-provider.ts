// The stack as containers, for machines with a Docker engine: the same services, versions and
// host ports as the local-process provider, started with testcontainers. Untested on machines
// without Docker (this project's own CI has none); the container definitions are unit-tested.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Network, Wait, type ContainerRuntimeClient } from 'testcontainers';
import type { ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { resolveArtifacts } from './artifacts.js';
import { containerDefinitions } from './containers/definitions.js';
import type { ServiceName, ServiceStatus, StackEndpoints, StackOptions, StackProvider, StackUpResult } from './types.js';

interface ContainerState {
  provider: 'testcontainers';
  networkId?: string;
  containers: Partial<Record<ServiceName, { id: string; address: string }>>;
}

export class TestcontainersStackProvider implements StackProvider {
  readonly kind = 'testcontainers' as const;
  private readonly stateFile: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly progress: Progress,
    private readonly options: StackOptions = {},
    private readonly connectRuntime: () => Promise<ContainerRuntimeClient> = getContainerRuntimeClient,
  ) {
    this.stateFile = join(config.stateDir, 'containers.json');
  }

  private endpoints(): StackEndpoints {
    return {
      kafkaBootstrapServers: `127.0.0.1:${this.config.stack.ports.kafka}`,
      flinkRestUrl: `http://127.0.0.1:${this.config.stack.ports.flinkRest}`,
      sqlGatewayUrl: `http://127.0.0.1:${this.config.stack.ports.sqlGateway}`,
      cassandraContactPoint: '127.0.0.1',
      cassandraPort: this.config.stack.ports.cassandra,
    };
  }

  async up(): Promise<StackUpResult> {
    const runtime = await this.runtime();
    const state = await this.readState();
    const running = await this.runningServices(runtime, state);
    const { connectorJarsDir } = await resolveArtifacts(this.config, this.progress);
    if (!this.options.buildFunctionsJar) throw new UserError('TIPSTREAM_USAGE', 'the testcontainers stack mounts the Flink functions jar: give it a buildFunctionsJar');
    const functionsJarDir = dirname(await this.options.buildFunctionsJar(this.progress));
    const definitions = containerDefinitions(this.config, { connectorJarsDir, functionsJarDir });
    if (definitions.every((d) => running.has(d.service))) {
      return { endpoints: this.endpoints(), alreadyUp: true, readySeconds: {}, resolveSeconds: 0 };
    }
    const network = state.networkId ? undefined : await new Network().start();
    if (network) state.networkId = network.getId();
    const readySeconds: Partial<Record<ServiceName, number>> = {};
    for (const definition of definitions) {
      if (running.has(definition.service)) continue;
      this.progress.step(`starting ${definition.service} (${definition.image})`);
      const startedAt = Date.now();
      const container = await new GenericContainer(definition.image)
        .withNetworkMode(state.networkId!)
        .withNetworkAliases(definition.hostname)
        .withEnvironment(definition.env)
        .withCommand(definition.command)
        .withExposedPorts(...definition.ports)
        .withBindMounts(definition.binds.map((b) => ({ ...b, mode: 'ro' as const })))
        .withWaitStrategy(Wait.forLogMessage(definition.readyLog))
        .withStartupTimeout(this.config.stack.readyTimeoutSeconds * 1000)
        .start();
      state.containers[definition.service] = { id: container.getId(), address: definition.ports.map((p) => `127.0.0.1:${p.host}`).join(', ') || definition.hostname };
      await this.writeState(state);
      readySeconds[definition.service] = (Date.now() - startedAt) / 1000;
    }
    return { endpoints: this.endpoints(), alreadyUp: false, readySeconds, resolveSeconds: 0 };
  }

  async down(): Promise<void> {
    const state = await this.readState();
    if (Object.keys(state.containers).length === 0 && !state.networkId) return;
    const runtime = await this.runtime();
    for (const [service, recorded] of Object.entries(state.containers).reverse()) {
      this.progress.step(`stopping ${service} (container ${recorded.id.slice(0, 12)})`);
      const container = runtime.container.getById(recorded.id);
      await runtime.container.stop(container).catch(() => undefined);
      await runtime.container.remove(container, { removeVolumes: true }).catch(() => undefined);
    }
    if (state.networkId) await runtime.network.remove(runtime.network.getById(state.networkId)).catch(() => undefined);
    await rm(this.stateFile, { force: true });
  }

  async status(): Promise<ServiceStatus[]> {
    const state = await this.readState();
    const runtime = await this.runtime();
    const running = await this.runningServices(runtime, state);
    return containerDefinitions(this.config, { connectorJarsDir: '', functionsJarDir: '' }).map((d) => ({
      service: d.service,
      address: state.containers[d.service]?.address ?? d.hostname,
      ...(state.containers[d.service] ? { containerId: state.containers[d.service]!.id.slice(0, 12) } : {}),
      answers: running.has(d.service),
    }));
  }

  private async runtime(): Promise<ContainerRuntimeClient> {
    try {
      return await this.connectRuntime();
    } catch (cause) {
      throw new UserError(
        'TIPSTREAM_NOT_FOUND',
        'the testcontainers provider needs a Docker engine, and none was found; start one, or use the default local provider (--provider local)',
        { cause },
      );
    }
  }

  private async runningServices(runtime: ContainerRuntimeClient, state: ContainerState): Promise<Set<ServiceName>> {
    const running = new Set<ServiceName>();
    for (const [service, recorded] of Object.entries(state.containers) as Array<[ServiceName, { id: string }]>) {
      const info = await runtime.container.inspect(runtime.container.getById(recorded.id)).catch(() => undefined);
      if (info?.State.Running) running.add(service);
    }
    return running;
  }

  private async readState(): Promise<ContainerState> {
    if (!existsSync(this.stateFile)) return { provider: 'testcontainers', containers: {} };
    return JSON.parse(await readFile(this.stateFile, 'utf8')) as ContainerState;
  }

  private async writeState(state: ContainerState): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true });
    await writeFile(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}
