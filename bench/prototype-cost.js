// `node bench/prototype-cost.js`: what Express's prototype swap costs a plain node:http server.
// Runs the same server twice, as is and swapping the prototypes of req and res on every request the way
// Express does, each pinned under wrk load; prints requests/s and the time of a few operations on `req`
// measured inside the handler (docs/history/benchmarks-history.md, "Why Express is far from the floor"). Needs wrk.
const http = require('node:http');
const os = require('node:os');
const { available, wrk } = require('./lib');

const SECONDS = Number(process.env.BENCH_SECONDS || 4);

function serve(swapPrototypes) {
  const requestPrototype = Object.create(http.IncomingMessage.prototype);
  const responsePrototype = Object.create(http.ServerResponse.prototype);
  const totals = { 'read own properties': 0, 'add a property': 0, 'write that property again': 0 };
  let count = 0;
  let sink;
  const timed = (name, operation) => {
    const started = process.hrtime.bigint();
    operation();
    totals[name] += Number(process.hrtime.bigint() - started);
  };
  const server = http.createServer((req, res) => {
    if (swapPrototypes) {
      Object.setPrototypeOf(req, requestPrototype);
      Object.setPrototypeOf(res, responsePrototype);
    }
    timed('read own properties', () => (sink = [req.headers, req.url, req.method]));
    timed('add a property', () => (req.probe = sink));
    timed('write that property again', () => (req.probe = null));
    count += 1;
    res.end('ok');
  });
  const report = () => Object.entries(totals).map(([name, total]) => `${name} ${(total / count).toFixed(0)} ns`).join(', ');
  return { server, report };
}

async function main() {
  if (!available('wrk')) throw new Error('needs wrk');
  const pin = available('taskset') && os.cpus().length >= 2;
  for (const swap of [false, true]) {
    // The server runs in this process; wrk alone is pinned, to the other core.
    const { server, report } = serve(swap);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    await wrk({ url, headers: {}, seconds: 1, connections: 32, core: pin ? 1 : null });
    const result = await wrk({ url, headers: {}, seconds: SECONDS, connections: 32, core: pin ? 1 : null });
    console.log(`${swap ? 'prototypes swapped as Express does' : 'node:http as is'}: ${Math.round(result.rps)} requests/s; ${report()}`);
    await new Promise((resolve) => server.close(resolve));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
