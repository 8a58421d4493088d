// A stack that cannot get ready in time leaves nothing behind: `stack up` with a readiness budget
// too short for Cassandra fails naming what was not ready, and every container it started (those
// that came up and the one that did not) and its network are gone afterwards.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getContainerRuntimeClient } from 'testcontainers';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { ensureFunctionsJar } from '../../orchestrator/index.js';
import { stackLabel, TestcontainersStackProvider } from '../../stack/testcontainers-provider.js';

it('removes every container it started when the stack does not get ready', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tipstream-failed-start-'));
  const config = loadConfig({
    overrides: {
      stateDir,
      stack: { taskManagers: 1, readyTimeoutSeconds: 5, ports: { kafka: 39092, flinkRest: 38081, sqlGateway: 38083, cassandra: 39042, flinkPrometheusFirst: 39249 } },
    },
  });
  const provider = new TestcontainersStackProvider(config, createProgress(false), { buildFunctionsJar: (p) => ensureFunctionsJar(config, p) });
  await expect(provider.up()).rejects.toThrow(/not ready after 5 s|log message|timed out|Timed out/i);
  const runtime = await getContainerRuntimeClient();
  const left = (await runtime.container.list()).filter((c) => c.Labels?.[stackLabel] === stateDir);
  expect(left).toEqual([]);
  expect(await provider.status()).toEqual(expect.arrayContaining([expect.objectContaining({ detail: 'no container recorded' })]));
});
