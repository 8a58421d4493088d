// The HTTP ceiling for bench:udf: a bare node:http server answering a constant of the same size
// as a lookup answer, with the same keep-alive settings as the udf-service.
import { createServer } from 'node:http';

const body = JSON.stringify({ lon: '-73.97912', lat: '40.7623177', neighborhood: 'Midtown' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
