// `npm run bench`: the same JSON route behind each authentication, alternating runs, one table.
const os = require('node:os');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { createDatabase, seedApplication, startTarget, rssMiB, load, markdownTable } = require('./lib');

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const COMPANY = 'bench-company';

async function main() {
  const databases = { sqlite: await createDatabase('sqlite'), postgresql: await createDatabase('postgresql') };
  const credentials = {};
  for (const [provider, database] of Object.entries(databases)) credentials[provider] = await seedApplication(database.url, COMPANY);

  const targets = [
    { name: 'bare Express 5', variant: 'bare', provider: 'sqlite' },
    { name: 'express-basic-auth (static user)', variant: 'basic-auth', provider: 'sqlite' },
    { name: 'passport-http + Prisma findUnique ×2, SQLite', variant: 'naive', provider: 'sqlite' },
    { name: 'passport-http + Prisma findUnique ×2, PostgreSQL', variant: 'naive', provider: 'postgresql' },
    { name: 'twake-app-auth warm, SQLite', variant: 'warm', provider: 'sqlite' },
    { name: 'twake-app-auth warm, PostgreSQL', variant: 'warm', provider: 'postgresql' },
    { name: 'twake-app-auth cold, SQLite', variant: 'cold', provider: 'sqlite' },
    { name: 'twake-app-auth cold, PostgreSQL', variant: 'cold', provider: 'postgresql' },
    { name: 'twake-app-auth cold via createPrismaStore, SQLite', variant: 'cold-prisma', provider: 'sqlite' },
    { name: 'twake-app-auth cold via createPrismaStore, PostgreSQL', variant: 'cold-prisma', provider: 'postgresql' },
  ];
  const results = new Map(targets.map((target) => [target.name, []]));

  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate the order from round to round so drift does not favour one target.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const { publicId, privateKey } = credentials[target.provider];
      const server = await startTarget('bench-server.js', [target.variant], {
        DATABASE_URL: databases[target.provider].url,
        BENCH_PUBLIC_ID: publicId,
        BENCH_KEY: privateKey,
      });
      const request = {
        url: `http://127.0.0.1:${server.port}/api/v1/echo`,
        connections: CONNECTIONS,
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${publicId}:${privateKey}`).toString('base64')}`,
        },
        body: JSON.stringify({ group_id: COMPANY, text: 'hello' }),
      };
      await load({ ...request, seconds: WARMUP_SECONDS });
      const result = await load({ ...request, seconds: SECONDS });
      result.rss = rssMiB(server.pid);
      await server.stop();
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      results.get(target.name).push(result);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.name}: ${Math.round(result.rps)} req/s\n`);
    }
  }

  const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const summary = targets.map((target) => {
    const runs = results.get(target.name);
    return {
      name: target.name,
      rps: mean(runs.map((run) => run.rps)),
      p50: mean(runs.map((run) => run.p50)),
      p99: mean(runs.map((run) => run.p99)),
      rss: Math.max(...runs.map((run) => run.rss)),
    };
  });
  const bare = summary[0].rps;
  const table = markdownTable(
    ['target', 'requests/s', 'p50 ms', 'p99 ms', 'ratio to bare', 'RSS MiB'],
    summary.map((row) => [row.name, Math.round(row.rps), row.p50.toFixed(2), row.p99.toFixed(2), (row.rps / bare).toFixed(2), row.rss.toFixed(0)]),
  );
  const heading = `Run of ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s after ${WARMUP_SECONDS} s warm-up each.`;
  console.log(`${heading}\n\n${table}`);
  // Replace the generated section of docs/benchmarks.md, keeping the commentary around it.
  const output = process.env.BENCH_OUTPUT || join(__dirname, '..', 'docs', 'benchmarks.md');
  const START = '<!-- bench:start -->';
  const END = '<!-- bench:end -->';
  const previous = existsSync(output) ? readFileSync(output, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const at = previous.indexOf(START);
  const until = previous.indexOf(END);
  const generated = `${START}\n${heading}\n\n${table}\n${END}`;
  writeFileSync(output, at < 0 || until < 0 ? `${previous}\n${generated}\n` : previous.slice(0, at) + generated + previous.slice(until + END.length));
  console.log(`\nwritten to ${output}`);

  for (const database of Object.values(databases)) await database.drop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
