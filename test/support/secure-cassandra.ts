// A second, Cosmos-like Cassandra from the same cached artifacts: client TLS with a self-signed
// certificate made by keytool, and PasswordAuthenticator. It proves the relay's TLS + password
// path (the Cosmos DB profile) against a real server; the tests start and stop it by its pid.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../common/config.js';
import { artifactPaths } from './artifacts.js';
import { findJava17, runToCompletion } from './java.js';
import { assertPortFree, isRunning, launchDetached, stopProcess, waitUntil, type ProcessIdentity } from './processes.js';
import { cassandraService } from './services.js';

export interface SecureCassandra {
  port: number;
  /** PEM of the server certificate: the CA to trust. */
  caFile: string;
  username: string;
  password: string;
  identity: ProcessIdentity;
  logFile: string;
  stop(): Promise<void>;
}

export async function startSecureCassandra(config: ResolvedConfig, options: { dir: string; port: number; storagePort: number; readyTimeoutMs?: number }): Promise<SecureCassandra> {
  const java = await findJava17();
  const keytool = join(dirname(java), 'keytool');
  await mkdir(options.dir, { recursive: true });
  const keystore = join(options.dir, 'server.keystore.jks');
  const caFile = join(options.dir, 'server.pem');
  const keystorePassword = randomBytes(12).toString('hex');
  await runToCompletion(keytool, [
    '-genkeypair', '-keystore', keystore, '-storetype', 'JKS', '-storepass', keystorePassword, '-keypass', keystorePassword,
    '-alias', 'cassandra', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=localhost',
    '-ext', `san=ip:${config.host},dns:localhost`,
  ], 'keytool -genkeypair');
  await runToCompletion(keytool, ['-exportcert', '-rfc', '-keystore', keystore, '-storepass', keystorePassword, '-alias', 'cassandra', '-file', caFile], 'keytool -exportcert');

  const service = cassandraService(
    { config, artifacts: artifactPaths(config), java },
    { dir: options.dir, port: options.port, storagePort: options.storagePort, keystore, keystorePassword, caFile },
  );
  for (const port of service.ports) await assertPortFree('the secure Cassandra', config.host, port);
  await service.prepare();
  const identity = launchDetached(service.launch());
  const stop = () => stopProcess(identity, 30_000);
  try {
    // Ready when a TLS connection logs in as cassandra/cassandra (created after the port opens).
    await waitUntil(`the secure Cassandra at ${service.address} (log: ${service.logFile})`, service.probe, options.readyTimeoutMs ?? 180_000, 1000, () => isRunning(identity));
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: options.port, caFile, username: 'cassandra', password: 'cassandra', identity, logFile: service.logFile, stop };
}
