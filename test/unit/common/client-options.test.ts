import { loadConfig } from '../../../common/config.js';
import { flinkRestOptions, kafkaEndpoint, kafkaTopicOptions, sqlGatewayOptions } from '../../../common/client-options.js';

const env = { HOME: '/home/someone' };

describe('the options each client takes, from the settings', () => {
  it('gives a local Kafka no login, and the generator the configured client', () => {
    const config = loadConfig({ env, cwd: '/', overrides: { kafka: { client: 'javascript' } } });
    expect(kafkaEndpoint(config)).toEqual({ bootstrapServers: config.kafka.bootstrapServers, client: 'javascript' });
    expect(kafkaTopicOptions(config)).toEqual({ ...kafkaEndpoint(config), partitions: config.kafka.partitions });
  });

  it('keeps the Event Hubs connection string and the CA file inside the Kafka endpoint', () => {
    const connectionString = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k';
    const config = loadConfig({ env: { ...env, TIPSTREAM_KAFKA_CONNECTION_STRING: connectionString }, cwd: '/', overrides: { kafka: { caFile: '/certs/ca.pem' } } });
    expect(kafkaEndpoint(config)).toEqual({ bootstrapServers: 'ns.servicebus.windows.net:9093', connectionString, caFile: '/certs/ca.pem', client: 'auto' });
  });

  it("gives Flink's REST client and the SQL Gateway client their addresses only", () => {
    const config = loadConfig({ env, cwd: '/' });
    expect(flinkRestOptions(config)).toEqual({ url: config.flink.restUrl });
    expect(sqlGatewayOptions(config)).toEqual({ url: config.flink.sqlGatewayUrl });
  });
});
