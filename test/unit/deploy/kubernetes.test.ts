// deploy/kubernetes, checked offline: each overlay rendered by the Kustomize library, then every
// manifest validated against Kubernetes' OpenAPI schemas (kubernetes-validate, strict) and the
// FlinkDeployment against tipstream's schema derived from the operator 1.15 CRD. Each check is
// also shown failing on a planted mistake in a copy of deploy/.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyOfDeploy, deployDir, deployTools, KUBERNETES_VERSION, kustomizeBuild, manifests, validateManifests, type Manifest } from '../../support/deploy-check/index.js';

const overlays = ['local', 'azure'] as const;

beforeAll(() => {
  deployTools();
}, 300_000);

function renderOverlay(root: string, overlay: string): string {
  const rendered = kustomizeBuild(join(root, 'kubernetes', 'overlays', overlay));
  if (!rendered.ok) throw new Error(`kustomize build ${overlay}: ${rendered.error}`);
  return rendered.yaml;
}

/** Edits a file of a copy of deploy/ and renders the overlay from it. */
function plant(file: string, edit: (text: string) => string, overlay = 'local'): string {
  const root = copyOfDeploy();
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
  return renderOverlay(root, overlay);
}

describe.each(overlays)('overlay %s', (overlay) => {
  let yaml: string;
  let docs: Manifest[];
  beforeAll(() => {
    yaml = renderOverlay(deployDir, overlay);
    docs = manifests(yaml);
  }, 120_000);

  it(`validates every manifest against Kubernetes ${KUBERNETES_VERSION} and the FlinkDeployment schema`, () => {
    const result = validateManifests(yaml);
    expect(result.errors).toEqual([]);
    expect(result.checked).toHaveLength(docs.length);
    for (const kind of ['FlinkDeployment', 'Deployment', 'Service', 'Job', 'ConfigMap', 'PersistentVolumeClaim']) expect(result.checked.some((name) => name.startsWith(`${kind}/`))).toBe(true);
  }, 120_000);

  it('has the session cluster, the SQL Gateway, the four services and the deploy Job, all in namespace tipstream', () => {
    const names = docs.map((doc) => `${doc.kind}/${doc.metadata.name}`);
    for (const name of ['FlinkDeployment/tipstream-flink', 'Deployment/tipstream-sql-gateway', 'Service/tipstream-sql-gateway', 'Deployment/tipstream-udf-service', 'Deployment/tipstream-relay', 'Deployment/tipstream-metrics', 'Deployment/tipstream-dashboard', 'Job/tipstream-deploy']) {
      expect(names).toContain(name);
    }
    for (const doc of docs.filter((d) => d.kind !== 'Namespace')) expect((doc.metadata as { namespace?: string }).namespace).toBe('tipstream');
    const flink = docs.find((d) => d.kind === 'FlinkDeployment') as unknown as { spec: Record<string, unknown> };
    expect(flink.spec).toMatchObject({ flinkVersion: 'v2_2', mode: 'standalone' });
    expect(flink.spec).not.toHaveProperty('job');
    const udf = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'tipstream-udf-service') as unknown as { spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string } } }[] } } } };
    expect(udf.spec.template.spec.containers[0]!.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('holds no secret: no Secret objects, and every password or connection string comes from a Secret by name', () => {
    expect(docs.filter((doc) => doc.kind === 'Secret')).toEqual([]);
    expect(yaml).not.toMatch(/SharedAccessKey=|AccountKey=/);
    const settings = docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(Object.keys(settings.data).filter((name) => /PASSWORD|CONNECTION_STRING/.test(name))).toEqual([]);
    const env = JSON.stringify(docs).match(/"name":"TIPSTREAM_[A-Z_]*(PASSWORD|CONNECTION_STRING)"[^}]*}/g) ?? [];
    for (const entry of env) expect(entry).toMatch(/"valueFrom":\{"secretKeyRef"/);
    if (overlay === 'azure') expect(env.length).toBeGreaterThanOrEqual(3);
  });
});

it('the azure overlay points every image at the registry, the FlinkDeployment too, and runs two TaskManagers', () => {
  const docs = manifests(renderOverlay(deployDir, 'azure'));
  const images = JSON.stringify(docs).match(/"image":"[^"]*"/g) ?? [];
  expect(images.length).toBeGreaterThan(6);
  for (const image of images) expect(image).toMatch(/azurecr\.io\/tipstream\//);
  expect((docs.find((d) => d.kind === 'FlinkDeployment') as unknown as { spec: { taskManager: { replicas: number } } }).spec.taskManager.replicas).toBe(2);
}, 60_000);

describe('fails on a planted mistake', () => {
  it('an unknown field in a Deployment (replica for replicas)', () => {
    const { errors } = validateManifests(plant('kubernetes/base/relay.yaml', (t) => t.replace('  replicas: 1', '  replica: 1')));
    expect(errors.join('\n')).toMatch(/Deployment\/tipstream-relay: .*'replica' was unexpected/);
  }, 60_000);

  it('a wrong type in a Service (a port as text)', () => {
    const { errors } = validateManifests(plant('kubernetes/base/udf-service.yaml', (t) => t.replace('port: 8090', 'port: eighty')));
    expect(errors.join('\n')).toMatch(/Service\/tipstream-udf-service: spec.ports.0.port/);
  }, 60_000);

  it('a Flink version the operator 1.15 does not know', () => {
    const { errors } = validateManifests(plant('kubernetes/base/flink-session.yaml', (t) => t.replace('flinkVersion: v2_2', 'flinkVersion: v2_3')));
    expect(errors).toEqual([expect.stringMatching(/FlinkDeployment\/tipstream-flink: spec.flinkVersion: 'v2_3' is not one of/)]);
  }, 60_000);

  it('a mode the CRD does not have, and a misspelt field', () => {
    const { errors } = validateManifests(plant('kubernetes/base/flink-session.yaml', (t) => t.replace('mode: standalone', 'mode: session').replace('serviceAccount: flink', 'serviceAccountName: flink')));
    expect(errors.join('\n')).toMatch(/spec.mode: 'session' is not one of \['native', 'standalone'\]/);
    expect(errors.join('\n')).toMatch(/'serviceAccountName' was unexpected/);
  }, 60_000);

  it('a job section, which would make it an application cluster', () => {
    const { errors } = validateManifests(plant('kubernetes/base/flink-session.yaml', (t) => t.replace('  jobManager:\n', '  job:\n    upgradeMode: savepoint\n  jobManager:\n')));
    expect(errors.join('\n')).toMatch(/FlinkDeployment\/tipstream-flink: spec: .*should not be valid/);
  }, 60_000);

  it("a wrong field in the FlinkDeployment's pod template (checked as a core PodTemplate)", () => {
    const { errors } = validateManifests(plant('kubernetes/base/flink-session.yaml', (t) => t.replace('mountPath: /flink-data', 'mountpath: /flink-data')));
    expect(errors.join('\n')).toMatch(/FlinkDeployment\/tipstream-flink: spec.podTemplate: template.spec.containers.0.volumeMounts.0: /);
  }, 60_000);

  it('a patch for a resource the base does not have: Kustomize refuses to render', () => {
    const root = copyOfDeploy();
    const file = join(root, 'kubernetes', 'overlays', 'azure', 'secrets.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: tipstream-relay', 'name: tipstream-relays'));
    const rendered = kustomizeBuild(join(root, 'kubernetes', 'overlays', 'azure'));
    expect(rendered.ok).toBe(false);
    expect(rendered.error).toMatch(/tipstream-relays/);
  }, 60_000);
});
