// Issues an application's access and refresh tokens, signed as Twake's backend signs them (or with our keys).
import { jose } from '../assertion/jose';
import { payloadOf, type AccessToken, type TokenType } from './claims';
import type { TokenSettings } from './token-settings';

async function signOne(settings: TokenSettings, payload: Record<string, unknown>): Promise<string> {
  const token = new (jose().SignJWT)(payload);
  if (settings.secret !== null) return token.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(settings.secret);
  const key = settings.keys?.current() ?? null;
  if (key === null || key.alg === 'HS256' || key.kid === undefined) throw new Error('twake-app-auth: no asymmetric signing key is usable for tokens');
  return token.setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.key);
}

/**
 * A new pair for the application `publicId`, bound to the key `keyId` it authenticated with, in Twake's
 * `access_token` shape. Rejects when no key can sign (the caller answers 500, never a token).
 */
export async function issueTokens(settings: TokenSettings, publicId: string, keyId: string, nowMs: number): Promise<AccessToken> {
  const now = Math.floor(nowMs / 1000);
  const expiration = now + settings.accessTtlSeconds;
  const refreshExpiration = now + settings.refreshTtlSeconds;
  const sign = (type: TokenType, expiresAt: number) => signOne(settings, payloadOf(type, publicId, keyId, now, expiresAt));
  const [value, refresh] = await Promise.all([sign('access', expiration), sign('refresh', refreshExpiration)]);
  return { time: now, expiration, refresh_expiration: refreshExpiration, value, refresh, type: 'Bearer' };
}
