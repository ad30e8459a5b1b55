// `npm run bench:prisma`: createPrismaStore's cold lookup through the user's own PrismaClient, Prisma 6.19
// (the root's) against Prisma 7 (test/prisma7, generated from the same models), on SQLite and PostgreSQL,
// in one process. Rounds alternate the two clients; each round times LOOKUPS sequential findApplication
// calls (no cache: every call is one SQL statement through the client) and the medians over the rounds
// are printed, per lookup. BENCH_LOOKUPS (3000), BENCH_ROUNDS (5).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { createPrismaStore } = require('../dist');
const { openDatabase } = require('../server/dist/database/database');
const { createDatabase, markdownTable, median, seedApplication } = require('./lib');

const LOOKUPS = Number(process.env.BENCH_LOOKUPS || 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const COMPANY = 'bench-company';
const PRISMA7 = join(__dirname, '..', 'test', 'prisma7');

async function timeLookups(store, publicId) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < LOOKUPS; index += 1) {
    const record = await store.findApplication(publicId, COMPANY);
    if (record === null || !record.installed) throw new Error('the seeded application was not found');
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / LOOKUPS;
}

async function measure(provider, { openPrisma7 }) {
  const database = await createDatabase(provider, 'p7_bench');
  const prisma6 = openDatabase(database.url);
  const prisma7 = openPrisma7(database.url);
  try {
    const { publicId } = await seedApplication(database.url, COMPANY);
    const stores = { '6.19': createPrismaStore(prisma6.prisma), 7: createPrismaStore(prisma7.prisma) };
    const times = { '6.19': [], 7: [] };
    // Warm-up: connections, compiled queries, JIT.
    for (const store of Object.values(stores)) await timeLookups(store, publicId);
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? ['6.19', '7'] : ['7', '6.19'];
      for (const version of order) times[version].push(await timeLookups(stores[version], publicId));
    }
    return { six: median(times['6.19']), seven: median(times[7]) };
  } finally {
    await prisma6.close();
    await prisma7.close();
    await database.drop();
  }
}

async function main() {
  execFileSync(process.execPath, [join(PRISMA7, 'setup.js')], { stdio: 'inherit' });
  const clients = require(join(PRISMA7, 'clients.js'));
  const { prisma6, prisma7 } = clients.versions();
  const providers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['sqlite', 'postgresql'];
  const rows = [];
  for (const provider of providers) {
    const { six, seven } = await measure(provider, clients);
    rows.push([provider, `${(six * 1000).toFixed(0)} µs`, `${(seven * 1000).toFixed(0)} µs`, `${(seven / six).toFixed(2)}`]);
  }
  console.log(
    `Run of ${new Date().toISOString()}, Node ${process.version}: ${LOOKUPS} sequential lookups per round, ${ROUNDS} alternating rounds after one warm-up round each, median per lookup.\n`,
  );
  console.log(markdownTable(['database', `Prisma ${prisma6}`, `Prisma ${prisma7}`, '7 / 6.19'], rows));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
