import { describe, expect, it } from '@jest/globals';
import { failureOf, isUnreachable, reportFailure } from '../../server/src/cli/failure';

const withCode = (message: string, code: string, cause?: unknown) => Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });

describe('CLI failures', () => {
  it('classifies an unreachable database by error code, through causes, never by wording', () => {
    expect(isUnreachable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isUnreachable(new Error('query failed', { cause: withCode('x', '08006') }))).toBe(true);
    expect(isUnreachable(withCode('password authentication failed for user "x"', '28P01'))).toBe(true);
    expect(isUnreachable(withCode('terminating connection due to administrator command', '57P01'))).toBe(false);
    expect(isUnreachable(withCode('duplicate key value violates unique constraint "reconnect"', '23505'))).toBe(false);
    expect(isUnreachable(new Error('cannot connect the dots'))).toBe(false);
  });

  it('keeps the causes: each line with its code, shown with --verbose and in JSON', () => {
    const failure = failureOf(new Error('could not apply migration', { cause: withCode('relation "x" already exists', '42P07', new Error('inner')) }));
    expect(failure).toEqual({ code: 'failed', message: 'could not apply migration', causes: ['relation "x" already exists [42P07]', 'inner'] });
    const written: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => void written.push(text), env: {} };
    reportFailure(io, failure, { json: false, verbose: false });
    reportFailure(io, failure, { json: false, verbose: true });
    reportFailure(io, failure, { json: true, verbose: false });
    expect(written[0]).toBe('twake-app-auth: could not apply migration\n');
    expect(written[1]).toBe('twake-app-auth: could not apply migration\n  caused by: relation "x" already exists [42P07]\n  caused by: inner\n');
    expect(JSON.parse(written[2] as string)).toEqual({ error: failure });
  });

  it('redacts connection strings in every line', () => {
    const failure = failureOf(new Error('bad postgresql://user:secret@db/x', { cause: new Error('again postgres://u:hunter2@h/y') }));
    expect(JSON.stringify(failure)).not.toMatch(/secret|hunter2/);
  });
});
