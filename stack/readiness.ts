// Readiness probes of the local services: each asks the service something only a working one
// answers. Kafka through an admin client built from clients/ connection options, Flink over its
// REST API, the SQL Gateway through clients/ (a SELECT 1), Cassandra with a query on system.local.
import { readFile } from 'node:fs/promises';
import { Admin } from '@platformatic/kafka';
import axios from 'axios';
import cassandra from 'cassandra-driver';
import { InfrastructureError } from '../common/errors.js';
import { kafkaConnection, SqlGatewayClient, type KafkaEndpoint } from '../clients/index.js';
import { listeningPorts } from './processes.js';

/** The TaskManager misses heartbeats every 10 s; after this long without one it is gone, though still listed. */
export const TASKMANAGER_HEARTBEAT_STALE_MS = 25_000;

/** The broker answers a topic listing. */
export async function kafkaAnswers(endpoint: KafkaEndpoint): Promise<boolean> {
  const admin = new Admin({
    clientId: 'tipstream-stack',
    retries: 0,
    timeout: 3000,
    ...kafkaConnection(endpoint),
  });
  try {
    await admin.listTopics();
    return true;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** How a probe logs in to a Cassandra with client TLS and password authentication. */
export interface CassandraLogin {
  /** PEM of the certificate to trust. */
  caFile: string;
  username: string;
  password: string;
}

/** The node answers a query on system.local. */
export async function cassandraAnswers(contactPoint: string, login?: CassandraLogin): Promise<boolean> {
  const client = new cassandra.Client({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
    ...(login
      ? { sslOptions: { ca: [await readFile(login.caFile)], rejectUnauthorized: true }, authProvider: new cassandra.auth.PlainTextAuthProvider(login.username, login.password) }
      : {}),
  });
  try {
    await client.connect();
    const result = await client.execute('SELECT release_version FROM system.local');
    return result.rows.length === 1;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** The JobManager's REST API answers. */
export async function jobManagerAnswers(restUrl: string): Promise<boolean> {
  await axios.get(`${restUrl}/overview`, { timeout: 3000 });
  return true;
}

/** TaskManagers heard from lately offer at least `wantedSlots` slots (at most 4 are asked for). */
export async function taskManagersReady(restUrl: string, wantedSlots: number): Promise<boolean> {
  // The JobManager lists a killed TaskManager until its heartbeat times out (50 s): only one
  // heard from lately counts.
  const { data } = await axios.get<{ taskmanagers: Array<{ timeSinceLastHeartbeat: number; slotsNumber: number }> }>(`${restUrl}/taskmanagers`, { timeout: 3000 });
  // Despite its name, Flink's field is the time of the last heartbeat (ms since the epoch).
  const live = data.taskmanagers.filter((tm) => Date.now() - tm.timeSinceLastHeartbeat < TASKMANAGER_HEARTBEAT_STALE_MS);
  return live.length >= 1 && live.reduce((slots, tm) => slots + tm.slotsNumber, 0) >= Math.min(4, wantedSlots);
}

/** The JobManager hears from the TaskManager that is this very process. */
export async function taskManagerAnswersAs(restUrl: string, pid: number): Promise<boolean> {
  // A TaskManager's id begins with its RPC address (host:port), a port its process listens on.
  const ports = new Set(listeningPorts(pid));
  const { data } = await axios.get<{ taskmanagers: Array<{ id: string; timeSinceLastHeartbeat: number }> }>(`${restUrl}/taskmanagers`, { timeout: 3000 });
  return data.taskmanagers.some((tm) => ports.has(Number(/^[^:]+:(\d+)-/.exec(tm.id)?.[1])) && Date.now() - tm.timeSinceLastHeartbeat < TASKMANAGER_HEARTBEAT_STALE_MS);
}

/** The SQL Gateway runs a query: SELECT 1 answers 1 (which needs a free TaskManager slot). */
export async function sqlGatewayRunsQueries(url: string): Promise<boolean> {
  const client = new SqlGatewayClient({ url });
  const session = await client.openSession({ sessionName: 'tipstream-readiness' });
  try {
    const rows = await session.query('SELECT 1');
    if (rows.length !== 1 || rows[0]?.[0] !== 1) {
      throw new InfrastructureError('TIPSTREAM_START', `SQL Gateway answered SELECT 1 with ${JSON.stringify(rows)}`);
    }
    return true;
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** The SQL Gateway says it is Flink's, without submitting anything. */
export async function sqlGatewayIsFlink(url: string): Promise<boolean> {
  const { data } = await axios.get<{ productName?: string }>(`${url}/v1/info`, { timeout: 3000 });
  return data.productName === 'Apache Flink';
}
