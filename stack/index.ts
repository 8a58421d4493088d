// Public surface of the local stack component (filled in by issue #2).
import type { Command } from 'commander';

export function registerStackCommands(program: Command): void {
  program.command('stack').description('start, stop and inspect the local Kafka, Flink and Cassandra');
}
