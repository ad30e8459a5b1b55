// Lint rules: typescript-eslint strict, type-only imports kept separate.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'server/src/generated/', 'server/dist/', 'test/prisma7/generated/', 'test/prisma7/generated.*.tmp/', 'node_modules/', 'scratch/', 'examples/*/node_modules/', 'examples/*/dist/', 'examples/*/src/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Regular expressions meet request input: none may backtrack super-linearly, anchored or searched.
    files: ['src/**/*.ts', 'server/src/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { ignoreSticky: false, ignorePartial: false, report: 'potential' }],
    },
  },
  {
    // Plain CommonJS scripts (test fixtures and bench drivers run by node directly).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The packed-tarball smoke test's ES module.
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
