// Test stand-ins for the cloud services, from the same cached artifacts as the local stack:
// an Event-Hubs-like Kafka (one SASL_SSL listener, mechanism PLAIN, the single user
// `$ConnectionString` whose password is a connection string) and a Cosmos-like Cassandra (client
// TLS and PasswordAuthenticator). Each has a self-signed certificate made by keytool; the tests
// start and stop them by their pid. The stack's definitions know nothing of this: the security
// (JAAS, keystores, the authenticator) is given to them here, as their options.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../../common/config.js';
import { pollUntil } from '../../common/retry.js';
import {
  artifactPaths,
  assertPortFree,
  cassandraService,
  findJava17,
  isRunning,
  kafkaService,
  launchDetached,
  runToCompletion,
  stopProcess,
  type CassandraServiceOptions,
  type KafkaServiceOptions,
  type LocalService,
  type ProcessIdentity,
} from '../../stack/index.js';

interface StandIn {
  identity: ProcessIdentity;
  logFile: string;
  stop(): Promise<void>;
}

export interface SecureKafka extends StandIn {
  bootstrapServers: string;
  /** What a client passes as the password of user `$ConnectionString`. */
  connectionString: string;
  /** PEM of the broker's certificate: the CA to trust. */
  caFile: string;
  /** Starts the stopped broker again on the same data, port and credentials, and waits until it answers. */
  restart(): Promise<void>;
}

export interface SecureCassandra extends StandIn {
  port: number;
  /** PEM of the server certificate: the CA to trust. */
  caFile: string;
  username: string;
  password: string;
}

/** A JKS keystore with a fresh self-signed certificate for the host, and that certificate as PEM. */
async function selfSignedKeystore(config: ResolvedConfig, java: string, dir: string, alias: string) {
  const keytool = join(dirname(java), 'keytool');
  await mkdir(dir, { recursive: true });
  const keystore = join(dir, 'server.keystore.jks');
  const caFile = join(dir, 'server.pem');
  const keystorePassword = randomBytes(12).toString('hex');
  await runToCompletion(keytool, [
    '-genkeypair', '-keystore', keystore, '-storetype', 'JKS', '-storepass', keystorePassword, '-keypass', keystorePassword,
    '-alias', alias, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=localhost',
    '-ext', `san=ip:${config.host},dns:localhost`,
  ], 'keytool -genkeypair');
  await runToCompletion(keytool, ['-exportcert', '-rfc', '-keystore', keystore, '-storepass', keystorePassword, '-alias', alias, '-file', caFile], 'keytool -exportcert');
  return { keystore, caFile, keystorePassword };
}

/** Launches a prepared service and waits until it answers; stopped again when it does not. */
async function launchStandIn(
  name: string,
  service: LocalService,
  readyTimeoutMs: number,
  intervalMs: number,
): Promise<{ identity: () => ProcessIdentity; stop: () => Promise<void>; start: () => Promise<void> }> {
  let identity: ProcessIdentity | undefined;
  const stop = () => stopProcess(identity!, 30_000);
  const start = async () => {
    const launched = launchDetached(service.launch());
    identity = launched;
    try {
      await pollUntil(`${name} at ${service.address} (log: ${service.logFile})`, service.probe, { timeoutMs: readyTimeoutMs, intervalMs, alive: () => isRunning(launched) });
    } catch (err) {
      await stop();
      throw err;
    }
  };
  for (const port of service.ports) await assertPortFree(name, service.address.split(':')[0]!, port);
  await service.prepare();
  await start();
  return { identity: () => identity!, stop, start };
}

/**
 * An Event-Hubs-like Kafka: one SASL_SSL listener with this keystore, PLAIN, and the single user
 * `$ConnectionString` whose password is the connection string.
 */
