import { describe, expect, it } from '@jest/globals';
import { StoreUnavailableError, InvalidCredentialsError, createCachedStore } from '../../src';
import type { ApplicationRecord, ApplicationStore, StoreAnswer } from '../../src';
import { decide as decideNowOrLater, type RequestFacts } from '../../src/core/decide';
import { parseOptions } from '../../src/core/options';
import { basic } from '../helpers/create-server';
import { memoryApp } from '../helpers/memory-app';

// decide answers at once from memory; these tests read every answer as a promise.
const decide: (...args: Parameters<typeof decideNowOrLater>) => Promise<unknown> = (...args) => Promise.resolve(decideNowOrLater(...args));

const KEY = 'twk_decide-unit-test-key';
const memory = memoryApp('app', KEY);

function facts(privateKey: string, publicId = 'app'): RequestFacts {
  return { secure: true, authorization: basic(publicId, privateKey), clientIp: '127.0.0.1', company: { groupId: { status: 'ok', companyId: 'c1' } } };
}

function configWith(findApplication: (publicId: string, companyId: string | null) => StoreAnswer) {
  const store: ApplicationStore = { findApplication };
  return parseOptions({ store, mode: 'production', throttle: false });
}

async function recordOf(publicId: string): Promise<ApplicationRecord | null> {
  return memory.findApplication(publicId, 'c1');
}

describe('decide with the forms a store answer may take', () => {
  const forms: Array<[string, (record: ApplicationRecord | null) => StoreAnswer]> = [
    ['a record or null given synchronously', (record) => record],
    ['a native promise', (record) => Promise.resolve(record)],
    ['another library’s thenable', (record) => ({ then: (resolve: (value: ApplicationRecord | null) => void) => resolve(record) }) as unknown as Promise<ApplicationRecord | null>],
  ];

  it.each(forms)('should let a valid key through and refuse a wrong key or unknown id: %s', async (_name, wrap) => {
    const known = await recordOf('app');
    const config = configWith((publicId) => wrap(publicId === 'app' ? known : null));
    await expect(decide(config, facts(KEY))).resolves.toMatchObject({ publicId: 'app', companyId: 'c1' });
    await expect(decide(config, facts(`${KEY}x`))).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(decide(config, facts(KEY, 'other'))).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('should answer 503 when the store throws synchronously or rejects', async () => {
    const thrown = configWith(() => {
      throw new Error('connection refused');
    });
    const rejected = configWith(() => Promise.reject(new Error('connection refused')));
    await expect(decide(thrown, facts(KEY))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(decide(rejected, facts(KEY))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('should tell onAuthenticated about each request let through, and only those, whatever it throws', async () => {
    const known = await recordOf('app');
    const seen: string[] = [];
    const store: ApplicationStore = { findApplication: (publicId) => (publicId === 'app' ? known : null) };
    const listening = parseOptions({ store, mode: 'production', throttle: false, onAuthenticated: (identity) => void seen.push(identity.keyId) });
    await decide(listening, facts(KEY));
    await decide(listening, facts(`${KEY}x`)).catch(() => undefined);
    expect(seen).toEqual([known?.keys[0]?.id]);
    const throwing = parseOptions({
      store,
      mode: 'production',
      throttle: false,
      onAuthenticated: () => {
        throw new Error('listener broke');
      },
    });
    await expect(decide(throwing, facts(KEY))).resolves.toMatchObject({ publicId: 'app' });
  });
});

describe('decide and the client address', () => {
  it('should not read the client address to let a request through from memory, unless the application restricts it', async () => {
    const known = await recordOf('app');
    let reads = 0;
    const counted = (privateKey: string): RequestFacts => ({
      ...facts(privateKey),
      get clientIp() {
        reads += 1;
        return '127.0.0.1';
      },
    });
    const cachedConfig = (record: ApplicationRecord | null) =>
      parseOptions({ store: createCachedStore({ findApplication: (publicId) => (publicId === 'app' ? record : null) }), mode: 'production', throttle: false });
    const open = cachedConfig(known);
    await expect(decide(open, counted(KEY))).resolves.toMatchObject({ publicId: 'app' });
    reads = 0;
    await expect(decide(open, counted(KEY))).resolves.toMatchObject({ publicId: 'app' });
    expect(reads).toBe(0);
    const restricted = cachedConfig(known === null ? null : { ...known, allowedIps: ['10.0.0.0/8'] });
    await expect(decide(restricted, counted(KEY))).rejects.toMatchObject({ code: 'ip_not_allowed' });
    reads = 0;
    await expect(decide(restricted, counted(KEY))).rejects.toMatchObject({ code: 'ip_not_allowed' });
    expect(reads).toBe(1);
  });
});
