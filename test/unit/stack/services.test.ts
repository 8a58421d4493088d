// The service definitions as plain data: what each runs, where, on which ports; and that options
// make another broker or node (the test stand-ins') without touching the stack's own.
import { loadConfig } from '../../../common/config.js';
import { artifactPaths } from '../../../stack/artifacts.js';
import { cassandraService, kafkaService, localServices } from '../../../stack/services.js';

const config = loadConfig({ env: { HOME: '/home/someone' }, overrides: { stateDir: '/state', stack: { ports: { kafka: 19092, kafkaController: 19093, cassandra: 19042, cassandraStorage: 17000, flinkRest: 18081, flinkRpc: 16123, sqlGateway: 18083 } } } });
const context = { config, artifacts: artifactPaths(config), java: '/jdk/bin/java' };

describe('the local services', () => {
  const services = localServices(context);
  const byName = Object.fromEntries(services.map((s) => [s.service, s]));

  it('start Kafka and Cassandra first, then the JobManager, the TaskManager and the SQL Gateway', () => {
    expect(services.map((s) => s.service)).toEqual(['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'sql-gateway']);
  });

  it('listen on the configured ports and log into the state folder', () => {
    expect(services.map((s) => [s.service, s.address, s.ports, s.logFile])).toEqual([
      ['kafka', '127.0.0.1:19092', [19092, 19093], '/state/logs/kafka.log'],
      ['cassandra', '127.0.0.1:19042', [19042, 17000], '/state/logs/cassandra.log'],
      ['flink-jobmanager', 'http://127.0.0.1:18081', [18081, 16123], '/state/logs/flink-jobmanager.log'],
      ['flink-taskmanager', '4 slots', [], '/state/logs/flink-taskmanager.log'],
      ['sql-gateway', 'http://127.0.0.1:18083', [18083], '/state/logs/sql-gateway.log'],
    ]);
  });

  it('run Kafka and Cassandra on the found Java from their state folders', () => {
    const kafka = byName.kafka!.launch();
    expect(kafka).toMatchObject({ command: '/jdk/bin/java', cwd: '/state/kafka', logFile: '/state/logs/kafka.log' });
    expect(kafka.args.slice(-2)).toEqual(['kafka.Kafka', '/state/kafka/server.properties']);
    const cassandra = byName.cassandra!.launch();
    expect(cassandra).toMatchObject({ command: '/jdk/bin/java', cwd: '/state/cassandra' });
    expect(cassandra.args).toContain('-Dcassandra.config=file:///state/cassandra/cassandra.yaml');
    expect(cassandra.args.at(-1)).toBe('org.apache.cassandra.service.CassandraDaemon');
  });

  it("run Flink's own scripts with conf/ in the state folder and the found Java, the gateway with its own heap", () => {
    for (const [name, script] of [['flink-jobmanager', 'jobmanager.sh'], ['flink-taskmanager', 'taskmanager.sh'], ['sql-gateway', 'sql-gateway.sh']] as const) {
      const spec = byName[name]!.launch();
      expect(spec.command).toBe(`${context.artifacts.flinkHome}/bin/${script}`);
      expect(spec.args[0]).toBe('start-foreground');
      expect(spec.env).toMatchObject({ FLINK_CONF_DIR: '/state/flink/conf', JAVA_RUN: '/jdk/bin/java' });
      expect(spec.env!.JAVA_HOME).toBeUndefined();
    }
    expect(byName['sql-gateway']!.launch().env!.JVM_ARGS).toBe(`-Xmx${config.stack.memory.sqlGatewayHeapMb}m`);
  });

  it('give each Flink process its own Prometheus port: the JobManager the first, TaskManager i the first plus i, the gateway one of the rest', () => {
    const first = config.stack.ports.flinkPrometheusFirst;
    expect(byName['flink-jobmanager']!.launch().args).toEqual(['start-foreground', '-D', `metrics.reporter.prom.port=${first}`]);
    expect(byName['flink-taskmanager']!.launch().args).toEqual(['start-foreground', '-D', 'io.tmp.dirs=/state/flink/taskmanagers/flink-taskmanager/tmp', '-D', `metrics.reporter.prom.port=${first + 1}`]);
    expect(byName['sql-gateway']!.launch().args).toEqual(['start-foreground', '-D', `metrics.reporter.prom.port=${first + 2}-${first + 10}`]);
  });

  it('let stack status ask the SQL Gateway without a query, and know a TaskManager by its process', () => {
    expect(byName['sql-gateway']!.check).toBeDefined();
    expect(byName['flink-taskmanager']!.probeProcess).toBeDefined();
    expect(byName.kafka!.check).toBeUndefined();
  });
});

describe('several TaskManagers', () => {
  const three = loadConfig({ env: { HOME: '/home/someone' }, overrides: { stateDir: '/state', stack: { taskManagers: 3, taskSlots: 2 } } });
  const services = localServices({ config: three, artifacts: artifactPaths(three), java: '/jdk/bin/java' });
  const taskManagers = services.filter((s) => s.service === 'flink-taskmanager');

  it('are one service each, with its own name, log, temporary folder and reporter port', () => {
    const first = three.stack.ports.flinkPrometheusFirst;
    expect(services.map((s) => s.name)).toEqual(['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'flink-taskmanager-2', 'flink-taskmanager-3', 'sql-gateway']);
    expect(taskManagers.map((tm) => [tm.address, tm.logFile])).toEqual([
      ['2 slots', '/state/logs/flink-taskmanager.log'],
      ['2 slots', '/state/logs/flink-taskmanager-2.log'],
      ['2 slots', '/state/logs/flink-taskmanager-3.log'],
    ]);
    expect(taskManagers.map((tm) => tm.launch().args)).toEqual([1, 2, 3].map((i) => [
      'start-foreground',
      '-D', `io.tmp.dirs=/state/flink/taskmanagers/${i === 1 ? 'flink-taskmanager' : `flink-taskmanager-${i}`}/tmp`,
      '-D', `metrics.reporter.prom.port=${first + i}`,
    ]));
    // The gateway's reporter takes a port past every TaskManager's.
    expect(services.at(-1)!.launch().args).toEqual(['start-foreground', '-D', `metrics.reporter.prom.port=${first + 4}-${first + 10}`]);
  });
});

describe('options', () => {
  it('place another Kafka in its own folder, log and ports', () => {
    const kafka = kafkaService(context, { dir: '/other/kafka', logFile: '/other/kafka.log', port: 29092, controllerPort: 29093 });
    expect([kafka.address, kafka.ports, kafka.logFile]).toEqual(['127.0.0.1:29092', [29092, 29093], '/other/kafka.log']);
    expect(kafka.launch()).toMatchObject({ cwd: '/other/kafka', logFile: '/other/kafka.log' });
    expect(kafka.launch().args.at(-1)).toBe('/other/kafka/server.properties');
  });

  it('place another Cassandra in its own folder, log and ports', () => {
    const cassandra = cassandraService(context, { dir: '/other/cassandra', logFile: '/other/cassandra.log', port: 29042, storagePort: 27000 });
    expect([cassandra.address, cassandra.ports, cassandra.logFile]).toEqual(['127.0.0.1:29042', [29042, 27000], '/other/cassandra.log']);
    expect(cassandra.launch().args).toContain('-Dcassandra.storagedir=/other/cassandra');
  });
});
