/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // Integration tests share one real Redis and bind loopback ports; two workers
  // match this machine's two cores without starving Redis.
  maxWorkers: 2,
  testTimeout: 30000,
};
