// `npm run bench:timing`: dudect-style timing-leak test of the in-process verify path, cache warm.
// Two input classes interleaved at random, Welch's t on raw and cropped measurements; |t| < 4.5 passes.
//
// The measurements are split between several processes, run one after the other, and their class
// differences combined. Within one process, a known and an unknown public id can differ by a few
// nanoseconds whose sign changes from one process to the next (the same comparison between two
// identical records does it too): where the engine placed objects, how its hash seed spread the cache's
// keys, when it compiled what. A difference the code makes has the same sign in every process and adds
// up; one the layout makes averages out. See docs/security.md, timing.
//
// TIMING_PAIRS picks comparisons (default ab,ac,ac-fresh,dc,login-ab,login-ac):
//   ab        known id: a key sharing all but its last character vs one sharing no prefix
//   ac        known id with a wrong key vs unknown id
//   ac-fresh  the same, each call naming a new, uncached company
//   dc        known id with three live keys (rotations in their grace period) vs unknown id
//   login-ab  the token login's key check (POST /api/console/v1/login), as ab
//   login-ac  the token login's key check, as ac
// TIMING_MEASUREMENTS: per comparison, over all processes (default 100,000).
// TIMING_PROCESSES: how many processes share them (default 10).
// TIMING_IDS: public ids per class, one drawn at random for every call (default 1).
// TIMING_JSON=1 adds a last line: {"t": the max |t| of each pair, "fastGap": its fast-call gap in per mille}.
//
// The fast-call gap: in each process, the 10th percentile of one class's times minus the other's, as a
// fraction of the latter (per mille), averaged over processes less the highest and the lowest (one
// process whose fast calls were disturbed, by another program say, must not decide alone). It measures how large a difference is,
// where |t| measures how sure it is: a leak of a fixed size gives the same gap in every run, while |t|
// swings with the noise of the machine (see docs/security.md, timing).
const { execFileSync } = require('node:child_process');
const { randomBytes, randomInt } = require('node:crypto');

const MEASUREMENTS = Number(process.env.TIMING_MEASUREMENTS || 100_000);
const PROCESSES = Number(process.env.TIMING_PROCESSES || 10);
const PAIRS = (process.env.TIMING_PAIRS || 'ab,ac,ac-fresh,dc,login-ab,login-ac').split(',');
const PERCENTILES = [100, 99, 95, 90, 75, 50];
const THRESHOLD = 4.5;
const IDS_PER_CLASS = Number(process.env.TIMING_IDS || 1);
const NAMES = {
  ab: '(a) known id, key sharing all but its last character vs (b) key sharing no prefix',
  ac: '(a) known id, wrong key vs (c) unknown public id',
  'ac-fresh': '(a) known id, wrong key vs (c) unknown public id, each call naming an uncached company',
  dc: '(d) known id with three live keys, wrong key vs (c) unknown public id',
  'login-ab': 'login: (a) known id, key sharing all but its last character vs (b) key sharing no prefix',
  'login-ac': 'login: (a) known id, wrong key vs (c) unknown public id',
};

/** Mean and variance of the mean of `values`. */
function summary(values) {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, varianceOfMean: variance / values.length };
}

/**
 * For the raw data and for data cropped at each percentile of the pooled times (dudect): the difference
 * of the class means and its variance, which Welch's t divides by.
 */
function differences(samples) {
  const pooled = samples.map((sample) => sample.time).sort((u, v) => u - v);
  return PERCENTILES.map((percentile) => {
    const limit = pooled[Math.min(pooled.length - 1, Math.floor((percentile / 100) * pooled.length))];
    const kept = samples.filter((sample) => sample.time <= limit);
    const [first, second] = [0, 1].map((cls) => summary(kept.filter((sample) => sample.cls === cls).map((sample) => sample.time)));
    return { difference: first.mean - second.mean, variance: first.varianceOfMean + second.varianceOfMean };
  });
}