export function secureKafkaOptions(options: {
  dir: string;
  port: number;
  controllerPort: number;
  keystore: string;
  keystorePassword: string;
  /** PEM of the certificate: the broker trusts it for its own connections, clients are given it. */
  caFile: string;
  connectionString: string;
}): KafkaServiceOptions {
  const { dir, port, controllerPort, keystore, keystorePassword, caFile, connectionString } = options;
  // It is written into the JAAS line between double quotes.
  if (/["\\]/.test(connectionString)) throw new Error('the secure Kafka connection string must hold no " or \\');
  return {
    dir,
    logFile: join(dir, 'kafka.log'),
    port,
    controllerPort,
    listenerSettings: ({ host }) => ({
      listeners: `SASL_SSL://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      'advertised.listeners': `SASL_SSL://${host}:${port}`,
      'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config':
        `org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="${connectionString}" user_$ConnectionString="${connectionString}";`,
      'ssl.keystore.type': 'JKS',
      'ssl.keystore.location': keystore,
      'ssl.keystore.password': keystorePassword,
      'ssl.key.password': keystorePassword,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': caFile,
    }),
    clientSecurity: { connectionString, caFile },
  };
}

export async function startSecureKafka(config: ResolvedConfig, options: { dir: string; port: number; controllerPort: number; readyTimeoutMs?: number }): Promise<SecureKafka> {
  const java = await findJava17();
  const { keystore, caFile, keystorePassword } = await selfSignedKeystore(config, java, options.dir, 'kafka');
  // The shape of an Event Hubs namespace connection string, with a random key.
  const connectionString = `Endpoint=sb://localhost/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${randomBytes(24).toString('base64')}`;
  const service = kafkaService(
    { config, artifacts: artifactPaths(config), java },
    secureKafkaOptions({ dir: options.dir, port: options.port, controllerPort: options.controllerPort, keystore, keystorePassword, caFile, connectionString }),
  );
  const running = await launchStandIn('the secure Kafka', service, options.readyTimeoutMs ?? 120_000, 500);
  return {
    bootstrapServers: service.address,
    connectionString,
    caFile,
    get identity() {
      return running.identity();
    },
    logFile: service.logFile,
    stop: running.stop,
    restart: running.start,
  };
}

/** Created by Cassandra itself once PasswordAuthenticator is on. */
const superuser = { username: 'cassandra', password: 'cassandra' };

/**
 * A Cosmos-like Cassandra: client TLS with this keystore and PasswordAuthenticator, whose
 * superuser Cassandra creates a few seconds after start.
 */
export function secureCassandraOptions(options: { dir: string; port: number; storagePort: number; keystore: string; keystorePassword: string; caFile: string }): CassandraServiceOptions {
  const { dir, port, storagePort, keystore, keystorePassword, caFile } = options;
  return {
    dir,
    logFile: join(dir, 'cassandra.log'),
    port,
    storagePort,
    extraSettings: {
      authenticator: 'PasswordAuthenticator',
      client_encryption_options: { enabled: true, optional: false, keystore, keystore_password: keystorePassword, require_client_auth: false },
    },
    login: { caFile, ...superuser },
  };
}

export async function startSecureCassandra(config: ResolvedConfig, options: { dir: string; port: number; storagePort: number; readyTimeoutMs?: number }): Promise<SecureCassandra> {
  const java = await findJava17();
  const { keystore, caFile, keystorePassword } = await selfSignedKeystore(config, java, options.dir, 'cassandra');
  const service = cassandraService(
    { config, artifacts: artifactPaths(config), java },
    secureCassandraOptions({ dir: options.dir, port: options.port, storagePort: options.storagePort, keystore, keystorePassword, caFile }),
  );
  // Ready when a TLS connection logs in as cassandra/cassandra (created after the port opens).
  const running = await launchStandIn('the secure Cassandra', service, options.readyTimeoutMs ?? 180_000, 1000);
  return {
    port: options.port,
    caFile,
    ...superuser,
    get identity() {
      return running.identity();
    },
    logFile: service.logFile,
    stop: running.stop,
  };
}
