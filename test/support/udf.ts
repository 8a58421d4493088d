// A udf-service of a test's own, where the stack's Flink reaches it: on the loopback beside the
// local stack, on every interface beside the testcontainers stack (whose TaskManagers call the
// host by name, common/config.ts IN_CONTAINERS).
import type { ResolvedConfig } from '../../common/config.js';
import { startUdfService } from '../../udf-service/index.js';

export type TestUdfService = Awaited<ReturnType<typeof startUdfService>> & {
  /** The lookup URL as the job must be given it. */
  lookupUrl: string;
  /** The same for another port on this host (a proxy in front of the service). */
  lookupUrlAt(port: number): string;
};

export async function startTestUdfService(config: ResolvedConfig): Promise<TestUdfService> {
  const service = await startUdfService({ boundaries: config.udf.boundaries, nameField: config.udf.nameField, where: config.udf.where, host: config.udf.bindAddress, port: 0 });
  const flinkSeesHostAs = new URL(config.job.udfLookupUrl).hostname;
  const lookupUrlAt = (port: number) => `http://${flinkSeesHostAs}:${port}/lookup`;
  return Object.assign(service, { lookupUrl: lookupUrlAt(Number(new URL(service.url).port)), lookupUrlAt });
}
