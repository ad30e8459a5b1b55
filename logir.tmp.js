const pino = require('pino');
const fs = require('fs');
const [mode, n] = [process.argv[2], Number(process.argv[3])];
const redact = mode === 'redact';
const l = pino({ level: 'info', base: { service: 'twake-app-auth' }, ...(redact ? { redact: { paths: ['req.headers.authorization','headers.authorization','authorization','privateKey','*.privateKey','key','*.key'], censor: '[redacted]' } } : {}) }, pino.destination({ dest: fs.openSync('/dev/null','w'), sync: true }));
const line = () => ({ method: 'GET', path: '/api/v1/auth/test', route: '/api/v1/auth/test', originalPath: undefined, clientAddress: '127.0.0.1', status: 200, decidedStatus: undefined, code: 'ok', publicId: '45b89166-b73d-4967-80a0-5458132f014f', companyId: 'acme', latencyMs: 0.123456 });
for (let i = 0; i < 20000; i++) l.info(line(), 'request');
for (let i = 0; i < n; i++) l.info(line(), 'request');
