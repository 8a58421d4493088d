import { loadConfig } from '../../../common/config.js';
import { createProgress } from '../../../common/progress.js';
import { containerDefinitions } from '../../../stack/containers/definitions.js';
import { TestcontainersStackProvider } from '../../../stack/testcontainers-provider.js';
import { images } from '../../../stack/versions.js';

const config = loadConfig({ env: { HOME: '/home/someone' }, overrides: { stack: { ports: { kafka: 19092, flinkRest: 18081 } } } });
const definitions = containerDefinitions(config, {
  connectorJarsDir: '/cache/flink-connectors',
  functionsJarDir: '/cache/flink-udf-0123456789abcdef',
  flinkStateDir: '/state/containers/flink-state',
  images,
  taskManagers: 1,
});
const byService = Object.fromEntries(definitions.map((d) => [d.service, d]));

describe('container definitions', () => {
  it('define the five services of the local stack, with the same versions', () => {
    expect(definitions.map((d) => d.service)).toEqual(['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'sql-gateway']);
    expect(byService.kafka!.image).toBe(images.kafka);
    expect(byService.cassandra!.image).toBe(images.cassandra);
    for (const s of ['flink-jobmanager', 'flink-taskmanager', 'sql-gateway']) expect(byService[s]!.image).toBe(images.flink);
    expect(images.kafka).toBe('apache/kafka:4.3.1');
    expect(images.flink).toBe('flink:2.2.1-scala_2.12-java17');
    expect(images.cassandra).toBe('cassandra:5.0.8');
  });

  it('publish the configured host ports, and advertise Kafka on the published one', () => {
    expect(byService.kafka!.ports).toEqual([{ container: 9092, host: 19092 }]);
    expect(byService.kafka!.env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://127.0.0.1:19092');
    expect(byService['flink-jobmanager']!.ports).toEqual([{ container: 8081, host: 18081 }, { container: 9249, host: 9249 }]);
    expect(byService['flink-taskmanager']!.ports).toEqual([{ container: 9249, host: 9250 }]);
    expect(byService['sql-gateway']!.ports).toEqual([{ container: 8083, host: 8083 }]);
    expect(byService.cassandra!.ports).toEqual([{ container: 9042, host: 9042 }]);
  });

  it('mount the connector jars read-only into every Flink container and nowhere else', () => {
    for (const d of definitions) {
      const expected = d.image === images.flink ? [{ source: '/cache/flink-connectors', target: '/opt/flink/lib/tipstream' }] : [];
      expect(d.binds.filter((b) => b.source === '/cache/flink-connectors')).toEqual(expected);
    }
  });

  it("mount the job's functions jar into the SQL Gateway at its host path, which the job's ADD JAR names", () => {
    for (const d of definitions) {
      const functions = d.binds.filter((b) => b.source === '/cache/flink-udf-0123456789abcdef');
      expect(functions).toEqual(d.service === 'sql-gateway' ? [{ source: '/cache/flink-udf-0123456789abcdef', target: '/cache/flink-udf-0123456789abcdef' }] : []);
    }
  });

  it('configure Flink as a session cluster with the slots, the Prometheus reporter and a reachable gateway', () => {
    const properties = byService['flink-taskmanager']!.env.FLINK_PROPERTIES!;
    expect(properties).toContain('jobmanager.rpc.address: jobmanager');
    expect(properties).toContain(`taskmanager.numberOfTaskSlots: ${config.stack.taskSlots}`);
    expect(properties).toContain('metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory');
    expect(byService['sql-gateway']!.env.FLINK_PROPERTIES).toContain('sql-gateway.endpoint.rest.bind-address: 0.0.0.0');
    expect(byService['sql-gateway']!.command).toEqual(['/opt/flink/bin/sql-gateway.sh', 'start-foreground']);
  });
});

describe('the testcontainers provider', () => {
  it('fails with a clear error when no Docker engine answers (as on this project\'s machines)', async () => {
    const noEngine = () => Promise.reject(new Error('Could not find a working container runtime strategy'));
    const provider = new TestcontainersStackProvider(config, createProgress(false), {}, noEngine);
    await expect(provider.up()).rejects.toThrow(/needs a Docker engine, and none was found; .*--provider local/);
  });
});
