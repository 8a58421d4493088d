import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { windowResultSchema } from '../../../clients/index.js';
import { loadConfig } from '../../../common/config.js';
import { HEARTBEAT_MEDALLION } from '../../../generator/index.js';
import { jobValues, sqlDir, type SqlValue } from '../../../orchestrator/index.js';
import { UNKNOWN } from '../../../udf-service/index.js';
import { expandRepeats, flinkDuration, renderJob, renderTemplate, splitStatements, sqlInterval, sqlString } from '../../../orchestrator/sql-template.js';

describe('SQL placeholders', () => {
  it('quotes strings so a value cannot close the literal', () => {
    expect(sqlString("taxi-rides")).toBe("'taxi-rides'");
    expect(sqlString("x', 'scan.startup.mode' = 'latest")).toBe("'x'', ''scan.startup.mode'' = ''latest'");
  });

  it('refuses control characters in string values', () => {
    expect(() => sqlString('a\nb')).toThrow(/control character/);
  });

  it('turns human intervals into SQL intervals and refuses anything else', () => {
    expect(sqlInterval('1 hour')).toBe("INTERVAL '1' HOUR");
    expect(sqlInterval('3 minutes')).toBe("INTERVAL '3' MINUTE");
    expect(sqlInterval('30 s')).toBe("INTERVAL '30' SECOND");
    expect(() => sqlInterval("1' HOUR); DROP TABLE x; --", 'window')).toThrow(/window must look like/);
    expect(() => sqlInterval('0 minutes')).toThrow();
    expect(() => sqlInterval('5 fortnights')).toThrow();
    expect(flinkDuration('10 seconds')).toBe('10 s');
  });

  it('renders option lines, and redacts secret ones in the printable copy', () => {
    const template = "WITH (\n  ${SECURITY}\n  'format' = 'raw')";
    const { sql, printable } = renderTemplate(template, 't.sql', {
      SECURITY: { kind: 'options', value: { 'properties.sasl.jaas.config': 'password="Endpoint=sb://ns/;SharedAccessKey=abc"' }, secret: true },
    });
    expect(sql).toContain("'properties.sasl.jaas.config' = 'password=\"Endpoint=sb://ns/;SharedAccessKey=abc\"',");
    expect(printable).toContain("'properties.sasl.jaas.config' = '<redacted>',");
    expect(printable).not.toContain('SharedAccessKey');
  });

  it('refuses an option name that is not a plain key', () => {
    expect(() => renderTemplate('${O}', 't.sql', { O: { kind: 'options', value: { "a' = 'b": 'c' } } })).toThrow(/invalid connector option name/);
  });

  it('names the file and placeholder that has no value', () => {
    expect(() => renderTemplate('SELECT ${MISSING}', 'job.sql', {})).toThrow('job.sql uses ${MISSING}, which has no value');
  });
});

describe('repeat blocks', () => {
  const block = [
    'SELECT 1;',
    '-- @repeat for each stream:',
    '--   TABLE        TOPIC',
    '--   ride_source  ${RIDE_TOPIC}',
    '--   fare_source  ${FARE_TOPIC}',
    'CREATE TABLE ${TABLE} WITH (${TOPIC}, ${OTHER});',
    '-- @end repeat',
    'SELECT 2;',
  ];

  it('writes the block out once per row, each column placeholder taking its cell and the others left for the values', () => {
    expect(expandRepeats(block.join('\n'), 't.sql')).toBe(
      ['SELECT 1;', 'CREATE TABLE ride_source WITH (${RIDE_TOPIC}, ${OTHER});', '', 'CREATE TABLE fare_source WITH (${FARE_TOPIC}, ${OTHER});', 'SELECT 2;'].join('\n'),
    );
    const values: Record<string, SqlValue> = { RIDE_TOPIC: { kind: 'string', value: 'rides' }, FARE_TOPIC: { kind: 'string', value: 'fares' }, OTHER: { kind: 'string', value: 'x' } };
    expect(renderTemplate(block.join('\n'), 't.sql', values).sql).toContain("CREATE TABLE fare_source WITH ('fares', 'x');");
  });

  it('leaves a template without a repeat block as it is', () => {
    expect(expandRepeats('SELECT ${A};\n-- a comment\n', 't.sql')).toBe('SELECT ${A};\n-- a comment\n');
  });

  it('refuses a cell that is neither an SQL name nor a placeholder, a short row, and a block without its end', () => {
    expect(() => expandRepeats(block.join('\n').replace('ride_source', "x'--"), 't.sql')).toThrow("t.sql, the repeat block of line 2: 'x'--' is neither an SQL name nor a ${PLACEHOLDER}");
    expect(() => expandRepeats(block.join('\n').replace('  ${FARE_TOPIC}', ''), 't.sql')).toThrow('row 2 has 1 cells for 2 columns');
    expect(() => expandRepeats(block.slice(0, -2).join('\n'), 't.sql')).toThrow("has no '-- @end repeat' line");
  });
});