/** The `p` quantile of ascending `sorted`, interpolated between neighbours. */
function quantile(sorted, p) {
  const index = (sorted.length - 1) * p;
  const low = Math.floor(index);
  const high = Math.ceil(index);
  return sorted[low] + (sorted[high] - sorted[low]) * (index - low);
}

/** First class's 10th percentile minus the second's, per mille of the second's: see the fast-call gap above. */
function fastGap(samples) {
  const [first, second] = [0, 1].map((cls) => quantile(samples.filter((sample) => sample.cls === cls).map((sample) => sample.time).sort((u, v) => u - v), 0.1));
  return ((first - second) / second) * 1000;
}

/** Mean of `values` without their highest and lowest, when there are at least 4. */
function trimmedMean(values) {
  const sorted = [...values].sort((u, v) => u - v);
  return summary(sorted.length >= 4 ? sorted.slice(1, -1) : sorted).mean;
}

/** Welch's t of the differences summed over processes, at each crop; the largest |t|. */
function maxAbsT(perProcess) {
  let worst = 0;
  for (let crop = 0; crop < PERCENTILES.length; crop += 1) {
    const difference = perProcess.reduce((sum, crops) => sum + crops[crop].difference, 0);
    const variance = perProcess.reduce((sum, crops) => sum + crops[crop].variance, 0);
    worst = Math.max(worst, Math.abs(difference / Math.sqrt(variance)));
  }
  return worst;
}

/** One process's share: every pair measured, its differences written as JSON. */
async function measure(count) {
  const { MemoryStore, createCachedStore } = require('../dist');
  const { authenticateKey, decide } = require('../dist/core/decide');
  const { parseOptions } = require('../dist/core/options');
  const basic = (publicId, key) => `Basic ${Buffer.from(`${publicId}:${key}`).toString('base64')}`;
  const newKey = () => `twk_${randomBytes(32).toString('base64url')}`;
  // Same length as the real key, so only the content differs between classes.
  const lastCharChanged = (key) => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
  const noCommonPrefix = (key) => {
    let other;
    do other = `xwk_${randomBytes(32).toString('base64url')}`.slice(0, key.length);
    while (other[0] === key[0]);
    return other;
  };
  // With TIMING_IDS above 1, each class is a set of public ids (and the store holds that many applications).
  const ids = (group) => Array.from({ length: IDS_PER_CLASS }, (_, index) => `5f1d2c3b-7a8e-4b9c-8d0${group}-${String(index).padStart(12, '0')}`);
  const memory = new MemoryStore();
  const known = ids(1).map((publicId) => ({ publicId, key: newKey() }));
  // `app rotate-key --grace`, twice: the older keys stay valid next to the new one.
  const rotating = ids(3).map((publicId) => ({ publicId, key: newKey() }));
  for (const { publicId, key } of known) memory.add({ publicId, keys: [{ privateKey: key }], companies: ['c1'] });
  for (const { publicId, key } of rotating) memory.add({ publicId, keys: [{ privateKey: key }, { privateKey: newKey() }, { privateKey: newKey() }], companies: ['c1'] });
  // Each class as [public id, key]: the login receives them from a JSON body, Basic from the header.
  const credentials = {
    a: known.map(({ publicId, key }) => [publicId, lastCharChanged(key)]),
    b: known.map(({ publicId, key }) => [publicId, noCommonPrefix(key)]),
    c: ids(2).map((publicId) => [publicId, lastCharChanged(newKey())]),
    d: rotating.map(({ publicId, key }) => [publicId, lastCharChanged(key)]),
  };
  const classes = Object.fromEntries(Object.entries(credentials).map(([name, list]) => [name, list.map(([publicId, key]) => basic(publicId, key))]));
  // Throttling off: this measures the verify path, not the 429 that repeated failures would earn.
  const config = parseOptions({ store: createCachedStore(memory, { ttlMs: 3_600_000 }), mode: 'production', throttle: false });

  // The login's key check: the same digest, comparison and throttle, without a company.
  async function compareLogin(first, second) {
    const pick = (cls) => credentials[cls === 0 ? first : second][randomInt(IDS_PER_CLASS)];
    const call = ([publicId, key]) => authenticateKey(config, '127.0.0.1', publicId, key).catch(() => undefined);
    for (let i = 0; i < 20_000; i += 1) await call(pick(i % 2));
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      const cls = randomInt(2);
      const chosen = pick(cls);
      const started = process.hrtime.bigint();
      await call(chosen);
      samples.push({ cls, time: Number(process.hrtime.bigint() - started) });
    }
    return { crops: differences(samples), gap: fastGap(samples) };
  }

  // With `freshCompany`, every call names a company never seen before, so no installation is cached.
  async function compare(first, second, freshCompany) {
    let calls = 0;
    const facts = (cls) => ({
      secure: true,
      authorization: classes[cls === 0 ? first : second][randomInt(IDS_PER_CLASS)],
      clientIp: '127.0.0.1',
      company: { groupId: { status: 'ok', companyId: freshCompany ? `company-${(calls += 1)}` : 'c1' } },
    });
    // Warm up: JIT, and the cache holds both the application and the negative answer.
    for (let i = 0; i < 20_000; i += 1) await Promise.resolve(decide(config, facts(i % 2))).catch(() => undefined);
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      const cls = randomInt(2);
      const call = facts(cls);
      const started = process.hrtime.bigint();
      await Promise.resolve(decide(config, call)).catch(() => undefined);
      samples.push({ cls, time: Number(process.hrtime.bigint() - started) });
    }
    return { crops: differences(samples), gap: fastGap(samples) };
  }

  const results = [];
  for (const pair of PAIRS) {
    if (pair.startsWith('login-')) results.push(await compareLogin(pair[6], pair[7]));
    else results.push(await compare(pair[0], pair[1], pair.endsWith('-fresh')));
  }
  process.stdout.write(JSON.stringify(results));
}

