/** One jest run covers every package: unit tests beside the code, integration tests under test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // p-retry and is-network-error are ESM-only; ts-jest compiles them to CommonJS (allowJs).
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-retry|is-network-error)/)'],
  moduleNameMapper: {
    '^@kvndb/(shared|router|replica|client)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
