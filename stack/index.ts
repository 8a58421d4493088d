// Public surface of the stack component: the providers (local processes, or containers), the
// apps `start` leaves running, and where the resolved artifacts live.
import type { ResolvedConfig } from '../common/config.js';
import { createProgress, type Progress } from '../common/progress.js';
import { artifactPaths } from './artifacts.js';
import { ExternalStackProvider } from './external-provider.js';
import { LocalStackProvider } from './local-provider.js';
import type { StackOptions, StackProvider } from './types.js';

export { serviceNames, type ServiceName, type ServiceStatus, type StackEndpoints, type StackOptions, type StackProvider, type StackUpResult } from './types.js';
export { LocalStackProvider } from './local-provider.js';
export { forgetApp, recordedApps, runningApp, startApp, stopApps, type AppName } from './apps.js';
export { localImages, versions } from './versions.js';
export { buildLocalImages, type BuiltImage } from './images.js';
export { artifactPaths, isCacheWarm, resolveArtifacts } from './artifacts.js';
export { isRunning, type ProcessIdentity } from './processes.js';
export { kafkaService, cassandraService, type CassandraServiceOptions, type KafkaServiceOptions, type LocalService } from './services.js';
export type { CassandraLogin } from './readiness.js';
export type { KafkaListenerAddress, Properties } from './service-config.js';
export { findJava17, runToCompletion } from './java.js';
export { assertPortFree, launchDetached, stopProcess } from './processes.js';

/** The folder of Kafka jars (broker, clients, kafka-tools with ProducerPerformance). */
export function kafkaLibDir(config: ResolvedConfig): string {
  return artifactPaths(config).kafkaLibDir;
}

/** The configured provider; testcontainers is loaded only when chosen (it is heavy to import). */
export async function createStackProvider(config: ResolvedConfig, progress: Progress = createProgress(), options: StackOptions = {}): Promise<StackProvider> {
  if (config.stack.provider === 'external') return new ExternalStackProvider(config, progress, options);
  if (config.stack.provider !== 'testcontainers') return new LocalStackProvider(config, progress, options);
  const { TestcontainersStackProvider } = await import('./testcontainers-provider.js');
  return new TestcontainersStackProvider(config, progress, options);
}
