// A second, Event-Hubs-like Kafka from the same cached artifacts: one SASL_SSL listener with a
// self-signed certificate made by keytool, mechanism PLAIN, and the single user `$ConnectionString`
// whose password is a connection string. It proves the generator's, the Flink job's and the
// relay's Event Hubs settings against a real broker; the tests start and stop it by its pid.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../common/config.js';
import { artifactPaths } from './artifacts.js';
import { findJava17, runToCompletion } from './java.js';
import { assertPortFree, isRunning, launchDetached, stopProcess, waitUntil, type ProcessIdentity } from './processes.js';
import { kafkaService } from './services.js';

export interface SecureKafka {
  bootstrapServers: string;
  /** What a client passes as the password of user `$ConnectionString`. */
  connectionString: string;
  /** PEM of the broker's certificate: the CA to trust. */
  caFile: string;
  identity: ProcessIdentity;
  logFile: string;
  stop(): Promise<void>;
  /** Starts the stopped broker again on the same data, port and credentials, and waits until it answers. */
  restart(): Promise<void>;
}

export async function startSecureKafka(config: ResolvedConfig, options: { dir: string; port: number; controllerPort: number; readyTimeoutMs?: number }): Promise<SecureKafka> {
  const java = await findJava17();
  const keytool = join(dirname(java), 'keytool');
  await mkdir(options.dir, { recursive: true });
  const keystore = join(options.dir, 'server.keystore.jks');
  const caFile = join(options.dir, 'server.pem');
  const keystorePassword = randomBytes(12).toString('hex');
  await runToCompletion(keytool, [
    '-genkeypair', '-keystore', keystore, '-storetype', 'JKS', '-storepass', keystorePassword, '-keypass', keystorePassword,
    '-alias', 'kafka', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=localhost',
    '-ext', `san=ip:${config.host},dns:localhost`,
  ], 'keytool -genkeypair');
  await runToCompletion(keytool, ['-exportcert', '-rfc', '-keystore', keystore, '-storepass', keystorePassword, '-alias', 'kafka', '-file', caFile], 'keytool -exportcert');
  // The shape of an Event Hubs namespace connection string, with a random key.
  const connectionString = `Endpoint=sb://localhost/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${randomBytes(24).toString('base64')}`;

  const service = kafkaService(
    { config, artifacts: artifactPaths(config), java },
    { dir: options.dir, port: options.port, controllerPort: options.controllerPort, keystore, keystorePassword, caFile, connectionString },
  );
  for (const port of service.ports) await assertPortFree('the secure Kafka', config.host, port);
  await service.prepare();
  let identity = launchDetached(service.launch());
  const stop = () => stopProcess(identity, 30_000);
  const ready = async () => {
    try {
      await waitUntil(`the secure Kafka at ${service.address} (log: ${service.logFile})`, service.probe, options.readyTimeoutMs ?? 120_000, 500, () => isRunning(identity));
    } catch (err) {
      await stop();
      throw err;
    }
  };
  await ready();
  return {
    bootstrapServers: service.address,
    connectionString,
    caFile,
    get identity() {
      return identity;
    },
    logFile: service.logFile,
    stop,
    restart: async () => {
      identity = launchDetached(service.launch());
      await ready();
    },
  };
}
