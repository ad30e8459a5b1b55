// headerCopies gives exactly what Node's headersDistinct gives, for requests parsed by Node itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { headerCopies } from '../../src/proxy/header-copies';

let server: http.Server;
let port = 0;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The request Node parses from `headerLines`, sent as raw bytes. */
async function parsed(headerLines: string[]): Promise<IncomingMessage> {
  const before = seen.length;
  const socket = net.connect(port, '127.0.0.1');
  socket.end(`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`);
  socket.resume();
  await new Promise((resolve) => socket.on('close', resolve));
  const req = seen[before];
  if (req === undefined) throw new Error('no request parsed');
  return req;
}

const NAMES = ['x-original-uri', 'x-forwarded-method', 'x-twake-group-id', 'user-agent', 'from'];
const ARRANGEMENTS: Array<[string, string[]]> = [
  ['absent', []],
  ['one copy', ['V: /api/v1/x?group_id=a']],
  ['one empty copy', ['V: ']],
  ['one copy with a comma', ['V: /api/v1/x?a=1,2']],
  ['one copy with ", "', ['V: a, b']],
  ['two equal copies', ['V: /a', 'V: /a']],
  ['two different copies', ['V: /a', 'V: /b']],
  ['an empty copy then one', ['V: ', 'V: /b']],
  ['a copy then an empty one', ['V: /a', 'V: ']],
  ['two empty copies', ['V: ', 'V: ']],
  ['names in other cases', ['v: /a', 'V: /b']],
];

describe('headerCopies', () => {
  for (const name of NAMES) {
    it.each(ARRANGEMENTS)(`gives ${name} as headersDistinct does: %s`, async (_label, lines) => {
      const req = await parsed(lines.map((line) => line.replace(/^v:/i, (prefix) => (prefix === 'v:' ? name : name.toUpperCase()) + ':')));
      expect(headerCopies(req, name)).toEqual(req.headersDistinct[name] ?? []);
    });
  }
});
