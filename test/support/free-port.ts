// A TCP port on 127.0.0.1 that was free a moment ago, for a service a test or bench starts itself.
// Another process may take it before the caller binds it; on one machine that is rare enough.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** Binds port 0 on 127.0.0.1, reads the port the system chose and lets it go again. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}
