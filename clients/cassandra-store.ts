// The window results table in Cassandra or Cosmos DB for Apache Cassandra: connection (with the
// Cosmos profile), schema creation, the prepared upsert and reading rows back. Passwords never
// reach a log or an error message.
import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import type { ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { windowResultColumns, windowResultSchema, type WindowResult } from './window-result.js';

const log = childLogger('cassandra');
const { Client, auth, policies, types } = cassandra;

export const TABLE = 'neighborhoodstats';

const FIELDS = Object.keys(windowResultColumns) as Array<keyof WindowResult>;
const COLUMNS = Object.values(windowResultColumns);

/** A field's value as the driver binds it: times as Dates, the ride count as a bigint. */
function toColumn(row: WindowResult, field: keyof WindowResult): unknown {
  if (field === 'windowStart' || field === 'windowEnd') return new Date(row[field]);
  if (field === 'rideCount') return types.Long.fromNumber(row.rideCount);
  return row[field];
}

/** A row read back, through the same schema the relay checks records with. */
function fromRow(row: cassandra.types.Row): WindowResult {
  const value = (field: keyof WindowResult) => {
    const v = row.get(windowResultColumns[field]) as unknown;
    if (v instanceof Date) return v.toISOString();
    if (v instanceof types.Long) return v.toNumber();
    return v;
  };
  return windowResultSchema.parse(Object.fromEntries(FIELDS.map((f) => [f, value(f)])));
}

/** Keep-alive and heartbeats under Azure's 4-minute idle timeout. */
const HEARTBEAT_MS = 60_000;

/** Driver options for the configured database; the Cosmos profile follows Azure's guidance. */
export function clientOptions(config: ResolvedConfig): cassandra.ClientOptions {
  const c = config.cassandra;
  const cosmos = c.profile === 'cosmos';
  const dcPolicy = new policies.loadBalancing.DCAwareRoundRobinPolicy(c.localDataCenter);
  return {
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    // Protocol v4: what Cosmos DB speaks, and the newest this driver knows.
    protocolOptions: { port: c.port, maxVersion: types.protocolVersion.v4 },
    authProvider: c.username !== undefined ? new auth.PlainTextAuthProvider(c.username, c.password ?? '') : undefined,
    sslOptions: c.tls ? { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(c.caFile ? { ca: [readFileSync(c.caFile)] } : {}) } : undefined,
    policies: {
      // Token-aware routing does not apply on Cosmos DB; plain DC-aware round robin works on both.
      loadBalancing: cosmos ? dcPolicy : new policies.loadBalancing.TokenAwarePolicy(dcPolicy),
      reconnection: new policies.reconnection.ConstantReconnectionPolicy(2_000),
      // The relay retries with back-off itself; the driver's default retries at once.
      retry: new policies.retry.FallthroughRetryPolicy(),
    },
    pooling: { heartBeatInterval: HEARTBEAT_MS },
    socketOptions: { keepAlive: true, keepAliveDelay: HEARTBEAT_MS, readTimeout: 12_000, connectTimeout: 5_000 },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    // The relay needs no schema or token metadata: skipping the sync makes connecting cheaper
    // (and Cosmos DB has no token ring to learn).
    isMetadataSyncEnabled: false,
  };
}

export function describeTarget(config: ResolvedConfig): string {
  const c = config.cassandra;
  return `${c.profile === 'cosmos' ? 'Cosmos DB for Apache Cassandra' : 'Cassandra'} at ${c.contactPoints.join(',')}:${c.port}${c.tls ? ' (TLS)' : ''}`;
}

export class ResultsTable {
  private constructor(
    private readonly client: cassandra.Client,
    readonly keyspace: string,
    readonly target: string,
  ) {}

  /** Connects; with `createSchema` creates the keyspace and table when missing. */
  static async open(config: ResolvedConfig, options: { createSchema: boolean }): Promise<ResultsTable> {
    const target = describeTarget(config);
    const client = new Client(clientOptions(config));
    try {
      await client.connect();
    } catch (err) {
      await client.shutdown().catch(() => undefined);
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `cannot connect to ${target}: ${redact(err, config)}`, { retriable: true });
    }
    const table = new ResultsTable(client, config.cassandra.keyspace, target);
    if (options.createSchema) {
      // A session that cannot make the schema is closed, or its connections would keep the process alive.
      await table.createSchema(config).catch(async (err: unknown) => {
        await client.shutdown().catch(() => undefined);
        throw err;
      });
    }
    return table;
  }

  private async createSchema(config: ResolvedConfig): Promise<void> {
    // Cosmos DB ignores the replication settings; one replica fits the local single node.
    await this.client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${this.keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await this.client.execute(`CREATE TABLE IF NOT EXISTS ${this.keyspace}.${TABLE} (
      neighborhood text, window_end timestamp, window_start timestamp,
      number_of_rides bigint, total_fare_amount double, total_tip_amount double,
      average_fare_amount double, average_tip_amount double,
      total_distance_miles double, average_tip_per_mile double,
      PRIMARY KEY (neighborhood, window_end))`);
    log.debug({ keyspace: this.keyspace, target: describeTarget(config) }, 'schema ready');
  }

  /** One idempotent upsert keyed by (neighborhood, window_end). */
  async upsert(row: WindowResult): Promise<void> {
    await this.client.execute(
      `INSERT INTO ${this.keyspace}.${TABLE} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      FIELDS.map((field) => toColumn(row, field)),
      { prepare: true },
    );
  }

  /** Reads rows back in Cassandra's order: by partition, oldest window first within each; callers sort them. */
  async read(filter: { neighborhood?: string; since?: Date } = {}): Promise<WindowResult[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.neighborhood !== undefined) {
      where.push('neighborhood = ?');
      params.push(filter.neighborhood);
    }
    if (filter.since !== undefined) {
      where.push('window_end > ?');
      params.push(filter.since);
    }
    // Without the partition key, a window filter needs ALLOW FILTERING; the table stays small.
    const allowFiltering = filter.since !== undefined && filter.neighborhood === undefined ? ' ALLOW FILTERING' : '';
    const cql = `SELECT ${COLUMNS.join(', ')} FROM ${this.keyspace}.${TABLE}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${allowFiltering}`;
    const rows: WindowResult[] = [];
    // Pages of 250 rows stay under 64 KiB, a frame loopback hands over in one read. (Under jest,
    // a frame split over several reads failed to parse: a RangeError from another realm, see
    // test/support/node-environment.cjs; plain Node parses split frames fine.)
    const stream = this.client.stream(cql, params, { prepare: true, fetchSize: 250 }) as unknown as AsyncIterable<cassandra.types.Row>;
    for await (const row of stream) {
      rows.push(fromRow(row));
    }
    return rows;
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

/** Whether a failed write may succeed later: throttling, timeouts, no host reachable. */
export function isRetriableWriteError(err: unknown): boolean {
  if (err instanceof cassandra.errors.NoHostAvailableError || err instanceof cassandra.errors.OperationTimedOutError) return true;
  if (err instanceof cassandra.errors.ResponseError) {
    const codes = types.responseErrorCodes;
    return [codes.overloaded, codes.writeTimeout, codes.unavailableException, codes.readTimeout, codes.isBootstrapping, codes.truncateError].includes(err.code);
  }
  return false;
}

/**
 * Cassandra no longer knows the prepared statement (it restarted and lost its cache). The driver
 * is meant to prepare again, but after a restart of the only node it was seen sending the old id
 * for minutes: a fresh session prepares anew.
 */
export function isUnprepared(err: unknown): boolean {
  if (err instanceof cassandra.errors.ResponseError) return err.code === types.responseErrorCodes.unprepared;
  if (err instanceof cassandra.errors.NoHostAvailableError) return Object.values(err.innerErrors ?? {}).some((inner) => isUnprepared(inner));
  return false;
}

/** Cosmos DB's throttling error may say how long to wait: `RetryAfterMs=N`. */
export function retryAfterMs(err: unknown): number | undefined {
  const match = err instanceof Error ? /RetryAfterMs=(\d+)/.exec(err.message) : null;
  return match ? Number(match[1]) : undefined;
}

/** An error's message with the configured password taken out. */
export function redact(err: unknown, config: ResolvedConfig): string {
  const message = err instanceof Error ? err.message : String(err);
  const secret = config.cassandra.password;
  return secret ? message.split(secret).join('***') : message;
}
