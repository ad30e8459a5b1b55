import { describe, expect, it } from '@jest/globals';
import { SignJWT, UnsecuredJWT } from 'jose';
import { parseOptions } from '../../src/core/options';
import { MemoryStore } from '../../src';
import { issueTokens } from '../../src/tokens/issue-tokens';
import { parseTokenOptions, type TokenOptions } from '../../src/tokens/token-settings';
import { createTokenVerifier, USER_TOKEN } from '../../src/tokens/verify-token';
import { ASSERTION_TYPE } from '../../src/assertion/claims';

const SECRET = 'x'.repeat(32);

describe('token options', () => {
  it('should need exactly one of secret and keys, and a secret of 32 bytes or more', () => {
    const invalid: unknown[] = [{}, { secret: SECRET, keys: { current: () => null, published: () => ({ keys: [] }), close: () => undefined } }, { secret: 'short' }, { secret: SECRET, accessTtlSeconds: 0 }, { secret: SECRET, refreshTtlSeconds: 1.5 }, { secret: SECRET, acceptUnboundTokens: 'yes' }, { secret: SECRET, lifetime: 1 }, { keys: {} }, null];
    for (const options of invalid) expect(() => parseTokenOptions(options as TokenOptions)).toThrow(/^twake-app-auth: /);
  });

  it("should default to Twake's lifetimes, and accept unbound tokens with a secret only", () => {
    expect(parseTokenOptions({ secret: SECRET })).toMatchObject({ accessTtlSeconds: 3600, refreshTtlSeconds: 2_592_000, acceptUnboundTokens: true });
  });

  it('should be checked by the middleware options, which it does not change', () => {
    const options = { store: new MemoryStore(), tokens: { secret: SECRET } };
    const copy = JSON.parse(JSON.stringify({ tokens: options.tokens })) as unknown;
    expect(parseOptions(options).tokens?.settings.accessTtlSeconds).toBe(3600);
    expect({ tokens: options.tokens }).toEqual(copy);
    expect(() => parseOptions({ store: new MemoryStore(), tokens: { secret: 'short' } })).toThrow(/tokens\.secret/);
  });
});

describe('token verification', () => {
  const settings = parseTokenOptions({ secret: SECRET });
  const now = 1_800_000_000_000;
  const verifier = createTokenVerifier(settings, () => now);
  const secret = new TextEncoder().encode(SECRET);
  const claims = { type: 'access', sub: 'app', application_id: 'app', key_id: 'k1' };
  const exp = now / 1000 + 600;

  it('should verify the pair it issues, each only as its own type', async () => {
    const pair = await issueTokens(settings, 'app', 'k1', now);
    expect(await verifier.verify(pair.value, 'access')).toEqual({ type: 'access', publicId: 'app', keyId: 'k1', expiresAt: pair.expiration });
    expect(await verifier.verify(pair.refresh, 'refresh')).toMatchObject({ type: 'refresh', keyId: 'k1' });
    expect(await verifier.verify(pair.refresh, 'access')).toBeNull();
    expect(await verifier.verify(pair.value, 'refresh')).toBeNull();
  });

  it('should refuse alg none, other algorithms, other secrets, assertions, and foreign or malformed claims', async () => {
    const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = secret) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).setExpirationTime(exp).sign(key);
    const refused = [
      new UnsecuredJWT(claims).setExpirationTime(exp).encode(),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setExpirationTime(exp).sign(new TextEncoder().encode(SECRET.repeat(2))),
      await sign(claims, {}, new TextEncoder().encode('y'.repeat(32))),
      await sign(claims, { typ: ASSERTION_TYPE }),
      await sign({ ...claims, application_id: 'other' }),
      await sign({ ...claims, key_id: '' }),
      await sign({ ...claims, key_id: 7 }),
      await sign({ ...claims, sub: '' }),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now / 1000 - 60).sign(secret),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setNotBefore(now / 1000 + 600).setExpirationTime(exp + 600).sign(secret),
      'a.b.c',
      '',
    ];
    for (const token of refused) expect({ token, claims: await verifier.verify(token, 'access') }).toEqual({ token, claims: null });
  });

  it("should tell a Twake user's token (no application_id) from an invalid one", async () => {
    const user = await new SignJWT({ type: 'access', sub: 'user-1', email: 'a@b.c', track: true, provider_id: '' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(secret);
    expect(await verifier.verify(user, 'access')).toBe(USER_TOKEN);
  });

  it('should accept a token naming no key only when told to', async () => {
    const token = await new SignJWT({ type: 'access', sub: 'app', application_id: 'app', email: null, track: false, provider_id: '' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(exp).sign(secret);
    expect(await verifier.verify(token, 'access')).toMatchObject({ keyId: null });
    const strict = createTokenVerifier(parseTokenOptions({ secret: SECRET, acceptUnboundTokens: false }), () => now);
    expect(await strict.verify(token, 'access')).toBeNull();
  });
});
