// Differential test against a real PHP behind forward-auth (Traefik forwardBody, Envoy with_request_body):
// for every spelling of a field name, the same query or urlencoded body goes to `php -S` and to the
// validator; whenever PHP reads a group_id other than the one the validator checked (or one where the
// validator saw none), the validator must have refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { isUtf8 } from 'node:buffer';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic } from '../helpers/create-server';
import { listenOnFreePort, type Listening } from '../helpers/listen';
import { hasPhp, startPhpServer, type PhpServer } from '../helpers/php-server';
import { MemoryStore, forwardAuthForTests, twakeAuthErrorHandler } from '../helpers/tenancy-imports';

const PHP_PORTS = [47100, 47199] as const;
const PUBLIC_ID = 'app-php';
const KEY = 'twk_php-names';

// What PHP registers as group_id; strings as hex so that every byte (NUL, \xFF) survives JSON.
const SCRIPT = `<?php
function shown($value) {
    return is_array($value) ? ['array' => array_map('shown', $value)] : bin2hex((string) $value);
}
function read(array $from) {
    return array_key_exists('group_id', $from) ? shown($from['group_id']) : null;
}
header('Content-Type: application/json');
echo json_encode(['get' => read($_GET), 'post' => read($_POST), 'request' => read($_REQUEST)]);
`;

/** What PHP read: per array, null (no group_id), the hex of a string, or an array. */
type PhpReading = Record<'get' | 'post' | 'request', string | { array: unknown } | null>;

/** The validator's answer: the company it checked (204), or its refusal. */
type Verdict = { readonly status: 204; readonly checked: string; readonly code?: undefined } | { readonly status: number; readonly code: string; readonly checked?: undefined };

interface Exchange {
  readonly label: string;
  readonly query: string;
  readonly body?: Buffer;
  readonly contentType?: string;
}

const FORM = 'application/x-www-form-urlencoded';

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? headers : { ...headers, 'Content-Length': String(body.length) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function askPhp(php: PhpServer, exchange: Exchange): Promise<PhpReading> {
  const path = `/index.php${exchange.query === '' ? '' : `?${exchange.query}`}`;
  const headers: Record<string, string> = exchange.contentType === undefined ? {} : { 'Content-Type': exchange.contentType };
  const response = await send(php.port, exchange.body === undefined ? 'GET' : 'POST', path, headers, exchange.body);
  if (response.status !== 200) throw new Error(`PHP answered ${response.status} to ${exchange.label}: ${response.text}`);
  return JSON.parse(response.text) as PhpReading;
}

// Traefik sends the original URI in X-Forwarded-Uri; Envoy appends the original path and query to ours.
type Flavour = 'traefik' | 'envoy';

async function askValidator(validator: Listening, flavour: Flavour, exchange: Exchange): Promise<Verdict> {
  const original = `/api/v1/x${exchange.query === '' ? '' : `?${exchange.query}`}`;
  const headers: Record<string, string> = { Authorization: basic(PUBLIC_ID, KEY) };
  if (exchange.contentType !== undefined) headers['Content-Type'] = exchange.contentType;
  if (flavour === 'traefik') headers['X-Forwarded-Uri'] = original;
  const path = flavour === 'traefik' ? '/auth/verify' : `/auth/verify${original}`;
  const response = await send(validator.port, exchange.body === undefined ? 'GET' : 'POST', path, headers, exchange.body);
  if (response.status === 204) return { status: 204, checked: decodeURIComponent(String(response.headers['x-twake-company-id'])) };
  return { status: response.status, code: String((JSON.parse(response.text) as { code?: unknown }).code) };
}

const hexOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

// PHP's reading for a message: its text when it is UTF-8, its bytes in hex otherwise.
function shown(value: PhpReading['get']): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const bytes = Buffer.from(value, 'hex');
  return isUtf8(bytes) ? JSON.stringify(bytes.toString('utf8')) : `bytes ${value}`;
}

