// `npm run bench:memory`: memory held by a full lookup cache (default 10,000 entries, and 100,000).
const { createCachedStore } = require('../dist');
const { digestKey } = require('../dist/core/secrets');

function record(i) {
  return {
    id: `0b4c4f6e-1f0a-4a3e-9d55-${String(i).padStart(12, '0')}`,
    publicId: `5f1d2c3b-7a8e-4b9c-8d0e-${String(i).padStart(12, '0')}`,
    name: `Application ${i}`,
    enabled: true,
    installed: true,
    keys: [{ id: `key-${i}`, digest: digestKey(`key-${i}`), expiresAt: null }],
  };
}

async function measure(entries) {
  global.gc();
  const before = process.memoryUsage();
  const cache = createCachedStore({ findApplication: async (publicId) => record(Number(publicId.slice(4))) }, { maxEntries: entries, ttlMs: 3_600_000 });
  for (let i = 0; i < entries; i += 1) await cache.findApplication(`app-${i}`, `company-${i % 97}`);
  global.gc();
  const after = process.memoryUsage();
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `${entries} entries: heap +${mib(after.heapUsed - before.heapUsed)} MiB, RSS +${mib(after.rss - before.rss)} MiB ` +
      `(${Math.round((after.heapUsed + after.external - before.heapUsed - before.external) / entries)} bytes per entry), process RSS ${mib(after.rss)} MiB`,
  );
  return cache;
}

(async () => {
  await measure(10_000);
  await measure(100_000);
})();
