// A typed client of the Flink SQL Gateway REST API (v2): sessions, statements, their status and
// results. Gateway failures become one clear message instead of an HTTP dump.
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { InfrastructureError, TipstreamError } from '../common/errors.js';
import { pollUntil, systemClock, type Clock } from '../common/retry.js';

export interface ResultColumn {
  name: string;
  logicalType: { type: string; nullable: boolean };
}

export interface ResultRow {
  kind: 'INSERT' | 'UPDATE_BEFORE' | 'UPDATE_AFTER' | 'DELETE';
  fields: unknown[];
}

interface FetchResultsResponse {
  resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  isQueryResult?: boolean;
  jobID?: string;
  resultKind?: 'SUCCESS' | 'SUCCESS_WITH_CONTENT';
  results?: { columns?: ResultColumn[]; data: ResultRow[] };
  nextResultUri?: string;
}

export interface StatementResult {
  columns: ResultColumn[];
  rows: ResultRow[];
  /** Set for statements that submit a Flink job (INSERT, statement sets, queries). */
  jobId?: string;
}

export interface OpenSessionOptions {
  sessionName: string;
  properties?: Record<string, string>;
}

/** Thrown when the gateway rejects a statement: the message holds Flink's own root cause. */
export class SqlStatementError extends TipstreamError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TIPSTREAM_SQL', message, options);
  }
}

/** Where the SQL Gateway answers (common/client-options.ts fills it from the settings). */
export interface SqlGatewayOptions {
  url: string;
  /** How long one request may take (default 30 s). */
  timeoutMs?: number;
  /** The clock the waits for a statement's result run on (tests give their own). */
  clock?: Clock;
}

export class SqlGatewayClient {
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly http: AxiosInstance;

  constructor(options: SqlGatewayOptions) {
    this.baseUrl = options.url;
    this.clock = options.clock ?? systemClock;
    this.http = axios.create({ baseURL: this.baseUrl.replace(/\/$/, ''), timeout: options.timeoutMs ?? 30_000 });
  }

  async openSession(options: OpenSessionOptions): Promise<SqlGatewaySession> {
    const data = await this.call<{ sessionHandle: string }>('opening a SQL Gateway session', () =>
      this.http.post('/v2/sessions', { sessionName: options.sessionName, properties: options.properties ?? {} }),
    );
    return new SqlGatewaySession(this, data.sessionHandle);
  }

  /** Runs a request; failures name what was being done and the gateway's address. */
  async call<T>(what: string, request: () => Promise<{ data: T }>): Promise<T> {
    try {
      return (await request()).data;
    } catch (err) {
      throw gatewayError(what, this.baseUrl, err);
    }
  }
}

export class SqlGatewaySession {
  constructor(
    private readonly client: SqlGatewayClient,
    readonly handle: string,
  ) {}

  private get path(): string {
    return `/v2/sessions/${this.handle}`;
  }

  /** Submits one statement and returns its operation handle without waiting. */
  async submit(statement: string): Promise<string> {
    const data = await this.client.call<{ operationHandle: string }>('submitting a statement', () =>
      this.client.http.post(`${this.path}/statements`, { statement }),
    );
    return data.operationHandle;
  }

  /**
   * Runs a statement to the end of its first result set: DDL returns OK, an INSERT returns its
   * job id once submitted, a bounded query returns all its rows.
   */
  async execute(statement: string, timeoutMs = 120_000): Promise<StatementResult> {
    const operation = await this.submit(statement);
    const result: StatementResult = { columns: [], rows: [] };
    let uri = `${this.path}/operations/${operation}/result/0?rowFormat=JSON`;
    // Each page says where the next one is; an empty or not-ready page is asked again after 200 ms.
    return pollUntil(
      `statement ${firstLine(statement)}`,
      async () => {
        for (;;) {
          const page = await this.client.call<FetchResultsResponse>('fetching statement results', () => this.client.http.get(uri));
          if (page.jobID) result.jobId = page.jobID;
          if (page.results?.columns?.length) result.columns = page.results.columns;
          if (page.results?.data) result.rows.push(...page.results.data);
          if (page.resultType === 'EOS' || !page.nextResultUri) return result;
          // A non-query (DDL, INSERT) is complete with its first payload.
          if (page.resultType === 'PAYLOAD' && page.isQueryResult === false) return result;
          uri = page.nextResultUri;
          if (page.resultType === 'NOT_READY' || page.results?.data.length === 0) return undefined;
        }
      },
      { timeoutMs, intervalMs: 200, clock: this.client.clock, giveUp: () => true },
    ).catch(async (err: unknown) => {
      if (!(err instanceof InfrastructureError && err.code === 'TIPSTREAM_TIMEOUT')) throw err;
      await this.closeOperation(operation).catch(() => undefined);
      throw new InfrastructureError('TIPSTREAM_TIMEOUT', `statement did not finish within ${timeoutMs / 1000} s: ${firstLine(statement)}`);
    });
  }

  /** Rows of a bounded query, as arrays of field values. */
  async query(statement: string, timeoutMs?: number): Promise<unknown[][]> {
    const result = await this.execute(statement, timeoutMs);
    return result.rows.map((row) => row.fields);
  }

  async closeOperation(operation: string): Promise<void> {
    await this.client.call('closing an operation', () => this.client.http.delete(`${this.path}/operations/${operation}/close`));
  }

  async close(): Promise<void> {
    await this.client.call('closing the session', () => this.client.http.delete(this.path));
  }
}

/** Flink's error bodies hold a Java stack trace per entry; keep the deepest "Caused by" line. */
function gatewayError(what: string, baseUrl: string, err: unknown): TipstreamError {
  if (isAxiosError(err) && err.response) {
    const body = err.response.data as { errors?: string[] } | undefined;
    const trace = (body?.errors ?? []).join('\n');
    const causes = [...trace.matchAll(/(?:^|\n)(?:Caused by: )?([\w.$]+(?:Exception|Error)): ([^\n]+)/g)].map((m) => m[2]!.trim());
    const reason = causes.length > 0 ? causes[causes.length - 1]! : (body?.errors?.[0] ?? `HTTP ${err.response.status}`);
    return new SqlStatementError(`${what} failed at ${baseUrl}: ${reason}`);
  }
  const code = isAxiosError(err) ? err.code : undefined;
  return new InfrastructureError('TIPSTREAM_UNREACHABLE', `${what} failed: the SQL Gateway at ${baseUrl} did not answer${code ? ` (${code})` : ''}`, {
    cause: err,
    retriable: true,
  });
}

function firstLine(statement: string): string {
  const line = statement.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
