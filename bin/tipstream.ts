// The `tipstream` command: one executable, one subcommand per component.
import { Command } from 'commander';
import { registerDashboardCommand } from '../dashboard/index.js';
import { registerGenerateCommand, registerHeartbeatCommand } from '../generator/index.js';
import { registerOrchestratorCommands } from '../orchestrator/index.js';
import { registerStackCommands } from '../stack/index.js';
import { registerUdfCommands } from '../udf-service/index.js';

const program = new Command('tipstream')
  .description('Average tip per mile per New York City neighborhood, in real time, on Kafka, Flink SQL and Cassandra.')
  .option('-c, --config <file>', 'configuration file (YAML or JSON); default ./tipstream.config.yaml when present')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error:/, 'tipstream: error:')) });

registerStackCommands(program);
registerOrchestratorCommands(program);
registerUdfCommands(program);
registerGenerateCommand(program);
registerHeartbeatCommand(program);
registerDashboardCommand(program);

await program.parseAsync(process.argv);
