// `describe` for blocks that need PostgreSQL (kept apart from databases.ts, which the global setup loads).
import { describe } from '@jest/globals';
import { testProviders } from './databases';

/** Skipped when the global setup found PostgreSQL unreachable, which it never allows under CI=true. */
export function describeOnPostgres(name: string, body: () => void): void {
  (testProviders().includes('postgresql') ? describe : describe.skip)(name, body);
}
