// The import's writes on PostgreSQL: multi-row statements through node-postgres, one transaction per batch.
import type * as Pg from 'pg';
import { requireOptional } from '../optional-dependency';
import type { ExistingApplication, ImportStore, InstallationRow } from './import-store';

/** Opens an {@link ImportStore} on `url`; no statement timeout, since one batch may take seconds. */
export async function openPostgresImportStore(url: string): Promise<ImportStore> {
  const { Client } = requireOptional<typeof Pg>('pg', 'PostgreSQL');
  const client = new Client({ connectionString: url });
  // A connection that dies is reported by the query it fails; unlistened, its 'error' event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  };
  const column = <T, K extends keyof T>(rows: readonly T[], key: K): Array<T[K]> => rows.map((row) => row[key]);

  return {
    async existing(publicIds) {
      const { rows } = await client.query<{ public_id: string; id: string; import_state: string | null; capabilities: string; privileges: string }>(
        'SELECT "public_id", "id", "import_state", "capabilities", "privileges" FROM "applications" WHERE "public_id" = ANY($1::text[])',
        [publicIds],
      );
      return new Map(rows.map((row): [string, ExistingApplication] => [row.public_id, { id: row.id, importState: row.import_state, capabilities: row.capabilities, privileges: row.privileges }]));
    },
    async createApplications(rows) {
      if (rows.length === 0) return;
      await inTransaction(async () => {
        await client.query(
          `INSERT INTO "applications" ("id", "public_id", "name", "capabilities", "privileges", "allowed_ips", "import_state", "updated_at")
           SELECT *, 'pending', CURRENT_TIMESTAMP FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
          [column(rows, 'id'), column(rows, 'publicId'), column(rows, 'name'), column(rows, 'capabilities'), column(rows, 'privileges'), column(rows, 'allowedIps')],
        );
        await client.query(
          `INSERT INTO "application_keys" ("id", "application_id", "digest", "needs_rotation")
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[])`,
          [column(rows, 'keyId'), column(rows, 'id'), column(rows, 'digest'), column(rows, 'needsRotation')],
        );
      });
    },
    async addKeys(rows) {
      if (rows.length === 0) return 0;
      const result = await client.query(
        `INSERT INTO "application_keys" ("id", "application_id", "digest", "needs_rotation")
         SELECT k.* FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS k("id", "application_id", "digest", "needs_rotation")
          WHERE NOT EXISTS (SELECT 1 FROM "application_keys" e WHERE e."application_id" = k."application_id" AND e."digest" = k."digest" AND e."revoked_at" IS NULL)`,
        [column(rows, 'keyId'), column(rows, 'applicationId'), column(rows, 'digest'), column(rows, 'needsRotation')],
      );
      return result.rowCount ?? 0;
    },
    async overwriteApplications(rows) {
      if (rows.length === 0) return;
      await client.query(
        `UPDATE "applications" a SET "name" = u."name", "capabilities" = u."capabilities", "privileges" = u."privileges", "allowed_ips" = u."allowed_ips", "updated_at" = CURRENT_TIMESTAMP
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u("id", "name", "capabilities", "privileges", "allowed_ips")
          WHERE a."id" = u."id"`,
        [column(rows, 'id'), column(rows, 'name'), column(rows, 'capabilities'), column(rows, 'privileges'), column(rows, 'allowedIps')],
      );
    },
    async setDeclarations(rows) {
      if (rows.length === 0) return;
      await client.query(
        `UPDATE "applications" a SET "capabilities" = u."capabilities", "privileges" = u."privileges", "updated_at" = CURRENT_TIMESTAMP
           FROM unnest($1::text[], $2::text[], $3::text[]) AS u("id", "capabilities", "privileges") WHERE a."id" = u."id"`,
        [column(rows, 'id'), column(rows, 'capabilities'), column(rows, 'privileges')],
      );
    },
    async writeInstallations(rows, overwrite) {
      if (rows.length === 0) return 0;
      const conflict = overwrite
        ? `DO UPDATE SET "granted_capabilities" = EXCLUDED."granted_capabilities", "granted_privileges" = EXCLUDED."granted_privileges"
             WHERE "installations"."granted_capabilities" IS DISTINCT FROM EXCLUDED."granted_capabilities" OR "installations"."granted_privileges" IS DISTINCT FROM EXCLUDED."granted_privileges"`
        : 'DO NOTHING';
      const result = await client.query(
        `INSERT INTO "installations" ("application_id", "company_id", "granted_capabilities", "granted_privileges")
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT ("application_id", "company_id") ${conflict}`,
        [column(rows, 'applicationId'), column(rows, 'companyId'), column(rows, 'grantedCapabilities'), column(rows, 'grantedPrivileges')],
      );
      return result.rowCount ?? 0;
    },
    async installationsOf(applicationIds) {
      const { rows } = await client.query<{ application_id: string; company_id: string; granted_capabilities: string; granted_privileges: string }>(
        'SELECT "application_id", "company_id", "granted_capabilities", "granted_privileges" FROM "installations" WHERE "application_id" = ANY($1::text[])',
        [applicationIds],
      );
      return rows.map((row): InstallationRow => ({ applicationId: row.application_id, companyId: row.company_id, grantedCapabilities: row.granted_capabilities, grantedPrivileges: row.granted_privileges }));
    },
    async finish() {
      await client.query(`UPDATE "applications" SET "import_state" = 'done' WHERE "import_state" = 'pending'`);
    },
    close: () => client.end().catch(() => undefined),
  };
}
