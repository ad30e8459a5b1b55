// Regressions: a migration whose connection dies kept only the failing ROLLBACK's error; the CLI then kept
// one line, dropped the cause, and called any message holding "connect" an unreachable database. Real
// PostgreSQL, the real CLI process.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { createEmptyDatabaseUrl } from '../helpers/databases';
import { describeOnPostgres } from '../helpers/describe-on-postgres';
import { eventually } from '../helpers/eventually';
import { runCli, type CliRun } from '../helpers/processes';

describeOnPostgres('the CLI when a migration loses its connection (PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ url, drop } = await createEmptyDatabaseUrl('postgresql'));
  });
  afterAll(async () => drop?.());

  /** Runs `migrate` while another session holds our schema's name, and terminates the migrating connection. */
  async function migrateKilled(args: string[]): Promise<CliRun> {
    const holder = new Client({ connectionString: url });
    const killer = new Client({ connectionString: url });
    await holder.connect();
    await killer.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('CREATE SCHEMA "twake_app_auth"');
      const run = runCli(['migrate', ...args], { DATABASE_URL: url });
      // The migration waits on the schema name, inside its transaction: end its connection there.
      await eventually(async () => {
        const { rowCount } = await killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%CREATE SCHEMA IF NOT EXISTS%'");
        expect(rowCount).toBe(1);
      }, 10_000);
      return await run;
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await killer.end();
    }
  }

  it('reports the error that ended the migration, not the ROLLBACK that failed after it, nor "cannot reach the database"', async () => {
    const result = await migrateKilled([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('twake-app-auth: terminating connection due to administrator command\n');
  });

  it('gives the error as JSON with --json, with its code', async () => {
    const result = await migrateKilled(['--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'failed', message: 'terminating connection due to administrator command', causes: [] } });
  });

  it('says "cannot reach the database" from the error code, without the password', async () => {
    const unreachable = 'postgresql://postgres:secret@127.0.0.1:9/nowhere';
    const plain = await runCli(['migrate'], { DATABASE_URL: unreachable });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^twake-app-auth: cannot reach the database \(.*ECONNREFUSED.*\)\n$/);
    expect(plain.stderr).not.toContain('secret');
    const json = await runCli(['migrate', '--json'], { DATABASE_URL: unreachable });
    expect(JSON.parse(json.stderr).error.code).toBe('database_unreachable');
  });
});
