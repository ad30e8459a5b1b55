// `npm run bench:lru`: lru-cache against smaller LRU packages, side by side in one process, at the size the
// library uses (10,000 entries: the cached store's default, the signer's and the verifier's). Prints, for
// each candidate: its size on disk and load time, ns per operation of the operations the library makes
// (median over alternating rounds, and the ratio to lru-cache), and the heap it retains for 10,000 entries.
// The candidates are dev dependencies; the verdict is in docs/benchmarks.md ("LRU cache: lru-cache or a
// smaller package"). Options: BENCH_ROUNDS (default 7), BENCH_OPS (operations per sample, default 2^20).
const { execFileSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');

if (typeof global.gc !== 'function') {
  console.error('run with --expose-gc (npm run bench:lru does)');
  process.exit(1);
}

const ENTRIES = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const OPS = Number(process.env.BENCH_OPS || 2 ** 20);
const TTL_MS = 3_600_000;

// Public ids as the library holds them (36 characters), twice as many as the cache holds: the second half
// is never held (misses), and setting all of them in turn evicts on every set.
const keys = Array.from({ length: 2 * ENTRIES }, (_, i) => `5f1d2c3b-7a8e-4b9c-8d0e-${String(i).padStart(12, '0')}`);
const values = keys.map((_, i) => ({ record: null, expiresAt: i }));
// Held keys in a random order, the same for every candidate.
let seed = 42;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const order = Uint32Array.from({ length: OPS }, () => Math.floor(random() * ENTRIES));

/**
 * A time-to-live over a cache that has none (or only one for the whole cache): each value is held with its
 * expiry, checked on read, as the library would have to do itself to use such a package.
 */
function withExpiry(cache, now) {
  return {
    get(key) {
      const held = cache.get(key);
      if (held === undefined) return undefined;
      if (held.expiresAt <= now()) {
        cache.delete(key);
        return undefined;
      }
      return held.value;
    },
    set(key, value, ttl) {
      cache.set(key, { value, expiresAt: now() + ttl });
    },
  };
}

/**
 * Each candidate: how to make a plain cache, one with a TTL for the whole cache and a clock of ours (the
 * signer), one with a TTL per entry (the verifier); and what it offers of what the library uses.
 */
function candidates(QuickLRU) {
  const { LRUCache } = require('lru-cache');
  const { createLRU } = require('lru.min');
  const { LRU } = require('tiny-lru');
  const { LruMap } = require('toad-cache');
  const now = Date.now;
  return [
    {
      name: 'lru-cache',
      features: 'all the library uses: peek, per-entry and per-cache TTL, own clock (perf.now), dispose with its reason, iteration',
      plain: () => new LRUCache({ max: ENTRIES }),
      cacheTtl: () => new LRUCache({ max: ENTRIES, ttl: TTL_MS, ttlAutopurge: false, perf: { now } }),
      entryTtl: () => {
        const cache = new LRUCache({ max: ENTRIES, ttlAutopurge: false });
        return { get: (key) => cache.get(key), set: (key, value, ttl) => cache.set(key, value, { ttl }) };
      },
    },
    {
      name: 'lru.min',
      features: 'peek, iteration, onEviction (also called when a value is replaced: no reason); no TTL: wrapped',
      plain: () => createLRU({ max: ENTRIES }),
      cacheTtl: () => withExpiry(createLRU({ max: ENTRIES }), now),
      entryTtl: () => withExpiry(createLRU({ max: ENTRIES }), now),
    },
    {
      name: 'quick-lru',
      features: 'peek, per-entry TTL (Date.now only), iteration, onEviction; ES module only; not strict LRU (two generations, up to 2x maxSize held)',
      plain: () => new QuickLRU({ maxSize: ENTRIES }),
      cacheTtl: () => new QuickLRU({ maxSize: ENTRIES, maxAge: TTL_MS }),
      entryTtl: () => {
        const cache = new QuickLRU({ maxSize: ENTRIES });
        return { get: (key) => cache.get(key), set: (key, value, ttl) => cache.set(key, value, { maxAge: ttl }) };
      },
    },
    {
      name: 'tiny-lru',
      features: 'peek, per-cache TTL (Date.now only), iteration, onEvict; no per-entry TTL: wrapped',
      plain: () => new LRU(ENTRIES),
      cacheTtl: () => new LRU(ENTRIES, TTL_MS),
      entryTtl: () => withExpiry(new LRU(ENTRIES), now),
    },
    {
      name: 'toad-cache',
      features: 'per-cache TTL (Date.now only); no peek, no iteration of entries, no eviction callback',
      plain: () => new LruMap(ENTRIES),
      cacheTtl: () => new LruMap(ENTRIES, TTL_MS),
      entryTtl: () => withExpiry(new LruMap(ENTRIES), now),
    },
  ];
}

function fill(cache, ttl) {
  for (let i = 0; i < ENTRIES; i += 1) cache.set(keys[i], values[i], ttl);
  return cache;
}

// Each loop is compiled once per candidate (new Function), so that no candidate runs through call sites
// another one made polymorphic.
// Each returns how many reads found a value (a key held, not yet evicted).
const GET_HELD = 'let found = 0; for (let i = 0; i < n; i += 1) { const value = c.get(keys[order[i]]); if (value !== undefined && value.expiresAt >= 0) found += 1; } return found;';
const LOOPS = {
  'get, held': { make: 'plain', body: GET_HELD },
  'get, not held': { make: 'plain', body: 'let found = 0; for (let i = 0; i < n; i += 1) if (c.get(keys[10000 + order[i]]) !== undefined) found += 1; return found;' },
  'set, evicting': { make: 'plain', body: 'for (let i = 0; i < n; i += 1) { const k = (start + i) % 20000; c.set(keys[k], values[k]); } return 0;' },
  'get, held, per-cache TTL (signer)': { make: 'cacheTtl', body: GET_HELD },
  'set, evicting, per-entry TTL (verifier)': { make: 'entryTtl', body: 'for (let i = 0; i < n; i += 1) { const k = (start + i) % 20000; c.set(keys[k], values[k], 60000); } return 0;' },
};

function speed(list) {
  const prepared = list.map((candidate) =>
    Object.entries(LOOPS).map(([name, loop]) => {
      const cache = fill(candidate[loop.make](), loop.make === 'entryTtl' ? 60_000 : undefined);
      const run = new Function('c', 'keys', 'values', 'order', 'n', 'start', loop.body);
      let start = ENTRIES;
      const result = { candidate: candidate.name, name, samples: [], found: 0 };
      result.once = () => {
        const started = process.hrtime.bigint();
        result.found = run(cache, keys, values, order, OPS, start);
        const elapsed = Number(process.hrtime.bigint() - started);
        start = (start + OPS) % (2 * ENTRIES);
        return elapsed / OPS;
      };
      result.once(); // warm-up
      return result;
    }),
  );
  for (let round = 0; round < ROUNDS; round += 1) {
    // The order of the candidates turns every round.
    for (let i = 0; i < prepared.length; i += 1) {
      for (const loop of prepared[(round + i) % prepared.length]) loop.samples.push(loop.once());
    }
  }
  const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  return Object.keys(LOOPS).map((name) =>
    prepared.map((loops) => {
      const loop = loops.find((each) => each.name === name);
      return { ns: median(loop.samples), found: loop.found / OPS };
    }),
  );
}

function retained(make, ttl) {
  const measure = () => {
    global.gc();
    global.gc();
    const before = process.memoryUsage().heapUsed;
    const cache = fill(make(), ttl);
    global.gc();
    global.gc();
    const bytes = process.memoryUsage().heapUsed - before;
    return cache === null ? 0 : bytes;
  };
  const samples = [measure(), measure(), measure()].sort((a, b) => a - b);
  return samples[1] / ENTRIES;
}

function diskBytes(folder) {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    total += entry.isDirectory() ? diskBytes(path) : statSync(path).size;
  }
  return total;
}

