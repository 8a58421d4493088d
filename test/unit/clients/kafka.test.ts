import { kafkaConnection, kafkaSqlOptions, KAFKA_TRANSACTION_TIMEOUT_MS, librdkafkaConnection, SHADED_PLAIN_LOGIN_MODULE } from '../../../clients/index.js';

const eventHubs = { bootstrapServers: 'ns.servicebus.windows.net:9093', connectionString: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k' };

describe('Kafka connection options', () => {
  it('connect to a plain local broker without TLS or SASL', () => {
    expect(kafkaConnection({ bootstrapServers: 'a:9092,b:9092' })).toEqual({ bootstrapBrokers: ['a:9092', 'b:9092'] });
    expect(librdkafkaConnection({ bootstrapServers: 'a:9092' })).toEqual({ bootstrapServers: 'a:9092' });
    expect(kafkaSqlOptions({ bootstrapServers: 'a:9092' })).toEqual({});
  });

  it('log in as $ConnectionString over SASL_SSL in every client, and in the SQL with the shaded login module', () => {
    expect(kafkaConnection(eventHubs)).toMatchObject({ tls: {}, sasl: { mechanism: 'PLAIN', username: '$ConnectionString', password: eventHubs.connectionString } });
    expect(librdkafkaConnection(eventHubs).sasl).toEqual({ username: '$ConnectionString', password: eventHubs.connectionString });
    const sql = kafkaSqlOptions(eventHubs);
    expect(sql['properties.security.protocol']).toBe('SASL_SSL');
    expect(sql['properties.sasl.jaas.config']).toBe(`${SHADED_PLAIN_LOGIN_MODULE} required username="$ConnectionString" password="${eventHubs.connectionString}";`);
  });

  it('refuses a connection string that would close the JAAS quote', () => {
    expect(() => kafkaSqlOptions({ ...eventHubs, connectionString: 'a"b' })).toThrow(/must not contain a double quote/);
  });

  it('has one transaction timeout, 15 minutes', () => {
    expect(KAFKA_TRANSACTION_TIMEOUT_MS).toBe(900_000);
  });
});