function main() {
  for (const pair of PAIRS) if (!(pair in NAMES)) throw new Error(`unknown pair ${pair}: one of ${Object.keys(NAMES).join(', ')}`);
  const share = Math.ceil(MEASUREMENTS / PROCESSES);
  // perProcess[process][pair] = { crops: the differences at each crop, gap: the fast-call gap }.
  const perProcess = [];
  for (let index = 0; index < PROCESSES; index += 1) {
    const output = execFileSync(process.execPath, [__filename], { env: { ...process.env, TIMING_SHARE: String(share) }, encoding: 'utf8' });
    perProcess.push(JSON.parse(output));
  }
  const results = PAIRS.map((pair, index) => {
    const combined = maxAbsT(perProcess.map((pairs) => pairs[index].crops));
    const alone = perProcess.map((pairs) => maxAbsT([pairs[index].crops]).toFixed(1));
    const gap = trimmedMean(perProcess.map((pairs) => pairs[index].gap));
    // How far apart the classes are on average, and how much that moves from process to process:
    // the class difference of the fastest half of the calls (the last crop), in nanoseconds.
    const median = PERCENTILES.length - 1;
    const spread = summary(perProcess.map((pairs) => pairs[index].crops[median].difference));
    return { pair, combined, alone, spread, gap };
  });
  console.log(`${PROCESSES} processes of ${share} measurements per comparison`);
  for (const { pair, combined, alone, spread, gap } of results) {
    console.log(`${NAMES[pair]}: max |t| = ${combined.toFixed(2)} (${combined < THRESHOLD ? 'pass' : 'FAIL'} at ${THRESHOLD}); each process alone: ${alone.join(', ')}`);
    console.log(`  fast-call gap (10th percentiles, trimmed mean over processes): ${gap.toFixed(2)} per mille`);
    if (PROCESSES > 1) console.log(`  difference of the faster half, mean over processes: ${spread.mean.toFixed(1)} ns ± ${Math.sqrt(spread.varianceOfMean).toFixed(1)}`);
  }
  if (process.env.TIMING_JSON) console.log(JSON.stringify({ t: results.map(({ combined }) => combined), fastGap: results.map(({ gap }) => gap) }));
}

if (process.env.TIMING_SHARE) {
  measure(Number(process.env.TIMING_SHARE)).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main();
}
