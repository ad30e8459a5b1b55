// Runs once before the test files: decides whether the PostgreSQL suites run.
import { postgresAvailable } from './databases';

export default async function globalSetup(): Promise<void> {
  const available = await postgresAvailable();
  process.env.TWAKE_TEST_POSTGRES = available ? 'true' : 'false';
  if (!available) console.warn('PostgreSQL is not reachable: the PostgreSQL suites are skipped (they are required with CI=true).');
}
