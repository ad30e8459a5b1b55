// The real server command in a benchmark process, announcing its port the way bench/lib.js expects.
const { once } = require('node:events');
const { writeSync } = require('node:fs');
const http = require('node:http');

// Where READY goes: standard output, or fd 3 when standard output is the server's log file (see lib.js).
const READY_FD = Number(process.env.BENCH_READY_FD || 1);

// Learn the port the server picks: wrap createServer before the CLI loads it.
const createServer = http.createServer;
http.createServer = (...args) => {
  const server = createServer(...args);
  once(server, 'listening').then(() => writeSync(READY_FD, `READY ${server.address().port}\n`));
  return server;
};
process.env.PORT = '0';
// One process: the rows pin it to one core (bench:workers measures WORKERS=2).
process.env.WORKERS = '1';
process.env.HOST = '127.0.0.1';
require('../server/dist/cli/index').run(['serve'], { stdout: () => undefined, stderr: (text) => process.stderr.write(text), env: process.env });
