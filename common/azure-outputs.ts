// An Azure deployment's outputs (deploy/azure/main.bicep) as tipstream settings, for
// `tipstream azure env`. An output named <group>_<setting> is the setting group.setting, so the
// mapping is one to one and a renamed setting is an unknown output here, not a silent miss.
// Outputs named azure_<name> are resource names, used to print the commands that read secrets.
import { z } from 'zod';
import { configSchema, envName, settingPaths } from './config.js';
import { ConfigError } from './errors.js';

const outputValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
const output = z.looseObject({ type: z.string(), value: outputValue });
const outputs = z.record(z.string(), output);
/** Either the outputs themselves or all of `az deployment group show` (properties.outputs). */
const deploymentOutputs = z.union([z.looseObject({ properties: z.looseObject({ outputs }) }).transform((d) => d.properties.outputs), outputs]);

/** Settings that are secrets: never an output, never printed. */
const SECRET_SETTINGS = new Set(['kafka.connectionString', 'cassandra.password']);
const AZURE_PREFIX = 'azure_';

export interface AzureSetting {
  /** The setting's path in tipstream's configuration, e.g. kafka.bootstrapServers. */
  path: string;
  /** Its environment name, e.g. TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS. */
  env: string;
  value: string;
}

export interface AzureEnvironment {
  settings: AzureSetting[];
  /** Names of Azure resources (azure_<name> outputs), e.g. resourceGroup, eventHubsNamespace. */
  resources: Record<string, string>;
}

/** Reads a deployment's outputs (parsed JSON) into settings; `origin` names where they came from, for errors. */
export function settingsFromOutputs(json: unknown, origin: string): AzureEnvironment {
  const parsed = deploymentOutputs.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${origin} is not a deployment's outputs: expected {"<name>": {"type": ..., "value": ...}} (az deployment group show --query properties.outputs)`);
  }
  const known = new Set(settingPaths(configSchema));
  const settings: AzureSetting[] = [];
  const resources: Record<string, string> = {};
  for (const [name, { type, value }] of Object.entries(parsed.data)) {
    if (/^secure/i.test(type)) throw new ConfigError(`${origin}: output ${name} is a ${type}; tipstream prints no secrets (read them with the commands it prints)`);
    if (name.startsWith(AZURE_PREFIX)) {
      resources[name.slice(AZURE_PREFIX.length)] = String(value);
      continue;
    }
    const path = name.replace(/_/g, '.');
    if (!known.has(path)) throw new ConfigError(`${origin}: output ${name} is no tipstream setting (${path}); outputs are named <group>_<setting> after common/config.ts, or azure_<name>`);
    if (SECRET_SETTINGS.has(path)) throw new ConfigError(`${origin}: output ${name} would carry a secret; tipstream prints no secrets`);
    settings.push({ path, env: envName(path), value: Array.isArray(value) ? value.join(',') : String(value) });
  }
  return { settings, resources };
}

/** A value quoted for a POSIX shell: single quotes, with embedded ones closed and escaped. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME='value'` lines (shell), or `NAME=value` lines (a Kustomize env file, read verbatim). */
export function environmentLines(environment: AzureEnvironment, format: 'shell' | 'dotenv'): string[] {
  return environment.settings.map(({ env, value }) => {
    if (format === 'shell') return `export ${env}=${shellQuote(value)}`;
    if (/[\r\n]/.test(value)) throw new ConfigError(`${env}: a value with a line break cannot go into an env file`);
    return `${env}=${value}`;
  });
}

/**
 * Shell lines that read the secrets from Azure with the az CLI when they run, so no secret is in
 * tipstream's output: the Listen+Send rule's connection string (the job; `kind` 'listen' or 'send'
 * for the relay or the generator) and the Cosmos DB key. Empty when the outputs name no resources.
 */
export function secretCommands(environment: AzureEnvironment, rule: 'job' | 'listen' | 'send' = 'job'): string[] {
  const { resourceGroup, eventHubsNamespace, cosmosAccount } = environment.resources;
  const ruleName = environment.resources[`${rule}Rule`];
  const lines: string[] = [];
  if (resourceGroup && eventHubsNamespace && ruleName) {
    lines.push(
      `export ${envName('kafka.connectionString')}="$(az eventhubs namespace authorization-rule keys list -g ${shellQuote(resourceGroup)} --namespace-name ${shellQuote(eventHubsNamespace)} -n ${shellQuote(ruleName)} --query primaryConnectionString -o tsv)"`,
    );
  }
  if (resourceGroup && cosmosAccount) {
    lines.push(`export ${envName('cassandra.password')}="$(az cosmosdb keys list -g ${shellQuote(resourceGroup)} -n ${shellQuote(cosmosAccount)} --query primaryMasterKey -o tsv)"`);
  }
  return lines;
}
