// A TCP proxy in front of a service that a test can take down and bring back on the same port:
// an outage without touching the shared stack. With `splitRepliesAt`, it passes the service's
// replies on in pieces of that many bytes, one socket write each with a turn of the event loop
// between them, as a real network splits what loopback hands over whole.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly options: { splitRepliesAt?: number } = {},
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream);
      const size = this.options.splitRepliesAt;
      if (size === undefined) {
        upstream.pipe(client);
      } else {
        // One piece at a time, in order: the next waits for the event loop's next turn.
        let queue = Promise.resolve();
        upstream.on('data', (chunk: Buffer) => {
          queue = queue.then(async () => {
            for (let at = 0; at < chunk.length; at += size) {
              client.write(chunk.subarray(at, at + size));
              await new Promise((resolve) => setImmediate(resolve));
            }
          });
        });
        upstream.on('end', () => void queue.then(() => client.end()));
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
