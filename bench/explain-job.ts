// `npm run explain:job`: Flink's plan of the job (EXPLAIN of its statement set) through the SQL
// Gateway, without running it. Shows which parts each sink shares (`Reused`) and which it repeats.
// `--bounded` plans the bounded job; `--sql-dir <dir>` plans other templates (a ladder step's, an older sql/).
import { SqlGatewayClient } from '../clients/index.js';
import { loadConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { ensureFunctionsJar, jobValues, renderJob, sessionProperties } from '../orchestrator/index.js';
import { sqlGatewayOptions } from '../common/client-options.js';

const config = loadConfig();
const topics = { rideTopic: config.kafka.rideTopic, fareTopic: config.kafka.fareTopic, deadLetterTopic: config.kafka.deadLetterTopic, statsTopic: config.kafka.statsTopic };
const dirAt = process.argv.indexOf('--sql-dir');
const dir = dirAt === -1 ? undefined : process.argv[dirAt + 1];
if (dirAt !== -1 && !dir) throw new Error('--sql-dir needs a folder of .sql templates');
const statements = await renderJob(jobValues(config, { bounded: process.argv.includes('--bounded'), topics }, await ensureFunctionsJar(config, createProgress(false))), dir);
const session = await new SqlGatewayClient(sqlGatewayOptions(config)).openSession({ sessionName: 'tipstream-explain', properties: sessionProperties(config, 'tipstream-explain') });
try {
  for (const statement of statements) {
    const explain = statement.sql.trimStart().startsWith('EXECUTE STATEMENT SET');
    const result = await session.execute(explain ? statement.sql.replace('EXECUTE STATEMENT SET', 'EXPLAIN STATEMENT SET') : statement.sql);
    if (explain) for (const row of result.rows) process.stdout.write(`${row.fields.join('\n')}\n`);
  }
} finally {
  await session.close();
}
