// Public surface of the udf-service: startUdfService() (what `tipstream udf serve` runs, and what
// tests and the demo embed) and its parts.
import { childLogger } from '../common/logger.js';
import { loadBoundaries, type LoadOptions } from './boundaries.js';
import { NeighborhoodIndex } from './neighborhood-index.js';
import { startUdfServer, type StartedUdfServer } from './server.js';

export { loadBoundaries, type Boundary, type LoadOptions } from './boundaries.js';
export { NeighborhoodIndex, UNKNOWN } from './neighborhood-index.js';
export { startUdfServer, type StartedUdfServer } from './server.js';

const log = childLogger('udf-service');

export interface UdfServiceOptions extends LoadOptions {
  boundaries: string;
  host?: string;
  port?: number;
}

/** Listens at once (healthz answers, readyz says loading), then loads the boundaries. */
export async function startUdfService(options: UdfServiceOptions): Promise<StartedUdfServer & { index: NeighborhoodIndex }> {
  const server = await startUdfServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  try {
    const loaded = await loadBoundaries(options.boundaries, options);
    const index = new NeighborhoodIndex(loaded.boundaries);
    server.setIndex(index);
    log.info({ boundaries: options.boundaries, neighborhoods: index.size, coordinates: loaded.coordinateSystem, skipped: loaded.skipped, url: server.url }, 'ready');
    return { ...server, index };
  } catch (err) {
    await server.close();
    throw err;
  }
}