/** Why the pair breaks tenancy (PHP reads a company the validator did not check, and it let it through), or null. */
function breach(php: PhpReading, verdict: Verdict, refusal: string): string | null {
  for (const where of ['get', 'post', 'request'] as const) {
    const value = php[where];
    if (value === null) continue;
    const read = `PHP $_${where.toUpperCase()} read ${shown(value)}`;
    if (verdict.checked !== undefined && value !== hexOf(verdict.checked)) return `${read}, the validator checked ${JSON.stringify(verdict.checked)}`;
    if (verdict.checked === undefined && verdict.code !== refusal) return `${read}, the validator answered ${verdict.status} ${verdict.code}`;
  }
  return null;
}

// The bytes PHP decodes a form name into ("%XX" any byte, "+" a space), each written back as "%XX".
function encodeEveryByte(wire: string): string {
  let encoded = '';
  for (let index = 0; index < wire.length; index += 1) {
    const escape = /^%[0-9a-f]{2}/i.exec(wire.slice(index, index + 3));
    const byte = escape !== null ? parseInt(wire.slice(index + 1, index + 3), 16) : wire[index] === '+' ? 0x20 : wire.charCodeAt(index);
    if (escape !== null) index += 2;
    encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Field names as sent on the wire: PHP reads many as group_id, qs some, and some are other fields. */
function spellings(): string[] {
  const name = 'group_id';
  const found = new Set<string>();
  // Every single character replaced by a space, a dot or a "[", as sent and percent-encoded.
  for (let index = 0; index < name.length; index += 1) {
    for (const substitute of ['+', '%20', '.', '%2E', '%2e', '[', '%5B', ']', '%00']) found.add(`${name.slice(0, index)}${substitute}${name.slice(index + 1)}`);
  }
  const bases = ['group_id', 'group.id', 'group+id', 'group%20id', 'group[id', 'group%5Bid'];
  for (const base of bases) {
    // Leading spaces, as "+" and as "%20".
    for (const lead of ['+', '++', '%20', '+%20', '%20%20%20', '.', '%09']) found.add(`${lead}${base}`);
    // Cut at NUL.
    for (const tail of ['%00', '%00x', '%00%FF', '%00[x]', '%00%3D', '%00.x']) found.add(`${base}${tail}`);
    // Brackets and dots after the name.
    for (const tail of ['[', ']', '[]', '[x]', '[x]y', '[+]', '[]]', '%5B%5D', '%5Bx%5D', '.', '.x', '[x', '[.x', '_', 's', '%09']) found.add(`${base}${tail}`);
  }
  // Around the name, and other fields that merely look like it.
  for (const other of ['xgroup_id', '_group_id', '[group_id]', '%5Bgroup_id%5D', 'x[group_id]', 'x.group_id', 'Group_id', 'GROUP_ID', 'group', 'groupid', 'group__id', 'group_i%00d', '%67roup_id', '%67roup.id', 'group%5Fid']) found.add(other);
  for (const wire of [...found]) found.add(encodeEveryByte(wire));
  found.delete('group_id');
  found.delete(encodeEveryByte('group_id'));
  return [...found];
}

// Each spelling is sent in every place and order a backend could read it from.
function exchangesFor(spelling: string): Exchange[] {
  const form = (text: string) => Buffer.from(text, 'latin1');
  return [
    { label: `query ${spelling}=victim-co`, query: `${spelling}=victim-co` },
    { label: `query group_id=acme&${spelling}=victim-co`, query: `group_id=acme&${spelling}=victim-co` },
    { label: `query ${spelling}=victim-co&group_id=acme`, query: `${spelling}=victim-co&group_id=acme` },
    { label: `query group_id=acme&${spelling}`, query: `group_id=acme&${spelling}` },
    { label: `body ${spelling}=victim-co`, query: '', body: form(`${spelling}=victim-co`), contentType: FORM },
    { label: `body group_id=acme&${spelling}=victim-co`, query: '', body: form(`group_id=acme&${spelling}=victim-co`), contentType: FORM },
    { label: `body ${spelling}=victim-co&group_id=acme`, query: '', body: form(`${spelling}=victim-co&group_id=acme`), contentType: FORM },
    { label: `query group_id=acme, body ${spelling}=victim-co`, query: 'group_id=acme', body: form(`${spelling}=victim-co`), contentType: FORM },
  ];
}

const PHP = hasPhp();
if (!PHP && process.env.CI === 'true') throw new Error('php is required when CI=true (.ci/run installs php-cli)');
if (!PHP) console.warn('php is not installed (apt-get install -y php-cli): the PHP field-name suite is skipped.');
const describeWithPhp = PHP ? describe : describe.skip;

describeWithPhp('field names and form charsets PHP reads differently (a real php -S)', () => {
  let root: string;
  let php: PhpServer;
  let validator: Listening;
  const store = new MemoryStore();
  // Installed in every company a reading could land on, so that a wrong reading shows as a 204 for the
  // wrong company, never as a 403 that hides it.
  store.add({ publicId: PUBLIC_ID, keys: [{ privateKey: KEY }], companies: ['acme', 'victim-co', 'école', 'Ã©cole', 'c%FF', '%41%FF', 'c\uFFFD'] });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'php-names-'));
    writeFileSync(join(root, 'index.php'), SCRIPT);
    php = await startPhpServer(root, ...PHP_PORTS);
    const app = express();
    app.all(['/auth/verify', '/auth/verify/*path'], forwardAuthForTests({ store, mode: 'development', throttle: false }));
    app.use(twakeAuthErrorHandler());
    validator = await listenOnFreePort(app);
  });

  afterAll(async () => {
    await php?.stop();
    await validator?.close();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  // Sends one exchange to PHP and, in both flavours, to the validator; returns every breach found.
  async function compare(exchange: Exchange, refusal = 'invalid_group_id'): Promise<{ php: PhpReading; verdicts: Verdict[]; breaches: string[] }> {
    const [reading, ...verdicts] = await Promise.all([askPhp(php, exchange), askValidator(validator, 'traefik', exchange), askValidator(validator, 'envoy', exchange)]);
    const breaches = verdicts.flatMap((verdict, index) => {
      const found = breach(reading, verdict, refusal);
      return found === null ? [] : [`${index === 0 ? 'traefik' : 'envoy'} | ${exchange.label} | ${found}`];
    });
    return { php: reading, verdicts, breaches };
  }

  it('reads the plain group_id the same way (positive control)', async () => {
    for (const exchange of [
      { label: 'query', query: 'group_id=acme' },
      { label: 'body', query: '', body: Buffer.from('group_id=acme'), contentType: FORM },
      { label: 'encoded', query: 'group%5Fid=%61cme' },
    ]) {
      const { php: reading, verdicts, breaches } = await compare(exchange);
      expect(breaches).toEqual([]);
      expect(reading.request).toBe(hexOf('acme'));
      expect(verdicts).toEqual([
        { status: 204, checked: 'acme' },
        { status: 204, checked: 'acme' },
      ]);
    }
  });

  it('refuses with 400 invalid_group_id every spelling PHP reads as group_id, in a query and in a urlencoded body', async () => {
    const names = spellings();
    const breaches: string[] = [];
    const aliasesReadByPhp = new Set<string>();
    for (const spelling of names) {
      const results = await Promise.all(exchangesFor(spelling).map((exchange) => compare(exchange)));
      for (const result of results) breaches.push(...result.breaches);
      // The first exchange sends the spelling alone: whatever PHP reads as group_id came from it.
      if (results[0]?.php.get !== null) aliasesReadByPhp.add(spelling);
    }
    expect(breaches).toEqual([]);
    // The generator reaches what it is meant to: many spellings PHP does read as group_id.
    expect(names.length).toBeGreaterThan(400);
    expect(aliasesReadByPhp.size).toBeGreaterThan(100);
    expect([...aliasesReadByPhp]).toEqual(expect.arrayContaining(['group.id', 'group+id', '+group_id', '%20group_id', 'group[id', 'group_id%00x', 'group.id[x]']));
  }, 180_000);

  it('does not refuse fields PHP and qs read as other fields (negative controls)', async () => {
    for (const spelling of ['xgroup_id', '_group_id', 'group__id', 'gr.up_id', 'Group_id', 'group_id%09', 'group%00.id', 'groupid']) {
      const { php: reading, verdicts } = await compare({ label: spelling, query: `group_id=acme&${spelling}=victim-co` });
      expect({ spelling, php: reading.request }).toEqual({ spelling, php: hexOf('acme') });
      expect({ spelling, verdicts }).toEqual({ spelling, verdicts: [{ status: 204, checked: 'acme' }, { status: 204, checked: 'acme' }] });
    }
  });

  describe('urlencoded bodies whose bytes PHP reads differently', () => {
    it.each([
      // [what, content type, body, the refusal expected]
      ['a charset other than UTF-8 (PHP ignores it and keeps the bytes)', `${FORM}; charset=iso-8859-1`, 'group_id=%C3%A9cole', 415, 'unsupported_media_type'],
      ['the same, charset in capitals', `${FORM}; charset=ISO-8859-1`, 'group_id=%C3%A9cole', 415, 'unsupported_media_type'],
      ['windows-1252', `${FORM}; charset=windows-1252`, 'group_id=%C3%A9cole', 415, 'unsupported_media_type'],
      ['an escape that is not UTF-8 ("%FF" to qs, the byte to PHP)', FORM, 'group_id=c%FF', 400, 'invalid_group_id'],
      ['an escape that is not UTF-8 after a valid one', FORM, 'group_id=%41%FF', 400, 'invalid_group_id'],
      ['a raw byte that is not UTF-8 (U+FFFD to body-parser, the byte to PHP)', FORM, Buffer.from('group_id=c\xff', 'latin1'), 400, 'invalid_body'],
    ])('%s: refused', async (_what, contentType, body, status, code) => {
      const exchange = { label: String(body), query: '', body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType };
      const { php: reading, verdicts, breaches } = await compare(exchange, code);
      expect(breaches).toEqual([]);
      expect(reading.post).not.toBeNull();
      expect(verdicts).toEqual([
        { status, code },
        { status, code },
      ]);
    });

    it.each([
      ['no charset', FORM, 'group_id=%C3%A9cole'],
      ['charset=utf-8', `${FORM}; charset=utf-8`, 'group_id=%C3%A9cole'],
      ['charset="UTF-8"', `${FORM}; charset="UTF-8"`, 'group_id=%C3%A9cole'],
      ['raw UTF-8 bytes', FORM, Buffer.from('group_id=école', 'utf8')],
    ])('%s: read as PHP reads it', async (_what, contentType, body) => {
      const exchange = { label: String(body), query: '', body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType };
      const { php: reading, verdicts, breaches } = await compare(exchange);
      expect(breaches).toEqual([]);
      expect(reading.post).toBe(hexOf('école'));
      expect(verdicts).toEqual([
        { status: 204, checked: 'école' },
        { status: 204, checked: 'école' },
      ]);
    });

    it('accepts a field other than group_id whose escapes are not UTF-8', async () => {
      const { verdicts, breaches } = await compare({ label: 'other', query: '', body: Buffer.from('x=%FF&group_id=acme'), contentType: FORM });
      expect(breaches).toEqual([]);
      expect(verdicts).toEqual([
        { status: 204, checked: 'acme' },
        { status: 204, checked: 'acme' },
      ]);
    });
  });
});
