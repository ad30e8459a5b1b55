// `twake-app-auth migrate`: applies pending migrations, or adopts tables the user's own migrations created.
import { migrateDatabase } from '../../database/migrate';
import type { Result } from '../output';

export async function migrateCommand(databaseUrl: string): Promise<Result> {
  const { applied, adopted } = await migrateDatabase(databaseUrl);
  const human: string[] = [];
  if (applied.length > 0) human.push(`Applied ${applied.length} migration(s):`, ...applied.map((name) => `  ${name}`));
  if (adopted.length > 0) human.push(`Adopted ${adopted.length} migration(s) whose tables already existed:`, ...adopted.map((name) => `  ${name}`));
  return { json: { applied, adopted }, human: human.length === 0 ? ['Database is up to date.'] : human };
}
