// The window results table in Cassandra or Cosmos DB for Apache Cassandra, the relay's first
// result sink: connection (with the Cosmos profile), schema creation, the prepared upsert, what a
// failed write means, and reading rows back. Passwords never reach a log or an error message.
import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { batchRows, type OpenedResultSink, type ResultBatch, type ResultReader, type ResultSink, type Retrying } from './result-sink.js';
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

/** What the results table needs to know: the Cassandra (or Cosmos DB) target and how to write to it. */
export interface CassandraOptions {
  contactPoints: string[];
  port: number;
  localDataCenter: string;
  keyspace: string;
  username?: string | undefined;
  /** A secret: it goes to the driver's login only, and is taken out of every message (`redact`). */
  password?: string | undefined;
  tls: boolean;
  /** A PEM file of the CA to trust for TLS (default: the system's CAs, which Cosmos DB needs). */
  caFile?: string | undefined;
  /** `cosmos`: Azure Cosmos DB for Apache Cassandra (no token-aware routing). */
  profile: 'cassandra' | 'cosmos';
  /** Upserts of a batch in flight at once. */
  concurrency: number;
}

/** Driver options for the configured database; the Cosmos profile follows Azure's guidance. */
export function clientOptions(c: CassandraOptions): cassandra.ClientOptions {
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

export function describeTarget(c: CassandraOptions): string {
  return `${c.profile === 'cosmos' ? 'Cosmos DB for Apache Cassandra' : 'Cassandra'} at ${c.contactPoints.join(',')}:${c.port}${c.tls ? ' (TLS)' : ''}`;
}

/** A connected driver session; one that cannot connect is shut down, or it would keep the process alive. */
async function connect(options: CassandraOptions): Promise<cassandra.Client> {
  const client = new Client(clientOptions(options));
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `cannot connect to ${describeTarget(options)}: ${redact(err, options)}`, { retriable: true });
  }
  return client;
}

/** The results table as a sink of the relay, configured: opening it creates the keyspace and table when missing. */
export class CassandraSink implements ResultSink {
  readonly name = 'cassandra';
  readonly target: string;

  constructor(private readonly options: CassandraOptions) {
    this.target = describeTarget(options);
  }

  open(): Promise<ResultsTable> {
    return ResultsTable.open(this.options, { createSchema: true });
  }

  describe(err: unknown): string {
    return redact(err, this.options);
  }
}

/** The window results table, open: idempotent upserts keyed by (neighborhood, window_end), and reads. */
export class ResultsTable implements OpenedResultSink, ResultReader {
  readonly name = 'cassandra';
  readonly keyspace: string;
  readonly target: string;
  /** A new session being opened after Cassandra forgot the prepared upsert; writes wait for it. */
  private reopening: Promise<void> | undefined;

  private constructor(
    private client: cassandra.Client,
    private readonly options: CassandraOptions,
  ) {
    this.keyspace = options.keyspace;
    this.target = describeTarget(options);
  }

  /** Connects; with `createSchema` creates the keyspace and table when missing. */
  static async open(options: CassandraOptions, { createSchema }: { createSchema: boolean }): Promise<ResultsTable> {
    const table = new ResultsTable(await connect(options), options);
    if (createSchema) {
      // A session that cannot make the schema is closed, or its connections would keep the process alive.
      await table.createSchema().catch(async (err: unknown) => {
        await table.client.shutdown().catch(() => undefined);
        throw err;
      });
    }
    return table;
  }

  private async createSchema(): Promise<void> {
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
    log.debug({ keyspace: this.keyspace, target: this.target }, 'schema ready');
  }

  /** Every row as its own upsert, `concurrency` at once, each retried on its own. */
  async write(batch: ResultBatch, retrying: Retrying): Promise<void> {
    await forEachConcurrently(batchRows(batch), this.options.concurrency, (row) => retrying(() => this.upsert(row)));
  }

  /** One idempotent upsert keyed by (neighborhood, window_end). */
  async upsert(row: WindowResult): Promise<void> {
    await this.reopening;
    await this.client.execute(
      `INSERT INTO ${this.keyspace}.${TABLE} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      FIELDS.map((field) => toColumn(row, field)),
      { prepare: true },
    );
  }

  retriable(err: unknown): boolean {
    return isRetriableWriteError(err) || isUnprepared(err);
  }

  retryAfterMs(err: unknown): number | undefined {
    return retryAfterMs(err);
  }

  recover(err: unknown): void {
    if (!isUnprepared(err)) return;
    // A Cassandra that restarted has forgotten the prepared upsert: the writes wait for a fresh
    // session (one, whatever the number of writes that failed), which prepares it again.
    this.reopening ??= (async () => {
      const old = this.client;
      this.client = await connect(this.options);
      log.warn({ target: this.target }, 'Cassandra forgot the prepared upsert (a restart): new session');
      await old.shutdown().catch(() => undefined);
    })()
      .catch(() => undefined)
      .finally(() => (this.reopening = undefined));
  }

  describe(err: unknown): string {
    return redact(err, this.options);
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
    // A new session being opened (after a Cassandra restart) is closed too, once it is there.
    await this.reopening;
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

/** Runs `work` over the items with at most `limit` running at once; rejects on the first failure. */
export async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** An error's message with the configured password taken out. */
export function redact(err: unknown, secrets: { password?: string | undefined }): string {
  const message = err instanceof Error ? err.message : String(err);
  const secret = secrets.password;
  return secret ? message.split(secret).join('***') : message;
}