describe('the sources of sql/01-sources.sql', () => {
  // Rendered before the two source tables were written as one repeat block, and saved: the
  // statements Flink gets (and the redacted copy that is printed) must not change by a byte.
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sources');
  const env = { HOME: '/home/someone' };
  const eventHubs = { ...env, TIPSTREAM_KAFKA_CONNECTION_STRING: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=fixture-key' };
  const jar = '/jar/tipstream-flink-udf.jar';
  const configurations: Record<string, () => Record<string, SqlValue>> = {
    'local-unbounded': () => jobValues(loadConfig({ env, cwd: '/' }), { bounded: false }, jar),
    'local-bounded': () => jobValues(loadConfig({ env, cwd: '/' }), { bounded: true }, jar),
    'event-hubs-bounded': () => jobValues(loadConfig({ env: eventHubs, cwd: '/' }), { bounded: true }, jar),
    'event-hubs-ca-file-live': () =>
      jobValues(
        loadConfig({
          env: eventHubs,
          cwd: '/',
          overrides: { kafka: { caFile: '/certs/ca.pem' }, job: { idleTimeout: '45 s', rideWatermarkDelay: '5 minutes', fareWatermarkDelay: '90 s', startupMode: 'latest-offset', consumerGroup: 'live-run' } },
        }),
        { bounded: false, topics: { rideTopic: 'live-rides', fareTopic: 'live-fares' }, clock: { wallAt: 1_700_000_000_000, eventAt: 1_356_998_400_000, speedup: 60 } },
        jar,
      ),
  };

  /** With the Event Hubs connection string: their printable copies, redacted, were saved too. */
  const withSecrets = new Set(['event-hubs-bounded', 'event-hubs-ca-file-live']);

  it.each(Object.keys(configurations))('renders byte for byte as before: %s', async (name) => {
    const sources = (await renderJob(configurations[name]!())).filter((st) => st.file === '01-sources.sql');
    const sql = sources.map((st) => `${st.sql};\n`).join('\n');
    const printable = sources.map((st) => `${st.printable};\n`).join('\n');
    expect(sql).toBe(readFileSync(join(fixtures, `${name}.sql`), 'utf8'));
    expect(printable).toBe(withSecrets.has(name) ? readFileSync(join(fixtures, `${name}.printable.sql`), 'utf8') : sql);
  });
});

describe('splitStatements', () => {
  it('splits at semicolons outside quotes, comments and BEGIN/CASE ... END', () => {
    const script = [
      "-- a comment; with a semicolon",
      "CREATE VIEW v AS SELECT CASE WHEN a = ';' THEN 1 ELSE 2 END AS x FROM t;",
      'EXECUTE STATEMENT SET',
      'BEGIN',
      "INSERT INTO a SELECT CASE WHEN b THEN 'x;y' END FROM t;",
      'INSERT INTO c SELECT 1;',
      'END;',
    ].join('\n');
    const statements = splitStatements(script);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/^CREATE VIEW v AS SELECT CASE WHEN a = ';' THEN 1 ELSE 2 END AS x FROM t$/);
    expect(statements[1]).toMatch(/^EXECUTE STATEMENT SET\nBEGIN\n.*\nINSERT INTO c SELECT 1;\nEND$/s);
  });
});

