// The architecture of DESIGN.md ("Components"), checked on every `npm test`
// (test/unit/architecture/dependency-rules.test.ts): components never import each other, only
// cli/ composes them, clients/ and common/ stay at the bottom, and there are no cycles.
const components = '(stack|generator|udf-service|orchestrator)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: a module ends up importing itself.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'components-never-import-each-other',
      severity: 'error',
      comment: 'stack/, generator/, udf-service/ and orchestrator/ may use common/ and clients/; only cli/ puts them together.',
      from: { path: `^${components}/` },
      to: { path: `^(cli|${components.slice(1, -1)})/`, pathNot: '^$1/' },
    },
    {
      name: 'clients-use-only-common',
      severity: 'error',
      comment: 'clients/ (clients of outside services) may use common/ only.',
      from: { path: '^clients/' },
      to: { path: `^(cli|${components.slice(1, -1)})/` },
    },
    {
      name: 'clients-take-their-own-options',
      severity: 'error',
      comment:
        'clients/ take small options types of their own, never the whole configuration: they import neither common/config.ts (ResolvedConfig) nor common/client-options.ts, the one place that maps it onto them.',
      from: { path: '^clients/' },
      to: { path: '^common/(config|client-options)\\.ts$' },
    },
    {
      name: 'common-imports-nothing-in-the-repo',
      severity: 'error',
      comment: 'common/ (config, errors, logging, retry, durations) is the bottom layer.',
      from: { path: '^common/' },
      to: { path: '^(cli|clients|bin|test|bench|stack|generator|udf-service|orchestrator)/' },
    },
    {
      name: 'only-bin-imports-cli',
      severity: 'error',
      comment: 'cli/ is the top: nothing but bin/ (and tests) imports it.',
      from: { path: '^(clients|common|stack|generator|udf-service|orchestrator)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'cross-folder-imports-go-through-index',
      severity: 'error',
      comment: "Another folder is used through its index.ts (its library API), not its inner files. common/ is the shared kernel of single-purpose modules and is imported file by file.",
      from: { path: '^(bin|cli|clients|stack|generator|udf-service|orchestrator)/' },
      to: { path: '^(clients|stack|generator|udf-service|orchestrator)/(?!index\\.ts$)', pathNot: '^$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data|flink-udf|sql)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
