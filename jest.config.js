// Two projects: unit tests need nothing running; integration tests share one real local stack,
// started once by test/integration/global-setup.js and stopped by global-teardown.js.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };

export default {
  // Integration tests wait on real services; jest reads this option only at the top level.
  testTimeout: 600000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      extensionsToTreatAsEsm: ['.ts'],
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: '<rootDir>/test/support/node-environment.cjs',
      extensionsToTreatAsEsm: ['.ts'],
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.js',
      globalTeardown: '<rootDir>/test/integration/global-teardown.js',
    },
    {
      // Fault tests kill parts of the shared stack: `npm run test:faults`, which CI runs after `npm test` (see README, Tests).
      displayName: 'faults',
      testEnvironment: '<rootDir>/test/support/node-environment.cjs',
      extensionsToTreatAsEsm: ['.ts'],
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.js',
      globalTeardown: '<rootDir>/test/integration/global-teardown.js',
    },
    {
      // The stack in containers, started with testcontainers by the suite itself (Docker, or
      // Podman's Docker API): `npm run test:containers`, which CI runs last (stack/CONTAINERS.md).
      // Beside its own tests, the pipeline's correctness and the savepoint upgrade run here as
      // they run on the local stack.
      displayName: 'containers',
      testEnvironment: '<rootDir>/test/support/node-environment.cjs',
      extensionsToTreatAsEsm: ['.ts'],
      transform,
      moduleNameMapper,
      testMatch: [
        '<rootDir>/test/containers/**/*.test.ts',
        '<rootDir>/test/integration/pipeline-correctness.test.ts',
        '<rootDir>/test/integration/upgrade.test.ts',
      ],
      globalSetup: '<rootDir>/test/containers/global-setup.js',
      globalTeardown: '<rootDir>/test/containers/global-teardown.js',
    },
  ],
};
