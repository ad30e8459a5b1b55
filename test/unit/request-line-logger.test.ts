// The request lines are written without redaction: to the same output, at the same level, and with nothing redaction would change.
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createLogger, createRequestLineLogger } from '../../server/src/server/logger';
import { logRequest } from '../../server/src/server/request-log';
import type { ValidatorRequest, ValidatorResponse } from '../../server/src/server/validator-request';

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => lines.push(line) } };
}

// A finished request as request-log.ts reads it, with every field it writes filled in.
function finishedRequest() {
  const req = { method: 'GET', path: '/api/v1/auth/test', route: { path: '/api/v1/auth/test' }, ip: '10.0.0.1', twake: { publicId: 'pub', companyId: 'acme' } } as unknown as ValidatorRequest;
  const res = Object.assign(new EventEmitter(), {
    statusCode: 403,
    locals: { twakeOriginalPath: '/api/v1/x', twakeAuthCode: 'not_installed' } as Record<string, unknown>,
    getHeader: () => '429',
  }) as unknown as ValidatorResponse;
  return { req, res };
}

const withoutTime = (line: string | undefined) => ({ ...(JSON.parse(line ?? '{}') as Record<string, unknown>), time: 0, latencyMs: 0 });

describe('createRequestLineLogger', () => {
  it('writes to the main logger’s output, at its level', () => {
    const { lines, stream } = sink();
    const main = createLogger('warn', stream);
    const requests = createRequestLineLogger(main);
    requests.info('not written');
    requests.warn('written');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 40, service: 'twake-app-auth', msg: 'written' });
  });

  it('carries the fields the main logger adds (a worker’s number and pid)', () => {
    const { lines, stream } = sink();
    createRequestLineLogger(createLogger('info', stream).child({ worker: 2, pid: 1234 })).info('request');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'twake-app-auth', worker: 2, pid: 1234, msg: 'request' });
  });

  it('writes a request line exactly as the redacting logger would', () => {
    const plain = sink();
    const redacting = sink();
    for (const { stream, make } of [
      { stream: plain.stream, make: (main: ReturnType<typeof createLogger>) => createRequestLineLogger(main) },
      { stream: redacting.stream, make: (main: ReturnType<typeof createLogger>) => main },
    ]) {
      const { req, res } = finishedRequest();
      logRequest(make(createLogger('info', stream)), req, res);
      (res as unknown as EventEmitter).emit('finish');
    }
    expect(withoutTime(plain.lines[0])).toEqual(withoutTime(redacting.lines[0]));
    expect(withoutTime(plain.lines[0])).toMatchObject({ path: '/api/v1/auth/test', clientAddress: '10.0.0.1', status: 403, decidedStatus: 429, code: 'not_installed', publicId: 'pub' });
  });
});
