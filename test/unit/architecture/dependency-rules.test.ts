// The architecture rules of DESIGN.md, enforced by a tool: dependency-cruiser with
// .dependency-cruiser.cjs over the sources, and a check that it does fail on a planted violation.
// Only common/config.ts reads settings from process.env, which dependency-cruiser cannot see: a
// scan of the sources checks that.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../common/config.js';

const run = promisify(execFile);
const depcruise = join(projectRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const sourceFolders = ['bin', 'cli', 'clients', 'common', 'stack', 'generator', 'udf-service', 'orchestrator'];

async function cruise(cwd: string, folders: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [depcruise, '--config', join(projectRoot, '.dependency-cruiser.cjs'), '--output-type', 'err', ...folders], { cwd });
    return { ok: true, output: stdout };
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    return { ok: false, output: `${stdout}${stderr}` };
  }
}

it('finds no violation of the dependency rules in the sources', async () => {
  const { ok, output } = await cruise(projectRoot, sourceFolders);
  expect(output).toContain('no dependency violations found');
  expect(ok).toBe(true);
}, 60_000);

it('fails on planted violations: components importing each other, a deep import, a client taking the whole configuration, common/ importing up, a cycle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tipstream-depcruise-'));
  const files: Record<string, string> = {
    'tsconfig.json': readFileSync(join(projectRoot, 'tsconfig.json'), 'utf8').replace(/"include": \[[^\]]*\]/, '"include": ["**/*.ts"]'),
    'stack/index.ts': "import { deploy } from '../orchestrator/index.js';\nexport const up = deploy;\n",
    'orchestrator/index.ts': "import { connect } from '../clients/kafka.js';\nexport const deploy = connect;\n",
    'clients/index.ts': "export { connect } from './kafka.js';\n",
    'clients/kafka.ts': "import type { ResolvedConfig } from '../common/config.js';\nexport const connect = 1;\nexport type Settings = ResolvedConfig;\n",
    'common/config.ts': 'export interface ResolvedConfig { kafka: string }\n',
    'common/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
    'common/b.ts': "import { a } from './a.js';\nimport { connect } from '../clients/index.js';\nexport const b = a ?? connect;\n",
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const { ok, output } = await cruise(dir, ['stack', 'orchestrator', 'clients', 'common']);
  expect(ok).toBe(false);
  for (const rule of ['components-never-import-each-other', 'cross-folder-imports-go-through-index', 'clients-take-their-own-options', 'common-imports-nothing-in-the-repo', 'no-cycles']) {
    expect(output).toContain(rule);
  }
}, 60_000);

function sourceFiles(folder: string): string[] {
  return readdirSync(join(projectRoot, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'public' ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

/** Reads of process.env outside common/config.ts, each with the reason it may stay. */
const allowed: Record<string, string> = {
  // Not a setting: the switch of testcontainers' own reaper, which the library reads itself.
  'cli/stack.ts': 'TESTCONTAINERS_RYUK_DISABLED',
};

it('reads settings from process.env only in common/config.ts', () => {
  const offenders = sourceFolders
    .flatMap(sourceFiles)
    .filter((file) => file !== join('common', 'config.ts'))
    .flatMap((file) => {
      const lines = readFileSync(join(projectRoot, file), 'utf8').split('\n');
      return lines.filter((line) => /process\.env\b/.test(line) && !(allowed[relative('.', file)] && line.includes(allowed[relative('.', file)]!))).map((line) => `${file}: ${line.trim()}`);
    });
  expect(offenders).toEqual([]);
});
