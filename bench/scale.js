// `npm run bench:scale`: cold-path lookup latency with 1,000 vs 100,000 applications (1,000,000 installations).
const Database = require('better-sqlite3');
const { Client } = require('pg');
const { createPrismaStore } = require('../dist');
const { openDatabase } = require('../server/dist/database/database');
const { sqlitePath } = require('../server/dist/database/database-url');
const { createDatabase, markdownTable, percentile } = require('./lib');

const LOOKUPS = Number(process.env.BENCH_LOOKUPS || 3000);
const INSTALLS_PER_APP = 10;

// Bulk rows straight in SQL: applications app-<n>, each installed in 10 companies, one key each.
const SEED = {
  sqlite: (n) => [
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})
     INSERT INTO applications (id, public_id, name, enabled, created_at, updated_at)
     SELECT 'id-' || i, 'app-' || i, 'App ' || i, 1, 0, 0 FROM seq`,
    `INSERT INTO application_keys (id, application_id, digest, created_at) SELECT 'key-' || id, id, hex(randomblob(32)), 0 FROM applications`,
    `WITH RECURSIVE c(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM c WHERE j < ${INSTALLS_PER_APP})
     INSERT INTO installations (application_id, company_id, created_at) SELECT a.id, 'company-' || c.j, 0 FROM applications a, c`,
  ],
  postgresql: (n) => [
    `INSERT INTO applications (id, public_id, name, enabled, created_at, updated_at)
     SELECT 'id-' || i, 'app-' || i, 'App ' || i, true, now(), now() FROM generate_series(1, ${n}) i`,
    `INSERT INTO application_keys (id, application_id, digest, created_at) SELECT 'key-' || id, id, md5(id) || md5(id || 'x'), now() FROM applications`,
    `INSERT INTO installations (application_id, company_id, created_at)
     SELECT a.id, 'company-' || j, now() FROM applications a, generate_series(1, ${INSTALLS_PER_APP}) j`,
    'ANALYZE',
  ],
};

async function seed(provider, url, n) {
  if (provider === 'sqlite') {
    const db = new Database(sqlitePath(url));
    db.exec('BEGIN');
    for (const sql of SEED.sqlite(n)) db.exec(sql);
    db.exec('COMMIT');
    db.exec('ANALYZE');
    db.close();
    return;
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  // The change-notification triggers would queue a million notifications: off during the bulk load.
  await client.query('SET session_replication_role = replica');
  for (const sql of SEED.postgresql(n)) await client.query(sql);
  await client.end();
}

async function measure(url, n) {
  const database = openDatabase(url);
  const store = createPrismaStore(database.prisma);
  const times = [];
  for (let i = 0; i < LOOKUPS + 200; i += 1) {
    const app = `app-${1 + Math.floor(Math.random() * n)}`;
    const company = `company-${1 + Math.floor(Math.random() * INSTALLS_PER_APP * 2)}`;
    const started = performance.now();
    const record = await store.findApplication(app, company);
    const elapsed = performance.now() - started;
    if (record === null) throw new Error(`${app} not found`);
    if (i >= 200) times.push(elapsed);
  }
  await database.close();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((s, t) => s + t, 0) / times.length };
}

async function main() {
  const rows = [];
  for (const provider of ['sqlite', 'postgresql']) {
    const results = {};
    for (const n of [1000, 100_000]) {
      const database = await createDatabase(provider);
      const seeding = performance.now();
      await seed(provider, database.url, n);
      process.stderr.write(`${provider}: seeded ${n} applications, ${n * INSTALLS_PER_APP} installations in ${((performance.now() - seeding) / 1000).toFixed(1)} s\n`);
      results[n] = await measure(database.url, n);
      await database.drop();
    }
    const ratio = results[100_000].mean / results[1000].mean;
    rows.push([provider, results[1000].p50.toFixed(3), results[100_000].p50.toFixed(3), results[1000].p99.toFixed(3), results[100_000].p99.toFixed(3), ratio.toFixed(2), ratio <= 1.3 ? 'yes' : 'no']);
  }
  const table = markdownTable(['database', 'p50 ms, 1k apps', 'p50 ms, 100k apps', 'p99 ms, 1k', 'p99 ms, 100k', 'mean ratio 100k/1k', '≤ 1.3'], rows);
  console.log(`Cold-path lookup (one store.findApplication, in process), ${LOOKUPS} random lookups, ${INSTALLS_PER_APP} installations per application, ${new Date().toISOString()}, Node ${process.version}\n\n${table}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
