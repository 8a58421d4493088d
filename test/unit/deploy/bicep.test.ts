// deploy/azure/main.bicep, parsed with a real Bicep grammar (tree-sitter-bicep): no syntax error,
// the resources the reference architecture had and the settings it needs; a planted syntax error
// is found with its line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyOfDeploy, deployDir, deployTools, parseBicep, type BicepFile } from '../../support/deploy-check/index.js';

let bicep: BicepFile;
beforeAll(() => {
  deployTools();
  [bicep] = parseBicep(join(deployDir, 'azure', 'main.bicep')) as [BicepFile];
}, 300_000);

const body = (symbol: string) => bicep.resources.find((r) => r.symbol === symbol)!.body as Record<string, any>;

it('parses without a syntax error', () => {
  expect(bicep.errors).toEqual([]);
  expect(bicep.resources.length).toBeGreaterThan(10);
});

it('names a stable API version for every resource type but diagnostic settings, which have none', () => {
  for (const { type } of bicep.resources) {
    expect(type).toMatch(/^[A-Za-z.]+\/[A-Za-z/]+@\d{4}-\d\d-\d\d(-preview)?$/);
    if (!type.startsWith('Microsoft.Insights/diagnosticSettings@')) expect(type).not.toMatch(/preview/);
  }
});

it('makes an Event Hubs namespace of Standard or higher with Kafka and TLS 1.2, and Cosmos DB with EnableCassandra', () => {
  expect(['Standard', 'Premium']).toContain(body('eventHubs').sku.name);
  expect(body('eventHubs').properties).toMatchObject({ kafkaEnabled: true, minimumTlsVersion: '1.2' });
  expect(body('cosmos').properties.capabilities).toContainEqual({ name: 'EnableCassandra' });
  expect(body('resultsTable').properties.options.autoscaleSettings.maxThroughput).toEqual({ expr: 'cassandraMaxThroughput' });
});

it('has separate Send and Listen rules', () => {
  const rights = bicep.resources.filter((r) => r.type.startsWith('Microsoft.EventHub/namespaces/authorizationRules@')).map((r) => (r.body as Record<string, any>).properties.rights);
  expect(rights).toEqual(expect.arrayContaining([['Send'], ['Listen']]));
});

it('makes AKS and Key Vault only when asked', () => {
  expect(bicep.resources.find((r) => r.symbol === 'aks')!.condition).toBe('(deployAks)');
  expect(bicep.resources.find((r) => r.symbol === 'vault')!.condition).toBe('(deployKeyVault)');
});

it('puts no secret in an output', () => {
  for (const output of bicep.outputs) expect(JSON.stringify(output.value)).not.toMatch(/listKeys|secure/i);
});

it('fails on a planted syntax error, naming the line', () => {
  const root = copyOfDeploy();
  const file = join(root, 'azure', 'main.bicep');
  const text = readFileSync(file, 'utf8');
  const line = text.split('\n').findIndex((l) => l.includes("partitionCount: partitionCount")) + 1;
  writeFileSync(file, text.replace('partitionCount: partitionCount', 'partitionCount partitionCount'));
  const [planted] = parseBicep(file) as [BicepFile];
  expect(planted.errors.length).toBeGreaterThan(0);
  expect(planted.errors.join('\n')).toContain(`line ${line},`);
}, 60_000);
