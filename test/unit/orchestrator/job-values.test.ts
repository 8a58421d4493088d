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

  it('gives the job the bounds of a plausible event time in milliseconds, 1 h ahead of the clock and a 365-day jump by default', () => {
    const values = jobValues(loadConfig({ env, cwd: '/' }), { bounded: false }, '/jar');
    expect(values.EVENT_TIME_POLICY).toEqual({ kind: 'string', value: 'maxAheadOfClock=3600000,maxJump=31536000000,earliest=946684800000' });
  });

  it("passes live mode's clock, and 0 for a bound that is off", () => {
    const config = loadConfig({ env: { ...env, TIPSTREAM_JOB_MAX_JUMP: 'off' }, cwd: '/', overrides: { job: { maxAheadOfClock: '30 min', earliestEventTime: 'off' } } });
    const values = jobValues(config, { bounded: false, clock: { wallAt: 1000.4, eventAt: 5000, speedup: 60 } }, '/jar');
    expect(values.EVENT_TIME_POLICY).toEqual({ kind: 'string', value: `maxAheadOfClock=1800000,maxJump=0,earliest=${Number.MIN_SAFE_INTEGER},clockWall=1000,clockEvent=5000,clockSpeedup=60` });
  });

  it('refuses a bound that is no duration, naming the setting', () => {
    expect(() => loadConfig({ env: { ...env, TIPSTREAM_JOB_MAX_AHEAD_OF_CLOCK: 'soon' }, cwd: '/' })).toThrow(/job\.maxAheadOfClock.*TIPSTREAM_JOB_MAX_AHEAD_OF_CLOCK/s);
    expect(() => loadConfig({ env, cwd: '/', overrides: { job: { earliestEventTime: 'yesterday' } } })).toThrow(/job\.earliestEventTime/);
  });
});
