// The `tipstream` program: one subcommand group per file of cli/, put together here.
import { Command } from 'commander';
import { registerAzureCommands } from './azure.js';
import { registerDashboardCommand } from './dashboard/index.js';
import { registerGenerateCommand, registerHeartbeatCommand } from './generator.js';
import { registerOrchestratorCommands } from './orchestrator.js';
import { registerRelayCommands } from './relay.js';
import { registerStackCommands } from './stack.js';
import { registerStartCommand } from './start.js';
import { registerUdfCommands } from './udf.js';

export function buildProgram(): Command {
  const program = new Command('tipstream')
    .description('Average tip per mile per New York City neighborhood, in real time, on Kafka, Flink SQL and Cassandra.')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); default ./tipstream.config.yaml when present')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error:/, 'tipstream: error:')) });

  registerStackCommands(program);
  registerOrchestratorCommands(program);
  registerRelayCommands(program);
  registerStartCommand(program);
  registerUdfCommands(program);
  registerGenerateCommand(program);
  registerHeartbeatCommand(program);
  registerDashboardCommand(program);
  registerAzureCommands(program);
  return program;
}
