// `twake-app-auth schema --sql --provider P [--triggers]`: our tables' SQL, to paste into the user's own Prisma migration.
import type { Provider } from '../../database/database-url';
import { listMigrations } from '../../database/migrate';

/**
 * Every shipped migration of `provider`, in order, as one script; with `triggersOnly`, only the
 * PostgreSQL change notifications (for tables Prisma already creates from the copied models).
 */
export function schemaSql(provider: Provider, triggersOnly: boolean): string {
  const migrations = listMigrations(provider).filter((migration) => !triggersOnly || migration.objects.triggers.length > 0);
  const parts = migrations.map((migration) => `-- twake-app-auth migration ${migration.name}\n${migration.sql.trim()}\n`);
  return parts.join('\n');
}
