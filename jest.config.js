/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are caught once by `npm run typecheck`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // A throwaway redis-server for the Redis backend's tests, unless REDIS_URL names one.
  globalSetup: '<rootDir>/test/redis-server.setup.ts',
  globalTeardown: '<rootDir>/test/redis-server.teardown.ts',
};
