// A node:http server answering 204 to every request: what any Node service behind auth_request costs.
const http = require('node:http');

const server = http.createServer((req, res) => {
  res.statusCode = 204;
  res.end();
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
