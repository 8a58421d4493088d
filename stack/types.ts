// What every stack provider offers, whether it runs local processes or containers.
import type { Progress } from '../common/progress.js';

export type ServiceName = 'kafka' | 'cassandra' | 'flink-jobmanager' | 'flink-taskmanager' | 'sql-gateway';

export const serviceNames: readonly ServiceName[] = ['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'sql-gateway'];

/** Where a running stack answers. */
export interface StackEndpoints {
  kafkaBootstrapServers: string;
  flinkRestUrl: string;
  sqlGatewayUrl: string;
  cassandraContactPoint: string;
  cassandraPort: number;
}

export interface ServiceStatus {
  service: ServiceName;
  /** Which one, where a service runs several times (`flink-taskmanager-2`, or a container's hostname). */
  instance?: string;
  address: string;
  pid?: number;
  /** Container id, for the testcontainers provider. */
  containerId?: string;
  answers: boolean;
  /** up: running and answering; restarting: the supervisor is bringing it back; down: neither. */
  state?: 'up' | 'restarting' | 'down';
  /** Restarts by the supervisor in the last 10 minutes. */
  restarts?: number;
  detail?: string;
}

export interface StackUpResult {
  endpoints: StackEndpoints;
  /** True when every service was already up and nothing was changed. */
  alreadyUp: boolean;
  /** Seconds from start to ready, per service started by this call (by its own name: `flink-taskmanager-2`). */
  readySeconds: Record<string, number>;
  /** Seconds spent resolving artifacts (0 when the cache was warm). */
  resolveSeconds: number;
}

export interface StackProvider {
  readonly kind: 'local' | 'testcontainers' | 'external';
  up(): Promise<StackUpResult>;
  /** Stops exactly what this provider started and waits until it is gone. */
  down(): Promise<void>;
  status(): Promise<ServiceStatus[]>;
}

/** What a provider is given by whoever composes it (cli/): the stack itself builds no job code. */
export interface StackOptions {
  /** Builds (or finds in the cache) the Flink functions jar and returns its path; `up` calls it. */
  buildFunctionsJar?: (progress: Progress) => Promise<string>;
  /**
   * stack.taskManagers was asked for (`stack up --taskmanagers N`, or its environment variable):
   * exactly that many run, the rest are stopped. Otherwise the TaskManagers already running are
   * kept, so a command that only needs the stack up never shrinks it.
   */
  exactTaskManagers?: boolean;
}
