// Request lines are written without pino's per-call work: to the main logger's output, and as pino would write them.
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createLogger } from '../../server/src/server/logger';
import { createRequestLines, formatRequestLine, logRequest, type RequestLineFields, type RequestLines } from '../../server/src/server/request-log';
import type { ValidatorRequest, ValidatorResponse } from '../../server/src/server/validator-request';

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => lines.push(line) } };
}

// A finished request as request-log.ts reads it, with every field it writes filled in.
function finishedResponse() {
  const req = { method: 'GET', path: '/api/v1/auth/test', route: { path: '/api/v1/auth/test' }, ip: '10.0.0.1', twake: { publicId: 'pub', companyId: 'acme' } } as unknown as ValidatorRequest;
  return Object.assign(new EventEmitter(), {
    req,
    statusCode: 403,
    locals: { twakeOriginalPath: '/api/v1/x', twakeAuthCode: 'not_installed' } as Record<string, unknown>,
    getHeader: () => '429',
  }) as unknown as ValidatorResponse;
}

const FULL: RequestLineFields = {
  method: 'GET',
  path: '/api/v1/auth/test',
  route: '/api/v1/auth/test',
  originalPath: '/api/v1/x',
  clientAddress: '10.0.0.1',
  status: 403,
  decidedStatus: 429,
  code: 'not_installed',
  publicId: 'pub',
  companyId: 'acme',
  latencyMs: 0.123,
};

// Paths and ids are the client's: quotes, backslashes, control characters, Unicode, lone surrogates, long text.
const ODD_STRINGS = ['"', '\\', 'a"b\\c', '\u0000\u001f\n\r\t', 'é€𝄞', '\u2028\u2029', '\ud800', 'x'.repeat(100) + '"', '</script>'];

const CASES: Array<[string, RequestLineFields]> = [
  ['every field', FULL],
  ['no identity, no original path, no decided status', { ...FULL, originalPath: undefined, decidedStatus: undefined, publicId: undefined, companyId: undefined, code: undefined }],
  ['no route and no path (a target that does not parse)', { ...FULL, route: null, path: undefined, method: undefined }],
  ['a latency that is not finite', { ...FULL, latencyMs: Number.NaN }],
  ...ODD_STRINGS.map((odd): [string, RequestLineFields] => [`the path and ids ${JSON.stringify(odd)}`, { ...FULL, path: `/p/${odd}`, originalPath: odd, publicId: odd, companyId: odd, code: odd }]),
];

/** The line pino itself writes for `fields` at `info`, through the server's main (redacting) logger. */
function pinoLine(fields: RequestLineFields, child?: Record<string, unknown>): string {
  const { lines, stream } = sink();
  const main = createLogger('info', stream);
  (child === undefined ? main : main.child(child)).info(fields, 'request');
  return lines[0] ?? '';
}

describe('createRequestLines', () => {
  it('writes nothing when the main logger does not write info', () => {
    expect(createRequestLines(createLogger('warn', sink().stream))).toBeNull();
    expect(createRequestLines(createLogger('silent', sink().stream))).toBeNull();
  });

  it('writes to the main logger’s output unless given another', () => {
    const main = sink();
    const other = sink();
    const logger = createLogger('info', main.stream);
    (createRequestLines(logger) as RequestLines).output.write('a');
    (createRequestLines(logger, other.stream) as RequestLines).output.write('b');
    expect(main.lines).toEqual(['a']);
    expect(other.lines).toEqual(['b']);
  });

  it.each(CASES)('writes %s exactly as pino does', (_name, fields) => {
    const lines = createRequestLines(createLogger('info', sink().stream)) as RequestLines;
    const ours = formatRequestLine(lines, fields, 0);
    const theirs = pinoLine(fields);
    expect(ours.endsWith('}\n')).toBe(true);
    expect(JSON.parse(ours)).toEqual({ ...(JSON.parse(theirs) as Record<string, unknown>), time: 0 });
    // Text for text, apart from the time, wherever pino's own escaping is JSON's.
    if (!/[\ud800-\udfff]/.test(JSON.stringify(fields))) expect(ours.replace(/"time":\d+/, '')).toBe(theirs.replace(/"time":\d+/, ''));
  });

  it('writes the latency to the microsecond, and one that is not finite as null', () => {
    const lines = createRequestLines(createLogger('info', sink().stream)) as RequestLines;
    const latency = (latencyMs: number) => (JSON.parse(formatRequestLine(lines, { ...FULL, latencyMs }, 0)) as { latencyMs: unknown }).latencyMs;
    expect(latency(1.2345678)).toBe(1.235);
    expect(latency(12)).toBe(12);
    expect(latency(0.0004)).toBe(0);
    expect(latency(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('carries the fields the main logger adds (a worker’s number and pid)', () => {
    const child = { worker: 2, pid: 1234 };
    const lines = createRequestLines(createLogger('info', sink().stream).child(child)) as RequestLines;
    const ours = JSON.parse(formatRequestLine(lines, FULL, 7)) as Record<string, unknown>;
    expect(ours).toMatchObject({ service: 'twake-app-auth', worker: 2, pid: 1234, time: 7, msg: 'request' });
    expect(ours).toEqual({ ...(JSON.parse(pinoLine(FULL, child)) as Record<string, unknown>), time: 7 });
  });
});

describe('logRequest', () => {
  it('writes the finished response’s line once, with its fields', () => {
    const { lines, stream } = sink();
    const res = finishedResponse();
    const before = Date.now();
    logRequest(createRequestLines(createLogger('info', stream)) as RequestLines, res);
    expect(lines).toHaveLength(0);
    (res as unknown as EventEmitter).emit('finish');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, service: 'twake-app-auth', method: 'GET', path: '/api/v1/auth/test', route: '/api/v1/auth/test', originalPath: '/api/v1/x', clientAddress: '10.0.0.1', status: 403, decidedStatus: 429, code: 'not_installed', publicId: 'pub', companyId: 'acme', msg: 'request' });
    expect(line.time).toBeGreaterThanOrEqual(before);
    expect(line.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
