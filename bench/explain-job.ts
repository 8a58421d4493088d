// Prints Flink's plan of the job (EXPLAIN of the statement set) without running it.
import { loadConfig } from '../common/config.js';
import { ensureFunctionsJar } from '../orchestrator/functions-jar.js';
import { jobValues, sessionProperties } from '../orchestrator/job-values.js';
import { SqlGatewayClient } from '../orchestrator/sql-gateway-client.js';
import { renderJob } from '../orchestrator/sql-template.js';
import { createProgress } from '../common/progress.js';

const config = loadConfig({});
const progress = createProgress(false);
const statements = await renderJob(jobValues(config, { bounded: true, topics: { rideTopic: 'taxi-rides', fareTopic: 'taxi-fares', deadLetterTopic: 'taxi-dead-letter', statsTopic: 'taxi-neighborhood-stats' } } as never, await ensureFunctionsJar(config, progress)));
const session = await new SqlGatewayClient(config.flink.sqlGatewayUrl).openSession({ sessionName: 'explain', properties: sessionProperties(config, 'explain') });
try {
  for (const s of statements) {
    const sql = s.sql.trimStart().startsWith('EXECUTE STATEMENT SET') ? s.sql.replace('EXECUTE STATEMENT SET', 'EXPLAIN STATEMENT SET') : s.sql;
    const r = await session.execute(sql);
    if (sql.startsWith('EXPLAIN')) console.log(r.rows.map((row) => (row as { fields: unknown[] }).fields.join('\n')).join('\n'));
  }
} finally {
  await session.close();
}
