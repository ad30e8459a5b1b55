// The import's writes on SQLite: prepared statements through better-sqlite3, one transaction per batch.
import type BetterSqlite3 from 'better-sqlite3';
import { requireOptional } from '../optional-dependency';
import { sqliteNow, type ExistingApplication, type ImportStore, type InstallationRow } from './import-store';

/** Opens an {@link ImportStore} on the SQLite file at `path` (migrated already). */
export function openSqliteImportStore(path: string): ImportStore {
  const Database = requireOptional<typeof BetterSqlite3>('better-sqlite3', 'SQLite');
  const db = new Database(path);
  // A server reading the same file keeps answering between batches; a batch waits for its lock.
  db.pragma('busy_timeout = 10000');
  const findOne = db.prepare<[string], { id: string; import_state: string | null; capabilities: string; privileges: string }>(
    'SELECT "id", "import_state", "capabilities", "privileges" FROM "applications" WHERE "public_id" = ?',
  );
  const insertApplication = db.prepare(
    `INSERT INTO "applications" ("id", "public_id", "name", "capabilities", "privileges", "allowed_ips", "import_state", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
  );
  const insertKey = db.prepare(`INSERT INTO "application_keys" ("id", "application_id", "digest", "needs_rotation", "created_at") VALUES (?, ?, ?, ?, ?)`);
  const keyHeld = db.prepare<[string, string]>('SELECT 1 FROM "application_keys" WHERE "application_id" = ? AND "digest" = ? AND "revoked_at" IS NULL');
  const overwrite = db.prepare(`UPDATE "applications" SET "name" = ?, "capabilities" = ?, "privileges" = ?, "allowed_ips" = ?, "updated_at" = ? WHERE "id" = ?`);
  const declare = db.prepare(`UPDATE "applications" SET "capabilities" = ?, "privileges" = ?, "updated_at" = ? WHERE "id" = ?`);
  const installKeep = db.prepare(
    `INSERT INTO "installations" ("application_id", "company_id", "granted_capabilities", "granted_privileges", "created_at") VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const installOverwrite = db.prepare(
    `INSERT INTO "installations" ("application_id", "company_id", "granted_capabilities", "granted_privileges", "created_at") VALUES (?, ?, ?, ?, ?)
     ON CONFLICT ("application_id", "company_id") DO UPDATE SET "granted_capabilities" = excluded."granted_capabilities", "granted_privileges" = excluded."granted_privileges"
      WHERE "granted_capabilities" IS NOT excluded."granted_capabilities" OR "granted_privileges" IS NOT excluded."granted_privileges"`,
  );
  const installationsOf = db.prepare<[string], { application_id: string; company_id: string; granted_capabilities: string; granted_privileges: string }>(
    'SELECT "application_id", "company_id", "granted_capabilities", "granted_privileges" FROM "installations" WHERE "application_id" = ?',
  );

  return {
    async existing(publicIds) {
      const found = new Map<string, ExistingApplication>();
      for (const publicId of publicIds) {
        const row = findOne.get(publicId);
        if (row !== undefined) found.set(publicId, { id: row.id, importState: row.import_state, capabilities: row.capabilities, privileges: row.privileges });
      }
      return found;
    },
    async createApplications(rows) {
      const now = sqliteNow();
      db.transaction(() => {
        for (const row of rows) {
          insertApplication.run(row.id, row.publicId, row.name, row.capabilities, row.privileges, row.allowedIps, now, now);
          insertKey.run(row.keyId, row.id, row.digest, row.needsRotation ? 1 : 0, now);
        }
      }).immediate();
    },
    async addKeys(rows) {
      const now = sqliteNow();
      return db.transaction(() => {
        let added = 0;
        for (const row of rows) {
          if (keyHeld.get(row.applicationId, row.digest) !== undefined) continue;
          insertKey.run(row.keyId, row.applicationId, row.digest, row.needsRotation ? 1 : 0, now);
          added += 1;
        }
        return added;
      }).immediate();
    },
    async overwriteApplications(rows) {
      const now = sqliteNow();
      db.transaction(() => {
        for (const row of rows) overwrite.run(row.name, row.capabilities, row.privileges, row.allowedIps, now, row.id);
      }).immediate();
    },
    async setDeclarations(rows) {
      const now = sqliteNow();
      db.transaction(() => {
        for (const row of rows) declare.run(row.capabilities, row.privileges, now, row.id);
      }).immediate();
    },
    async writeInstallations(rows, overwriting) {
      const now = sqliteNow();
      const statement = overwriting ? installOverwrite : installKeep;
      return db.transaction(() => {
        let changed = 0;
        for (const row of rows) changed += statement.run(row.applicationId, row.companyId, row.grantedCapabilities, row.grantedPrivileges, now).changes;
        return changed;
      }).immediate();
    },
    async installationsOf(applicationIds) {
      return applicationIds.flatMap((id) =>
        installationsOf.all(id).map((row): InstallationRow => ({ applicationId: row.application_id, companyId: row.company_id, grantedCapabilities: row.granted_capabilities, grantedPrivileges: row.granted_privileges })),
      );
    },
    async finish() {
      db.prepare(`UPDATE "applications" SET "import_state" = 'done' WHERE "import_state" = 'pending'`).run();
    },
    async close() {
      db.close();
    },
  };
}
