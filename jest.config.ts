// Jest configuration: TypeScript through ts-jest, one run for unit and integration suites.
import type { Config } from 'jest';

const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.check.json' }] },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
};

export default config;
