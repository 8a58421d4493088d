// tipstream's own images against the contract they share with the official ones: every variable
// and command the container definitions use is in the contract, and the images' entrypoints,
// run here in their render-only mode on the definitions' own environment, produce the settings
// those variables ask for. No container engine is needed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig, projectRoot } from '../../../common/config.js';
import { containerDefinitions, imageContract, imageKindOf } from '../../../stack/containers/definitions.js';
import { cassandraImageTemplate, flinkImageBaseConfig } from '../../../stack/containers/image-files.js';
import { mirrorsIn } from '../../../stack/images.js';
import { images, localImages } from '../../../stack/versions.js';
import { taskManagerJavaOptions } from '../../../stack/service-config.js';

const config = loadConfig({ env: { HOME: '/home/someone' } });
const definitions = containerDefinitions(config, { connectorJarsDir: '/c', functionsJarDir: '/f', flinkStateDir: '/s', images: localImages, taskManagers: 2 });
const byHost = Object.fromEntries(definitions.map((d) => [d.hostname, d]));

/** Runs an image's entrypoint with TIPSTREAM_RENDER_ONLY; returns the folder it wrote. */
function render(image: 'kafka' | 'flink' | 'cassandra', env: Record<string, string>, home?: string): string {
  const out = mkdtempSync(join(tmpdir(), `tipstream-render-${image}-`));
  execFileSync('bash', [resolve(projectRoot, 'stack', 'images', image, 'entrypoint.sh')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, TIPSTREAM_RENDER_ONLY: out, ...(home ? { FLINK_HOME: home, CASSANDRA_HOME: home } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out;
}

describe('the image contract', () => {
  it('covers every variable and command of the definitions, for both kinds of image', () => {
    for (const d of definitions) {
      const contract = imageContract[imageKindOf(d.service)];
      for (const name of Object.keys(d.env)) expect({ service: d.hostname, name, inContract: contract.env.some((re) => re.test(name)) }).toMatchObject({ inContract: true });
      expect(contract.commands).toContainEqual(d.command);
    }
  });

  it('is driven by the same definitions whichever images run', () => {
    const official = containerDefinitions(config, { connectorJarsDir: '/c', functionsJarDir: '/f', flinkStateDir: '/s', images, taskManagers: 2 });
    expect(official.map(({ image: _, ...rest }) => rest)).toEqual(definitions.map(({ image: _, ...rest }) => rest));
    expect(new Set(official.map((d) => d.image))).toEqual(new Set(Object.values(images)));
    expect(Object.values(localImages).every((tag) => tag.startsWith('localhost/tipstream/'))).toBe(true);
  });

  it('gives each TaskManager container its own name, and every Flink container the shared checkpoint folder', () => {
    expect(definitions.filter((d) => d.service === 'flink-taskmanager').map((d) => d.hostname)).toEqual(['taskmanager', 'taskmanager-2']);
    for (const d of definitions.filter((x) => imageKindOf(x.service) === 'flink')) {
      expect(d.binds).toContainEqual({ source: '/s', target: '/tipstream/flink-state', mode: 'rw' });
      expect(d.env.FLINK_PROPERTIES).toContain('execution.checkpointing.savepoint-dir: file:///tipstream/flink-state/savepoints');
    }
  });
});

describe("tipstream's entrypoints on the definitions' environment", () => {
  it('kafka: every KAFKA_ variable becomes its broker setting, the JVM ones do not', () => {
    const env = byHost.kafka!.env;
    const text = readFileSync(join(render('kafka', env), 'server.properties'), 'utf8');
    const props = Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(props['advertised.listeners']).toBe(env.KAFKA_ADVERTISED_LISTENERS);
    expect(props['controller.quorum.voters']).toBe('1@localhost:9093');
    expect(props['num.partitions']).toBe(String(config.kafka.partitions));
    expect(props['transaction.max.timeout.ms']).toBe('900000');
    expect(props['group.initial.rebalance.delay.ms']).toBe('0');
    expect(props['log.dirs']).toBe('/var/lib/kafka/data');
    expect(Object.keys(props).some((k) => k.startsWith('heap'))).toBe(false);
    // apache/kafka's naming: "__" is "_" and "___" is "-".
    const odd = readFileSync(join(render('kafka', { KAFKA_SOME__ODD___NAME: 'x' }), 'server.properties'), 'utf8');
    expect(odd).toContain('some_odd-name=x');
  });

  it('flink: FLINK_PROPERTIES lies over the base configuration, a later key winning, and the plugin is found', () => {
    const home = mkdtempSync(join(tmpdir(), 'tipstream-flink-home-'));
    mkdirSync(join(home, 'conf'));
    mkdirSync(join(home, 'plugins', 'metrics-prometheus'), { recursive: true });
    writeFileSync(join(home, 'plugins', 'metrics-prometheus', 'flink-metrics-prometheus-2.2.1.jar'), '');
    writeFileSync(join(home, 'conf', 'config.base.yaml'), flinkImageBaseConfig('--add-opens=java.base/java.lang=ALL-UNNAMED'));
    const env = byHost['taskmanager-2']!.env;
    const yaml = parseYaml(readFileSync(join(render('flink', env, home), 'config.yaml'), 'utf8')) as Record<string, unknown>;
    expect(yaml['jobmanager.rpc.address']).toBe('jobmanager');
    expect(yaml['taskmanager.numberOfTaskSlots']).toBe(config.stack.taskSlots);
    expect(yaml['heartbeat.timeout']).toBe(20000);
    expect(yaml['taskmanager.bind-host']).toBe('0.0.0.0');
    expect(yaml['env.java.opts.all']).toBe('--add-opens=java.base/java.lang=ALL-UNNAMED');
    // The TaskManager's collector, as the local stack's and the Kubernetes session cluster's.
    expect(yaml['env.java.opts.taskmanager']).toBe(taskManagerJavaOptions);
    const session = parseYaml(readFileSync(join(projectRoot, 'deploy', 'kubernetes', 'base', 'flink-session.yaml'), 'utf8')) as { spec: { flinkConfiguration: Record<string, string> } };
    expect(session.spec.flinkConfiguration['env.java.opts.taskmanager']).toBe(taskManagerJavaOptions);
    expect(() => render('flink', { ENABLE_BUILT_IN_PLUGINS: 'flink-metrics-nothing.jar' }, home)).toThrow();
  });

  it("cassandra: the node's settings on the container's address, with the data center asked for", () => {
    const home = mkdtempSync(join(tmpdir(), 'tipstream-cassandra-home-'));
    mkdirSync(join(home, 'conf'));
    writeFileSync(join(home, 'conf', 'cassandra.template.yaml'), cassandraImageTemplate());
    const out = render('cassandra', { ...byHost.cassandra!.env, TIPSTREAM_ADDRESS: '10.89.0.7' }, home);
    const yaml = parseYaml(readFileSync(join(out, 'cassandra.yaml'), 'utf8')) as Record<string, unknown>;
    expect(yaml.cluster_name).toBe('tipstream');
    expect(yaml.listen_address).toBe('10.89.0.7');
    expect(yaml.broadcast_rpc_address).toBe('10.89.0.7');
    expect(yaml.rpc_address).toBe('0.0.0.0');
    expect(yaml.endpoint_snitch).toBe('GossipingPropertyFileSnitch');
    expect(JSON.stringify(yaml.seed_provider)).toContain('10.89.0.7:7000');
    expect(readFileSync(join(out, 'cassandra-rackdc.properties'), 'utf8')).toBe(`dc=${config.cassandra.localDataCenter}\nrack=rack1\n`);
  });
});

describe('the base image', () => {
  it("takes its mirror from the machine's apt sources, one-line or deb822", () => {
    expect(mirrorsIn('deb [arch=amd64] http://mirror.example/debian bookworm main\n# deb http://old.example/ x')).toEqual(['http://mirror.example/debian']);
    expect(mirrorsIn('Types: deb\nURIs: http://a.example/debian http://b.example/debian\nSuites: bookworm\n')).toEqual(['http://a.example/debian', 'http://b.example/debian']);
  });
});