describe('the job in sql/', () => {
  it('renders every placeholder of every file into sources, views, sinks and one statement set', async () => {
    const s = (value: string) => ({ kind: 'string' as const, value });
    const statements = await renderJob({
      FUNCTIONS_JAR: s('/cache/flink-udf-0123456789abcdef/tipstream-flink-udf.jar'), RIDE_TOPIC: s('taxi-rides'), FARE_TOPIC: s('taxi-fares'), DEAD_LETTER_TOPIC: s('taxi-dead-letter'), STATS_TOPIC: s('taxi-neighborhood-stats'),
      BOOTSTRAP_SERVERS: s('127.0.0.1:9092'), CONSUMER_GROUP: s('tipstream'), STARTUP_MODE: s('earliest-offset'), IDLE_TIMEOUT: { kind: 'options', value: { 'scan.watermark.idle-timeout': '10 s' } },
      RIDE_WATERMARK_DELAY: { kind: 'interval', value: '3 minutes' }, FARE_WATERMARK_DELAY: { kind: 'interval', value: '3 minutes' },
      BOUNDED_MODE: { kind: 'options', value: {} }, KAFKA_SECURITY: { kind: 'options', value: {} }, STATS_DELIVERY: { kind: 'options', value: {} }, DEAD_LETTER_SINK: { kind: 'options', value: { 'sink.parallelism': '1' } },
      UDF_LOOKUP_URL: s('http://127.0.0.1:8090/lookup'), UDF_REQUEST_TIMEOUT: s('10'), WINDOW_SIZE: { kind: 'interval', value: '1 hour' },
      EVENT_TIME_POLICY: s('maxAheadOfClock=3600000,maxJump=86400000,earliest=946684800000'),
    });
    expect(statements.map((st) => st.sql.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      "ADD JAR '/cache/flink-udf-0123456789abcdef/tipstream-flink-udf.jar'",
      ...Array(7).fill('CREATE TEMPORARY FUNCTION'),
      // 01 sources, 02 parsed views
      'CREATE TEMPORARY TABLE', 'CREATE TEMPORARY TABLE', 'CREATE TEMPORARY VIEW', 'CREATE TEMPORARY VIEW',
      // 03 the lookup table, seven dead-letter sinks, the results sink
      ...Array(9).fill('CREATE TEMPORARY TABLE'),
      // 04 rides and fares to join, the join's output, the joined trips, the enriched trips
      ...Array(5).fill('CREATE TEMPORARY VIEW'),
      'EXECUTE STATEMENT SET',
    ]);
    for (const st of statements) expect(st.sql).not.toMatch(/\$\{/);
    expect(statements.at(-1)!.sql.match(/INSERT INTO/g)).toHaveLength(8);
  });
});

describe('the contract of sql/ with the host code (the header of sql/00-functions.sql)', () => {
  const files = readdirSync(sqlDir).filter((f) => f.endsWith('.sql')).sort();
  const text = (file: string) => expandRepeats(readFileSync(join(sqlDir, file), 'utf8'), file);
  const all = files.map(text).join('\n');

  it('puts every options placeholder (it renders with a trailing comma) before a literal option', () => {
    const options = ['IDLE_TIMEOUT', 'BOUNDED_MODE', 'KAFKA_SECURITY', 'STATS_DELIVERY', 'DEAD_LETTER_SINK'];
    for (const file of files) {
      const lines = text(file).split('\n').map((l) => l.trim());
      lines.forEach((line, i) => {
        if (!options.some((name) => line === `\${${name}}`)) return;
        const next = lines.slice(i + 1).find((l) => l !== '' && !options.some((name) => l === `\${${name}}`));
        expect({ file, line, next }).toEqual({ file, line, next: expect.stringMatching(/^'[a-z.-]+' = /) });
      });
    }
  });

  it('names the operators the metrics read, the udf-service\'s Unknown, the heartbeat medallion and the window result fields', () => {
    for (const name of ['ride_source', 'fare_source', 'dead_letter_rides', 'dead_letter_fares', 'implausible_rides', 'implausible_fares', 'unjoined_rides', 'unjoined_fares', 'late_trips']) {
      expect(all).toMatch(new RegExp(`CREATE TEMPORARY TABLE ${name}\\b`));
      expect(readFileSync(join(sqlDir, '..', 'orchestrator', 'job-metrics.ts'), 'utf8')).toContain(`'${name}'`);
    }
    expect(text('04-enrich-and-join.sql')).toContain(`'${UNKNOWN}'`);
    expect(text('04-enrich-and-join.sql')).toContain(`'${HEARTBEAT_MEDALLION}'`);
    const stats = /CREATE TEMPORARY TABLE neighborhood_stats \(([^)]*)\)/.exec(all)![1]!;
    const columns = stats.split(',').map((c) => c.trim().split(/\s+/)[0]);
    expect(columns.sort()).toEqual(Object.keys(windowResultSchema.shape).sort());
  });
});
