// Jest configuration: TypeScript through ts-jest, one run for unit and integration suites.
import type { Config } from 'jest';

const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The server's sources import the library by name: one copy of it, from src/, for them and the tests (instanceof holds).
  moduleNameMapper: {
    '^twake-app-auth$': '<rootDir>/src/index.ts',
    '^twake-app-auth/internal$': '<rootDir>/src/internal.ts',
    '^twake-app-auth/package\\.json$': '<rootDir>/package.json',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.check.json' }],
    // jose ships ES modules only: Node requires them natively, Jest's CommonJS runtime needs them compiled.
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 45000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
};

export default config;
