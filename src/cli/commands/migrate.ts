// `twake-app-auth migrate`: applies pending migrations.
import { migrate } from '../../migrate';
import type { Result } from '../output';

export async function migrateCommand(databaseUrl: string): Promise<Result> {
  const applied = await migrate(databaseUrl);
  return {
    json: { applied },
    human: applied.length === 0 ? ['Database is up to date.'] : [`Applied ${applied.length} migration(s):`, ...applied.map((name) => `  ${name}`)],
  };
}
