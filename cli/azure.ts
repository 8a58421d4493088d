// `tipstream azure env`: a deployment's outputs (deploy/azure/main.bicep) as the TIPSTREAM_*
// settings to export, and the az commands that read the secrets when the shell runs them.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { environmentLines, secretCommands, settingsFromOutputs } from '../common/azure-outputs.js';
import { UserError } from '../common/errors.js';
import { action } from './flags.js';

function readOutputs(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UserError('TIPSTREAM_INPUT', `cannot read the deployment's outputs from ${file}`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new UserError('TIPSTREAM_INPUT', `the deployment's outputs in ${file} are not JSON`, { cause });
  }
}

export function registerAzureCommands(program: Command): void {
  const azure = program.command('azure').description('Azure: the settings of a deploy/azure/main.bicep deployment');
  azure
    .command('env')
    .description("print a deployment's outputs as TIPSTREAM_* settings (az deployment group show -g RG -n main --query properties.outputs > outputs.json)")
    .requiredOption('--outputs <file>', "the deployment's outputs as JSON, or - for standard input")
    .addOption(new Option('--format <format>', 'shell: export lines, with az commands for the secrets; dotenv: NAME=value lines for deploy/kubernetes/overlays/azure/azure.env').choices(['shell', 'dotenv']).default('shell'))
    .addOption(new Option('--secrets-for <part>', "whose Event Hubs rule the connection string command reads: the job's (Listen+Send), the relay's (listen) or the generator's (send)").choices(['job', 'listen', 'send']).default('job'))
    .action(
      action((options: { outputs: string; format: 'shell' | 'dotenv'; secretsFor: 'job' | 'listen' | 'send' }) => {
        const environment = settingsFromOutputs(readOutputs(options.outputs), options.outputs === '-' ? 'standard input' : options.outputs);
        const lines = environmentLines(environment, options.format);
        if (options.format === 'shell') {
          const secrets = secretCommands(environment, options.secretsFor);
          if (secrets.length > 0) lines.push('# secrets: read from Azure when these lines run, never printed by tipstream', ...secrets);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
