// `npm run bench:timing`: dudect-style timing-leak test of the in-process verify path, cache warm.
// Two input classes interleaved at random, Welch's t-test on cropped measurements; |t| < 4.5 passes.
// TIMING_PAIRS picks comparisons: ab, ac, ac-fresh (the last names a new, uncached company on every call).
// TIMING_MEASUREMENTS sets the number per comparison (default 100,000).
const { randomBytes, randomInt } = require('node:crypto');
const { MemoryStore, createCachedStore } = require('../dist');
const { decide } = require('../dist/decide');
const { parseOptions } = require('../dist/options');

const MEASUREMENTS = Number(process.env.TIMING_MEASUREMENTS || 100_000);
const PUBLIC_ID = '5f1d2c3b-7a8e-4b9c-8d0e-000000000001';
const KEY = `twk_${randomBytes(32).toString('base64url')}`;
const basic = (publicId, key) => `Basic ${Buffer.from(`${publicId}:${key}`).toString('base64')}`;

// Same length as the real key, so only the content differs between classes.
function lastCharChanged(key) {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}
function noCommonPrefix(key) {
  let other;
  do other = `xwk_${randomBytes(32).toString('base64url')}`.slice(0, key.length);
  while (other[0] === key[0]);
  return other;
}

const CLASSES = {
  a: basic(PUBLIC_ID, lastCharChanged(KEY)),
  b: basic(PUBLIC_ID, noCommonPrefix(KEY)),
  c: basic('5f1d2c3b-7a8e-4b9c-8d0e-000000000002', lastCharChanged(KEY)),
};

function welch(x, y) {
  const stats = (v) => {
    const mean = v.reduce((s, t) => s + t, 0) / v.length;
    const variance = v.reduce((s, t) => s + (t - mean) ** 2, 0) / (v.length - 1);
    return { mean, variance, n: v.length };
  };
  const [p, q] = [stats(x), stats(y)];
  return (p.mean - q.mean) / Math.sqrt(p.variance / p.n + q.variance / q.n);
}

/** dudect: t over the raw data and over data cropped at several percentiles of the pooled distribution. */
function maxAbsT(samples) {
  const pooled = samples.map((s) => s.time).sort((u, v) => u - v);
  let worst = 0;
  for (const percentile of [100, 99, 95, 90, 75, 50]) {
    const limit = pooled[Math.min(pooled.length - 1, Math.floor((percentile / 100) * pooled.length))];
    const kept = samples.filter((s) => s.time <= limit);
    const t = welch(kept.filter((s) => s.cls === 0).map((s) => s.time), kept.filter((s) => s.cls === 1).map((s) => s.time));
    worst = Math.max(worst, Math.abs(t));
  }
  return worst;
}

// With `freshCompany`, every call names a company never seen before, so no installation is cached.
async function compare(first, second, config, freshCompany) {
  const facts = (authorization, companyId) => ({ secure: true, authorization, clientIp: '127.0.0.1', company: { groupId: { status: 'ok', companyId } } });
  let calls = 0;
  const input = (cls) => facts(CLASSES[cls === 0 ? first : second], freshCompany ? `company-${(calls += 1)}` : 'c1');
  // Warm up: JIT, and the cache holds both the application and the negative answer.
  for (let i = 0; i < 20_000; i += 1) await Promise.resolve(decide(config, input(i % 2))).catch(() => undefined);
  const samples = [];
  for (let i = 0; i < MEASUREMENTS; i += 1) {
    const cls = randomInt(2);
    const call = input(cls);
    const started = process.hrtime.bigint();
    await Promise.resolve(decide(config, call)).catch(() => undefined);
    samples.push({ cls, time: Number(process.hrtime.bigint() - started) });
  }
  return maxAbsT(samples);
}

async function main() {
  const memory = new MemoryStore();
  memory.add({ publicId: PUBLIC_ID, keys: [{ privateKey: KEY }], companies: ['c1'] });
  // Throttling off: this measures the verify path, not the 429 that repeated failures would earn.
  const config = parseOptions({ store: createCachedStore(memory, { ttlMs: 3_600_000 }), mode: 'production', throttle: false });
  const pairs = (process.env.TIMING_PAIRS || 'ab,ac,ac-fresh').split(',');
  const names = {
    ab: '(a) known id, key sharing all but its last character vs (b) key sharing no prefix',
    ac: '(a) known id, wrong key vs (c) unknown public id',
    'ac-fresh': '(a) known id, wrong key vs (c) unknown public id, each call naming an uncached company',
  };
  const results = [];
  for (const pair of pairs) results.push([names[pair], await compare(pair[0], pair[1], config, pair.endsWith('-fresh'))]);
  for (const [name, t] of results) console.log(`${name}: max |t| = ${t.toFixed(2)} over ${MEASUREMENTS} measurements (${t < 4.5 ? 'pass' : 'FAIL'} at 4.5)`);
  if (process.env.TIMING_JSON) console.log(JSON.stringify(results.map(([, t]) => t)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
