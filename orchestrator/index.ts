// Public surface of the orchestrator: the Flink job (render, deploy, resume, upgrade), its
// metrics and their Prometheus endpoint, and the relay from the results topic to Cassandra.
export { deployJob, deploymentFile, readDeployment, type Deployment, type DeployOptions } from './deploy.js';
export { ensureFunctionsJar, functionsJarPath } from './functions-jar.js';
export { jobValues, sessionProperties, type JobOptions } from './job-values.js';
export { flinkDuration, renderJob, sqlDir, sqlInterval, type RenderedStatement, type SqlValue } from './sql-template.js';
export { runRelay, type RelayCounters, type RelayOptions } from './relay.js';
export { configuredSinks, openResultReader } from './result-sinks.js';
export { upgradeJob, type UpgradeOptions, type UpgradeResult } from './upgrade.js';
export { rescaleJob, type RescaleOptions, type RescaleResult } from './rescale.js';
export { collectJobMetrics, jobMetricsGauges, serveMetrics, type JobMetrics } from './job-metrics.js';
export { latestCheckpoint, resumeJob } from './resume.js';
