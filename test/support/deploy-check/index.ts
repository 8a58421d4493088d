// The offline deploy checks' tools, for test/unit/deploy: Kustomize rendering with the Kustomize
// library (a Go program), Kubernetes validation (kubernetes-validate, and tipstream's
// FlinkDeployment schema derived from the operator's CRD), and Bicep parsing (tree-sitter-bicep).
// ensure-tools.sh builds and installs them once per machine into the user's cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../../../common/config.js';

/** The Kubernetes version whose OpenAPI schemas (bundled in kubernetes-validate 1.37.0) the manifests must satisfy. */
export const KUBERNETES_VERSION = '1.34.0';
export const deployDir = join(projectRoot, 'deploy');
const here = join(projectRoot, 'test', 'support', 'deploy-check');

let tools: { KUSTOMIZE_RENDER: string; PYTHON: string } | undefined;

/** Builds and installs the tools the first time (about a minute), then only finds them. */
export function deployTools(): { KUSTOMIZE_RENDER: string; PYTHON: string } {
  if (tools) return tools;
  const out = execFileSync('bash', [join(here, 'ensure-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  const entries = Object.fromEntries(out.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
  tools = { KUSTOMIZE_RENDER: entries.KUSTOMIZE_RENDER!, PYTHON: entries.PYTHON! };
  return tools;
}

export interface Rendered {
  ok: boolean;
  yaml: string;
  error: string;
}

/** `kustomize build DIR`, by the library. */
export function kustomizeBuild(dir: string): Rendered {
  const run = spawnSync(deployTools().KUSTOMIZE_RENDER, [dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return { ok: run.status === 0, yaml: run.stdout, error: run.stderr };
}

// A rendered manifest: its fields are whatever each kind has, which the tests read by path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any kind's fields, checked by the validators, not by types
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: any };

export function manifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml).map((doc) => doc.toJS() as Manifest).filter((doc) => doc !== null);
}

export interface Validation {
  checked: string[];
  errors: string[];
}

/** Every manifest against Kubernetes' schemas (strict) and the FlinkDeployment schema (`schemaFile`, default tipstream's). */
export function validateManifests(yaml: string, schemaFile?: string): Validation {
  const args = [join(here, 'validate_manifests.py'), KUBERNETES_VERSION, ...(schemaFile ? [schemaFile] : [])];
  const run = spawnSync(deployTools().PYTHON, args, { input: yaml, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`validate_manifests.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Validation;
}

export type BicepValue = string | number | boolean | null | { expr: string } | BicepValue[] | { [key: string]: BicepValue };
export interface BicepFile {
  file: string;
  errors: string[];
  params: { name: string; type: string; default?: BicepValue }[];
  variables: { name: string; value: BicepValue }[];
  resources: { symbol: string; type: string; loop?: string; condition?: string; body: { [key: string]: BicepValue } }[];
  outputs: { name: string; type: string; value: BicepValue }[];
}

/** Parses Bicep files with the tree-sitter grammar; each file lists its syntax errors. */
export function parseBicep(...files: string[]): BicepFile[] {
  const run = spawnSync(deployTools().PYTHON, [join(here, 'parse_bicep.py'), ...files], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`parse_bicep.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as BicepFile[];
}

/** A copy of deploy/ to plant mistakes in. */
export function copyOfDeploy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tipstream-deploy-'));
  cpSync(deployDir, dir, { recursive: true });
  return dir;
}
