import { loadConfig } from '../../../common/config.js';
import { jobValues, sessionProperties } from '../../../orchestrator/index.js';

const env = { HOME: '/home/someone' };

describe('the job values', () => {
  it('asks the exactly-once sink for the transaction timeout the local broker allows', () => {
    const values = jobValues(loadConfig({ env, cwd: '/' }), { bounded: false }, '/jar');
    expect(values.STATS_DELIVERY).toEqual({
      kind: 'options',
      value: { 'sink.delivery-guarantee': 'exactly-once', 'sink.transactional-id-prefix': 'tipstream-taxi-neighborhood-stats', 'properties.transaction.timeout.ms': '900000' },
    });
  });

  it('delivers at least once, with the SASL options kept secret, on Event Hubs', () => {
    const config = loadConfig({ env: { ...env, TIPSTREAM_KAFKA_CONNECTION_STRING: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k' }, cwd: '/' });
    const values = jobValues(config, { bounded: true }, '/jar');
    expect(values.STATS_DELIVERY).toEqual({ kind: 'options', value: { 'sink.delivery-guarantee': 'at-least-once' } });
    expect(values.KAFKA_SECURITY).toMatchObject({ kind: 'options', secret: true });
    expect(values.BOOTSTRAP_SERVERS).toEqual({ kind: 'string', value: 'ns.servicebus.windows.net:9093' });
  });

  it('accepts every duration the config accepts, e.g. a window of "5 m"', () => {
    const config = loadConfig({ env, cwd: '/', overrides: { job: { windowSize: '5 m', checkpointInterval: '1.5 min', idleTimeout: '30 s' } } });
    expect(() => jobValues(config, { bounded: false }, '/jar')).not.toThrow();
    expect(sessionProperties(config, 'tipstream')['execution.checkpointing.interval']).toBe('90 s');
  });
});
