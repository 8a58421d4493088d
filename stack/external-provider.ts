// A stack tipstream did not start and does not stop: docker compose, a Flink cluster of the
// team's, Event Hubs and Cosmos DB. `up` starts nothing; it waits until every configured address
// answers as the local provider's readiness asks (Kafka and Cassandra answer clients, Flink has a
// free slot, the SQL Gateway runs a query), so `start` and `deploy` work against it unchanged.
import type { ResolvedConfig } from '../common/config.js';
import type { Progress } from '../common/progress.js';
import { pollUntil } from '../common/retry.js';
import { cassandraAnswers, jobManagerAnswers, kafkaAnswers, sqlGatewayIsFlink, sqlGatewayRunsQueries, taskManagersReady } from './readiness.js';
import type { ServiceName, ServiceStatus, StackEndpoints, StackOptions, StackProvider, StackUpResult } from './types.js';
import { kafkaEndpoint } from '../common/client-options.js';

export class ExternalStackProvider implements StackProvider {
  readonly kind = 'external' as const;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly progress: Progress,
    private readonly options: StackOptions = {},
  ) {}

  private endpoints(): StackEndpoints {
    return {
      kafkaBootstrapServers: this.config.kafka.bootstrapServers,
      flinkRestUrl: this.config.flink.restUrl,
      sqlGatewayUrl: this.config.flink.sqlGatewayUrl,
      cassandraContactPoint: this.config.cassandra.contactPoints[0]!,
      cassandraPort: this.config.cassandra.port,
    };
  }

  private probes(): Array<{ service: ServiceName; address: string; probe: () => Promise<boolean>; check?: () => Promise<boolean> }> {
    const { kafkaBootstrapServers, flinkRestUrl, sqlGatewayUrl, cassandraContactPoint, cassandraPort } = this.endpoints();
    const cassandra = `${cassandraContactPoint}:${cassandraPort}`;
    // A Cassandra with TLS or a login (Cosmos DB) is checked by the relay's own client when it connects.
    const plainCassandra = !this.config.cassandra.tls && this.config.cassandra.username === undefined;
    return [
      { service: 'kafka', address: kafkaBootstrapServers, probe: () => kafkaAnswers(kafkaEndpoint(this.config)) },
      ...(plainCassandra ? [{ service: 'cassandra' as const, address: cassandra, probe: () => cassandraAnswers(cassandra) }] : []),
      { service: 'flink-jobmanager', address: flinkRestUrl, probe: () => jobManagerAnswers(flinkRestUrl) },
      { service: 'flink-taskmanager', address: `slots of ${flinkRestUrl}`, probe: () => taskManagersReady(flinkRestUrl, 1) },
      { service: 'sql-gateway', address: sqlGatewayUrl, probe: () => sqlGatewayRunsQueries(sqlGatewayUrl), check: () => sqlGatewayIsFlink(sqlGatewayUrl) },
    ];
  }

  async up(): Promise<StackUpResult> {
    // The job's functions jar is built on this machine all the same: `deploy` names it in ADD JAR.
    await this.options.buildFunctionsJar?.(this.progress);
    const timeoutMs = this.config.stack.readyTimeoutSeconds * 1000;
    this.progress.step('stack.provider is external: starting nothing, waiting for the configured addresses to answer');
    await Promise.all(this.probes().map((p) => pollUntil(`${p.service} at ${p.address} (stack.provider external: tipstream starts nothing)`, p.probe, { timeoutMs })));
    return { endpoints: this.endpoints(), alreadyUp: true, readySeconds: {}, resolveSeconds: 0 };
  }

  async down(): Promise<void> {
    this.progress.step('stack.provider is external: nothing of it was started by tipstream, so nothing is stopped');
  }

  async status(): Promise<ServiceStatus[]> {
    return Promise.all(
      this.probes().map(async (p) => {
        let detail = 'external: not started by tipstream';
        let answers = false;
        try {
          answers = await (p.check ?? p.probe)();
        } catch (err) {
          detail = `${detail}; ${err instanceof Error ? err.message : String(err)}`;
        }
        return { service: p.service, address: p.address, answers, state: answers ? ('up' as const) : ('down' as const), detail };
      }),
    );
  }
}
