import cassandra from 'cassandra-driver';
const ks = process.argv[2];
const c = new cassandra.Client({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1' });
await c.connect();
try { console.log('after kill', (await c.execute(`SELECT count(*) FROM ${ks}.t`)).rows[0].count.toString()); } catch (e) { console.log('error', e.message); }
await c.shutdown();