function packageFolder(name) {
  let folder = dirname(require.resolve(name));
  while (!readdirSync(folder).includes('package.json') || require(join(folder, 'package.json')).name !== name) folder = dirname(folder);
  return folder;
}

/** Median time to load the package in a fresh process, in ms. */
function loadMs(name) {
  const load = name === 'quick-lru' ? `import(${JSON.stringify(name)})` : `Promise.resolve(require(${JSON.stringify(name)}))`;
  const script = `const t = process.hrtime.bigint(); ${load}.then(() => console.log(Number(process.hrtime.bigint() - t) / 1e6));`;
  const samples = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' }))).sort((a, b) => a - b);
  return samples[2];
}

(async () => {
  const { default: QuickLRU } = await import('quick-lru');
  const list = candidates(QuickLRU);
  const version = (name) => require(join(packageFolder(name), 'package.json')).version;
  console.log(`Node ${process.version}, ${ENTRIES} entries, ${OPS} operations per sample, ${ROUNDS} alternating rounds, median ns per operation`);
  console.log('');
  console.log('| package | version | on disk | files | load ms | offers |');
  console.log('|---|---|---|---|---|---|');
  for (const candidate of list) {
    const folder = packageFolder(candidate.name);
    const files = execFileSync('find', [folder, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n').length;
    console.log(`| ${candidate.name} | ${version(candidate.name)} | ${(diskBytes(folder) / 1024).toFixed(0)} KiB | ${files} | ${loadMs(candidate.name).toFixed(1)} | ${candidate.features} |`);
  }
  console.log('');
  const times = speed(list);
  console.log(`| operation | ${list.map((candidate) => candidate.name).join(' | ')} |`);
  console.log(`|---|${list.map(() => '---').join('|')}|`);
  Object.keys(LOOPS).forEach((name, row) => {
    const base = times[row][0].ns;
    console.log(`| ${name} | ${times[row].map(({ ns }) => `${ns.toFixed(1)} (${(ns / base).toFixed(2)}x)`).join(' | ')} |`);
  });
  // A strict LRU of 10,000 finds every one of 10,000 held keys; one that is not loses some.
  console.log(`| held keys found by "get, held" (last round) | ${times[0].map(({ found }) => `${(found * 100).toFixed(1)} %`).join(' | ')} |`);
  console.log('');
  console.log(`| retained heap for ${ENTRIES} entries (keys and values excluded), bytes per entry | ${list.map((candidate) => candidate.name).join(' | ')} |`);
  console.log(`|---|${list.map(() => '---').join('|')}|`);
  console.log(`| no TTL | ${list.map((candidate) => retained(candidate.plain).toFixed(0)).join(' | ')} |`);
  console.log(`| per-cache TTL (signer) | ${list.map((candidate) => retained(candidate.cacheTtl).toFixed(0)).join(' | ')} |`);
  console.log(`| per-entry TTL (verifier) | ${list.map((candidate) => retained(candidate.entryTtl, 60_000).toFixed(0)).join(' | ')} |`);
})();
