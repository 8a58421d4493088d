// The job's functions jar: named after its sources, so a warm cache builds nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../common/config.js';
import { functionsJarPath } from '../../../orchestrator/functions-jar.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tipstream-functions-'));
const config = loadConfig({ overrides: { cacheDir } });

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

it('names the jar in the cache after the content of flink-udf/', async () => {
  const path = await functionsJarPath(config);
  expect(path).toMatch(new RegExp(`^${cacheDir}/flink-udf-[0-9a-f]{16}/tipstream-flink-udf\\.jar$`));
  expect(await functionsJarPath(config)).toBe(path);
});

