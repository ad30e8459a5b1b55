// `npm run bench:goals`: the performance goals judged by paired runs (bench/pair.js): each target runs at the same
// time as the row it is held to, both on core 0, each under its own wrk on core 1, so that both see the same
// interruptions of a shared machine; the ratio of their requests/s is then the inverse ratio of their CPU per
// request, steady to a few percent where alternating rounds spread by 10% or more. Rewrites the "Paired goals"
// table of docs/benchmarks.md. SQLite. BENCH_ROUNDS (5), BENCH_SECONDS (4), BENCH_WARMUP_SECONDS (2), BENCH_GOALS
// (parts of the goals' names, comma-separated: only those run, and the docs are left as they are).
const os = require('node:os');
const { join } = require('node:path');
const { createDatabase, markdownTable, median, rewriteSection, seedApplication } = require('./lib');
const { COMPANY, pairRatios, pairsMissing } = require('./pair');

// `target` is measured against `against`: the ratio is target's requests/s over against's, and the goal is met
// at `goal` or above. Rows without a goal explain the others.
const GOALS = [
  { name: 'serve, request lines to a file, against node:http alone', target: 'serve', against: 'floor-bare', goal: 0.8 },
  { name: 'serve, LOG_LEVEL=silent, against node:http alone', target: 'serve:silent', against: 'floor-bare', goal: 0.8 },
  { name: 'node:http + the decision only, against node:http alone', target: 'floor', against: 'floor-bare' },
  { name: 'middleware + createCachedStore, against express-basic-auth (Express 5)', target: 'middleware:development', against: 'basic-auth', goal: 1 },
  { name: 'middleware + createCachedStore, against express-basic-auth (Express 4)', target: 'middleware@4:development', against: 'basic-auth@4', goal: 1 },
  { name: 'middleware + createCachedStore, against passport-http (Express 5)', target: 'middleware:development', against: 'passport-http', goal: 1 },
  { name: 'middleware + createCachedStore, against passport-http (Express 4)', target: 'middleware@4:development', against: 'passport-http@4', goal: 1 },
  { name: 'TwakeAppStrategy, against passport-http', target: 'strategy:development', against: 'passport-http', goal: 1 },
  { name: "the README's code, against middleware + createCachedStore(createPrismaStore(prisma))", target: 'readme:development', against: 'middleware-prisma:development', goal: 0.95 },
  { name: "the README's code, against the same middleware over the driver store, mounted as the README mounts it", target: 'readme:development', against: 'middleware-mounted:development' },
  { name: 'express-basic-auth, against one empty middleware', target: 'basic-auth', against: 'passthrough' },
  { name: 'middleware + createCachedStore, against one empty middleware', target: 'middleware:development', against: 'passthrough' },
  { name: 'one empty middleware mounted at /api/v1, against the same not mounted', target: 'passthrough-mounted', against: 'passthrough' },
];

const DOCS = join(__dirname, '..', 'docs', 'benchmarks.md');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 4);

function verdict(goal, ratio) {
  if (goal === undefined) return '';
  return ratio >= goal ? `met (≥ ${goal})` : `**not met** (≥ ${goal})`;
}

async function main() {
  const missing = pairsMissing();
  if (missing !== null) {
    console.error(`bench:goals needs wrk, taskset and 2 cores: ${missing}`);
    process.exit(2);
  }
  const chosen = process.env.BENCH_GOALS ? process.env.BENCH_GOALS.split(',') : null;
  const goals = GOALS.filter((goal) => chosen === null || chosen.some((part) => goal.name.includes(part)));
  const database = await createDatabase('sqlite');
  const rows = [];
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  try {
    const credentials = await seedApplication(database.url, COMPANY);
    for (const goal of goals) {
      // pairRatios gives the second's requests/s over the first's.
      const { ratios } = await pairRatios([goal.against, goal.target], { database, credentials, rounds: ROUNDS, seconds: SECONDS });
      const ratio = median(ratios);
      rows.push([goal.name, `\`${goal.target}\` / \`${goal.against}\``, ratio.toFixed(3), ratios.map((value) => value.toFixed(3)).join(' '), verdict(goal.goal, ratio)]);
      console.error(`${goal.name}: ${ratio.toFixed(3)}`);
    }
  } finally {
    await database.drop();
  }
  const heading = `Run of ${startedAt}, Node ${process.version}, ${os.cpus().length} cores, load average ${loadAtStart} at the start and ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ')} at the end (1, 5, 15 min), SQLite, ${ROUNDS} paired rounds of ${SECONDS} s each after a warm-up; each ratio is the median of the per-round ratios.`;
  const table = markdownTable(['goal', 'pair (bench-server.js variants; `serve` is the real server)', 'ratio (median)', 'per round', 'verdict'], rows);
  console.log(`${heading}\n\n${table}`);
  if (chosen === null) rewriteSection(DOCS, '<!-- bench:goals:start -->', '<!-- bench:goals:end -->', `${heading}\n\n${table}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
