// `npm run bench:gc -- <variant[:development]>…`: what the garbage collector does per request in bench-server.js targets.
// Each target runs pinned to core 0 with `--trace-gc` under wrk on core 1 (32 connections); over the measured run the
// script reads V8's own trace: scavenges and mark-compacts, the main thread's pause in each, how much the old space
// grows between scavenges (what they promote), and the heap left after the last mark-compact (what stays alive).
// BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2). Needs wrk and taskset.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { available, createDatabase, markdownTable, seedApplication, wrk } = require('./lib');

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const COMPANY = 'bench-company';
// `Scavenge 38.8 (58.0) -> 32.7 (61.7) MB, 13.76 / 0.07 ms`: heap used before and after, then the pause.
const EVENT = /(Scavenge|Mark-Compact)[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \//g;

/** Starts a target with `--trace-gc`; resolves its port, its trace so far (`trace()`) and `stop()`. */
function startTraced(variant, env) {
  const args = ['-c', '0', process.execPath, '--trace-gc', join(__dirname, 'bench-server.js'), variant];
  const child = spawn('taskset', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const ready = setInterval(() => {
      const match = /READY (\d+)/.exec(output);
      if (match === null) return;
      clearInterval(ready);
      resolve({ port: Number(match[1]), trace: () => output, stop: () => new Promise((done) => child.once('exit', done).kill('SIGTERM')) });
    }, 20);
    child.once('exit', (code) => {
      clearInterval(ready);
      reject(new Error(`${variant} exited with ${code}`));
    });
  });
}

/** The collector's work in a stretch of `--trace-gc` output, per request answered in it. */
function summarise(trace, requests) {
  let scavenges = 0;
  let scavengeMs = 0;
  let markCompacts = 0;
  let markCompactMs = 0;
  let promotedMb = 0;
  let previousAfter = null;
  let liveMb = null;
  for (const [, kind, , after, pause] of trace.matchAll(EVENT)) {
    if (kind === 'Scavenge') {
      scavenges += 1;
      scavengeMs += Number(pause);
      // What a scavenge leaves beyond what the previous one left: promoted (or allocated old) in between.
      if (previousAfter !== null) promotedMb += Math.max(0, Number(after) - previousAfter);
      previousAfter = Number(after);
    } else {
      markCompacts += 1;
      markCompactMs += Number(pause);
      previousAfter = Number(after);
      liveMb = Number(after);
    }
  }
  const perThousand = (value) => ((value * 1000) / requests).toFixed(2);
  return {
    scavenges: perThousand(scavenges),
    markCompacts: perThousand(markCompacts),
    promotedKb: ((promotedMb * 1024) / requests).toFixed(1),
    pauseUs: (((scavengeMs + markCompactMs) * 1000) / requests).toFixed(2),
    liveMb: liveMb === null ? '' : liveMb.toFixed(1),
  };
}

async function main() {
  const specs = process.argv.slice(2);
  if (specs.length === 0 || !available('wrk') || !available('taskset')) {
    console.error('usage: npm run bench:gc -- <variant[:development]>… (needs wrk and taskset)');
    process.exit(2);
  }
  const database = await createDatabase('sqlite');
  const rows = [];
  try {
    const credentials = await seedApplication(database.url, COMPANY);
    const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
    for (const spec of specs) {
      const [variant, nodeEnv = 'production'] = spec.split(':');
      const target = await startTraced(variant, { DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey, NODE_ENV: nodeEnv, BENCH_PORT: '0' });
      try {
        const url = `http://127.0.0.1:${target.port}/api/v1/auth/test?group_id=${COMPANY}`;
        await wrk({ url, headers, seconds: WARMUP_SECONDS, connections: 32, core: 1 });
        const from = target.trace().length;
        const result = await wrk({ url, headers, seconds: SECONDS, connections: 32, core: 1 });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${spec}: ${result.non2xx} non-2xx, ${result.errors} socket errors`);
        const gc = summarise(target.trace().slice(from), result.total);
        rows.push([spec, Math.round(result.rps), gc.scavenges, gc.promotedKb, gc.markCompacts, gc.liveMb, gc.pauseUs]);
        console.error(`${spec}: ${gc.pauseUs} µs of pauses per request`);
      } finally {
        await target.stop();
      }
    }
  } finally {
    await database.drop();
  }
  console.log(`--trace-gc, ${SECONDS} s under wrk -t1 -c32 after ${WARMUP_SECONDS} s of warm-up, SQLite, pinned (requests/s are slowed by the trace itself)`);
  console.log(
    markdownTable(['target', 'requests/s', 'scavenges per 1,000 requests', 'old space grown between scavenges, KiB per request', 'mark-compacts per 1,000 requests', 'heap after the last mark-compact, MiB', 'main-thread GC pause, µs per request'], rows),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
