// Private keys never reach the database, a response or an error.
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import request from 'supertest';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createPrismaStore, digestKey, twakeAppAuth } from '../../src';
import { createAdmin } from '../../src/admin/admin';
import { sqlitePath } from '../../server/src/database/database-url';
import { openDatabase } from '../../server/src/database/database';
import { basic, createServer } from '../helpers/create-server';
import { testProviders, type TestDatabase } from '../helpers/databases';
import { useTestDatabase } from '../helpers/use-test-database';

const TABLES = ['applications', 'application_keys', 'installations'];

async function dumpDatabase(database: TestDatabase): Promise<string> {
  if (database.provider === 'sqlite') {
    const db = new Database(sqlitePath(database.url), { readonly: true });
    try {
      return JSON.stringify(TABLES.map((table) => db.prepare(`SELECT * FROM "${table}"`).all()));
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const dumps = [];
    for (const table of TABLES) dumps.push((await client.query(`SELECT * FROM "${table}"`)).rows);
    return JSON.stringify(dumps);
  } finally {
    await client.end();
  }
}

describe.each(testProviders())('on %s', (provider) => {
  const database = useTestDatabase(provider);

  it('should store only digests of the keys it issues', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Leak check' });
    const added = await admin.addKey(created.publicId);
    const rotated = await admin.rotateKey(created.publicId, { graceSeconds: 60 });
    const dump = await dumpDatabase(database());
    for (const key of [created.privateKey, added.privateKey, rotated.privateKey]) {
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(key.slice(4));
      expect(dump).toContain(digestKey(key).toString('hex'));
    }
    expect(JSON.stringify(await admin.listApplications())).not.toMatch(/twk_/);
  });

  it('should not echo a key in any response or error, valid or not', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Echo check' });
    await admin.install(created.publicId, 'c1');
    const app = createServer({ store: createPrismaStore(database().prisma) });
    const attempts = [created.privateKey, `${created.privateKey}0`, 'twk_guess'];
    for (const key of attempts) {
      for (const company of ['c1', 'c2']) {
        const response = await request(app).post('/api/v1/whoami').set('Authorization', basic(created.publicId, key)).send({ group_id: company });
        expect(JSON.stringify(response.headers) + response.text).not.toContain(key);
      }
    }

    const broken = openDatabase('file:/nonexistent-folder/twake.db');
    const errors: unknown[] = [];
    const failing = express();
    failing.use(twakeAppAuth({ store: createPrismaStore(broken.prisma), mode: 'development' }));
    failing.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(error);
      res.status(503).end();
    });
    const response = await request(failing).post('/').set('Authorization', basic(created.publicId, created.privateKey)).send({ group_id: 'c1' });
    expect(response.status).toBe(503);
    expect(errors).toHaveLength(1);
    for (const error of errors) {
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''} ${String((error as Error).cause)}`;
      expect(text).not.toContain(created.privateKey);
    }
    await broken.close().catch(() => undefined);
  });
});
