/** `npm run faults`: the long fault campaign (test/faults/*.faults.ts), one seed at a time. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults.ts'],
  maxWorkers: 1,
  testTimeout: 300000,
};
