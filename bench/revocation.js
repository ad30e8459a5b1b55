// `npm run bench:revocation`: how fast a rotated-out key stops working on 3 server processes (PostgreSQL).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { createDatabase, startTarget, percentile } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 30);
const CLI = join(__dirname, '..', 'server', 'dist', 'cli', 'main.js');

function cli(args, env) {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }));
}

async function main() {
  const database = await createDatabase('postgresql');
  const env = { DATABASE_URL: database.url };
  const created = cli(['app', 'create', '--name', 'Revocation bench'], env);
  cli(['app', 'install', created.publicId, '--company', 'acme'], env);
  // TTL of a minute: only the PostgreSQL notifications can make a change visible sooner.
  const serverEnv = { ...env, NODE_ENV: 'development', CACHE_TTL_MS: '60000', LOG_LEVEL: 'silent' };
  const servers = await Promise.all([0, 1, 2].map(() => startTarget('server-process.js', [], serverEnv)));
  const basic = (key) => `Basic ${Buffer.from(`${created.publicId}:${key}`).toString('base64')}`;
  const status = async (server, key) =>
    (await fetch(`http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=acme`, { headers: { Authorization: basic(key) } })).status;

  let key = created.privateKey;
  const delays = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const server of servers) if ((await status(server, key)) !== 200) throw new Error('key not accepted before rotation');
    const rotated = cli(['app', 'rotate-key', created.publicId], env);
    const changedAt = performance.now();
    await Promise.all(
      servers.map(async (server) => {
        while ((await status(server, key)) !== 401) await new Promise((resolve) => setTimeout(resolve, 1));
        delays.push(performance.now() - changedAt);
      }),
    );
    key = rotated.privateKey;
  }
  await Promise.all(servers.map((server) => server.stop()));
  await database.drop();
  delays.sort((a, b) => a - b);
  console.log(
    `Revocation across 3 processes (PostgreSQL LISTEN/NOTIFY, cache TTL 60 s), ${delays.length} samples: ` +
      `p50 ${percentile(delays, 50).toFixed(1)} ms, p99 ${percentile(delays, 99).toFixed(1)} ms, max ${delays[delays.length - 1].toFixed(1)} ms`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
