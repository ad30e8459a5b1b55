// A migrated database for the tests of one describe block (kept apart from databases.ts, which the global setup loads).
import { afterAll, beforeAll } from '@jest/globals';
import type { Provider } from '../../server/src/database/database-url';
import { createTestDatabase, type TestDatabase } from './databases';

/** Inside a describe block: a migrated database made before its tests and dropped after them. */
export function useTestDatabase(provider: Provider): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await database?.destroy();
  });
  return () => {
    if (database === undefined) throw new Error('the test database is made in beforeAll: use it inside a test');
    return database;
  };
}
