// Preloaded into the soak's server (node --expose-gc --require): every 10 s, a full collection, then the
// heap still in use appended to HEAP_PROBE_FILE. A leak climbs; collector slack, which RSS shows, does not.
const { appendFileSync } = require('node:fs');

const file = process.env.HEAP_PROBE_FILE;
if (file && typeof global.gc === 'function') {
  setInterval(() => {
    global.gc();
    appendFileSync(file, `${(process.memoryUsage().heapUsed / 1048576).toFixed(1)}\n`);
  }, 10_000).unref();
}
