// Test tiers (DESIGN.md, "Test pyramid"). `npm test` runs unit + sim; the README's test
// command runs every tier. Sources are run straight from TypeScript: @mk/* map to src/.
const transform = {
  // Type checking is `tsc -b`'s job (run by the build); here we only transpile, which keeps
  // thousands of simulated seeds fast.
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
};
const moduleNameMapper = { '^@mk/([a-z-]+)$': '<rootDir>/packages/$1/src' };
const common = { rootDir: __dirname, transform, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  // Every core: the simulation sweep is split into several files so they run side by side.
  maxWorkers: '100%',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'sim',
      testMatch: ['<rootDir>/packages/*/src/**/*.sim.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
    },
  ],
};
