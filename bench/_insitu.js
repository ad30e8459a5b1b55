const http = require('node:http');
const mode = process.argv[2];
const rproto = Object.create(http.IncomingMessage.prototype);
const sproto = Object.create(http.ServerResponse.prototype);
const t = { none: 0, ownLoad: 0, protoLoad: 0, ownStoreNew: 0, symStoreNew: 0, weakSet: 0, defineProp: 0 }; let n = 0;
const SYM = Symbol('s');
let sink; const WM = new WeakMap();
function probe(req) {
  let a = process.hrtime.bigint(); let b = process.hrtime.bigint(); t.none += Number(b - a);
  a = process.hrtime.bigint(); sink = req.headers; sink = req.url; sink = req.method; sink = req.socket; b = process.hrtime.bigint(); t.ownLoad += Number(b - a);
  a = process.hrtime.bigint(); sink = req.on; sink = req.pipe; sink = req.setTimeout; b = process.hrtime.bigint(); t.protoLoad += Number(b - a);
  a = process.hrtime.bigint(); req.twake = sink; b = process.hrtime.bigint(); t.ownStoreNew += Number(b - a);
  a = process.hrtime.bigint(); req[SYM] = sink; b = process.hrtime.bigint(); t.symStoreNew += Number(b - a);
  a = process.hrtime.bigint(); WM.set(req, sink); b = process.hrtime.bigint(); t.weakSet += Number(b - a);
  a = process.hrtime.bigint(); Object.defineProperty(req, 'tw2', { value: sink, enumerable: true, writable: false, configurable: true }); b = process.hrtime.bigint(); t.defineProp += Number(b - a);
  n++;
}
const handler = (req, res) => {
  if (mode !== 'plain') { Object.setPrototypeOf(req, rproto); Object.setPrototypeOf(res, sproto); }
  probe(req);
  res.end('ok');
};
const server = http.createServer(handler).listen(0, '127.0.0.1', () => console.log('READY', server.address().port));
process.on('SIGTERM', () => { console.log(mode, Object.entries(t).map(([k, v]) => `${k} ${(v / n).toFixed(0)}`).join(', ')); process.exit(0); });
