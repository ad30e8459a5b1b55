// Verifies an identity assertion the way a backend must: signature, issuer, audience, lifetime, type, and
// the request it was issued for.
import type { JWK, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import { IdentityKeysUnavailableError, UntrustedIdentityError } from '../core/errors';
import type { TwakeIdentity } from '../core/types';
import { ASSERTION_TYPE, MAX_ASSERTION_TTL_SECONDS, identityOfClaims, type BoundRequest } from './claims';
import { jose } from './jose';
import { secretBytes } from './signing-keys';

/** Where the verifier takes the keys. @public */
export type AssertionKeys =
  | { jwksUrl: string | URL; keys?: never; secret?: never }
  | { keys: { keys: JWK[] }; jwksUrl?: never; secret?: never }
  | { secret: string | Uint8Array; jwksUrl?: never; keys?: never };

/** Options of {@link createAssertionVerifier}. @public */
export type AssertionVerifierOptions = AssertionKeys & {
  /** The `iss` the validator signs with (`ASSERTION_ISSUER`). Required. */
  issuer: string;
  /** The `aud` the validator signs for (`ASSERTION_AUDIENCE`). Required. */
  audience: string;
  /** Clock difference tolerated between the validator and the backend, in seconds. Defaults to 5. */
  clockToleranceSeconds?: number;
  /** How long a fetched key set is used before it is fetched again, in seconds. Defaults to 300. */
  jwksCacheSeconds?: number;
  /** Longest wait for the key set, in milliseconds. Defaults to 5000. */
  jwksTimeoutMs?: number;
  /** Most verified assertions remembered until they expire (a repeated one then costs no signature check). Defaults to 10000. */
  maxRemembered?: number;
  /**
   * A `jwksUrl` over plain HTTP to another host than this one: anyone on the path between could serve
   * their own keys. Refused unless set (a private network you trust). Defaults to false.
   */
  allowHttpJwksUrl?: boolean;
};

/** Checks one assertion against the request it arrived with. */
export type AssertionVerifier = (token: string, request: BoundRequest) => Promise<TwakeIdentity>;

/** Longest assertion read, in characters: a real one is well under 2 KB. */
export const MAX_ASSERTION_LENGTH = 8192;

const ASYMMETRIC = ['EdDSA', 'ES256'];
// A key set is rejected as a whole for these: the token names a key the set does not hold (a refetch
// already happened), or one the set cannot choose between. Any other failure to get a key is the key
// set's, not the token's.
const TOKEN_KEY_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);

function checkedJwksUrl(value: string | URL, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new TypeError('twake-app-auth: jwksUrl must be an absolute URL.', { cause });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && (allowHttp || isLoopback(url.hostname)))) return url;
  throw new TypeError('twake-app-auth: jwksUrl must be https (or http to this host); set allowHttpJwksUrl for a private network you trust.');
}

class KeySetFailure extends Error {}

function keyGetter(options: AssertionVerifierOptions): { getKey: JWTVerifyGetKey | Uint8Array; algorithms: string[] } {
  const { createLocalJWKSet, createRemoteJWKSet } = jose();
  if ('secret' in options && options.secret !== undefined) {
    return { getKey: secretBytes(options.secret), algorithms: ['HS256'] };
  }
  if ('keys' in options && options.keys !== undefined) {
    if (!Array.isArray(options.keys.keys)) throw new TypeError('twake-app-auth: keys must be a JSON Web Key Set ({ keys: [...] }).');
    return { getKey: createLocalJWKSet(options.keys), algorithms: ASYMMETRIC };
  }
  if (!('jwksUrl' in options) || options.jwksUrl === undefined) throw new TypeError('twake-app-auth: trustForwardedIdentity needs jwksUrl, keys or secret (and issuer, audience).');
  const remote = createRemoteJWKSet(checkedJwksUrl(options.jwksUrl, options.allowHttpJwksUrl === true), {
    cacheMaxAge: (options.jwksCacheSeconds ?? 300) * 1000,
    timeoutDuration: options.jwksTimeoutMs ?? 5000,
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (TOKEN_KEY_ERRORS.has((error as { code?: unknown }).code as string)) throw error;
      throw new KeySetFailure('key set unavailable', { cause: error });
    }
  };
  return { getKey, algorithms: ASYMMETRIC };
}

/**
 * A verifier for assertions signed by the validator. It refuses (403 `untrusted_identity`) anything but a
 * token of type `twake-assertion+jwt`, signed with an allowed algorithm by a known key, from `issuer` for
 * `audience`, live (with `clockToleranceSeconds`), at most 60 s long, and issued for this very method and
 * path; it answers 503 `identity_keys_unavailable` when the key set cannot be fetched.
 */
export function createAssertionVerifier(options: AssertionVerifierOptions): AssertionVerifier {
  const { getKey, algorithms } = keyGetter(options);
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`twake-app-auth: trustForwardedIdentity needs the assertion's ${name}.`);
  }
  const tolerance = options.clockToleranceSeconds ?? 5;
  const verifyOptions: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms,
    typ: ASSERTION_TYPE,
    clockTolerance: tolerance,
    maxTokenAge: MAX_ASSERTION_TTL_SECONDS + tolerance,
    requiredClaims: ['iss', 'aud', 'iat', 'exp', 'sub'],
  };
  const { jwtVerify } = jose();
  // The validator reuses an assertion for the same identity and route, so a backend sees the same token
  // many times: each is verified once, then remembered until it expires. Only verified tokens are kept.
  const rememberAtMostMs = 'jwksUrl' in options && options.jwksUrl !== undefined ? (options.jwksCacheSeconds ?? 300) * 1000 : Infinity;
  const remembered = new LRUCache<string, ReturnType<typeof identityOfClaims> & object>({ max: options.maxRemembered ?? 10_000, ttlAutopurge: false });
  const bound = (read: ReturnType<typeof identityOfClaims>, request: BoundRequest): TwakeIdentity => {
    if (read === null || read.request.method !== request.method || read.request.path !== request.path) throw new UntrustedIdentityError();
    return read.identity;
  };
  return async (token, request) => {
    if (token.length > MAX_ASSERTION_LENGTH) throw new UntrustedIdentityError();
    const known = remembered.get(token);
    if (known !== undefined) return bound(known, request);
    let payload: Record<string, unknown>;
    try {
      // Both overloads of jwtVerify, one call: a secret or a key getter.
      const verified = typeof getKey === 'function' ? await jwtVerify(token, getKey, verifyOptions) : await jwtVerify(token, getKey, verifyOptions);
      payload = verified.payload;
    } catch (error) {
      if (error instanceof KeySetFailure) throw new IdentityKeysUnavailableError(error.cause);
      throw new UntrustedIdentityError();
    }
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > MAX_ASSERTION_TTL_SECONDS) throw new UntrustedIdentityError();
    const read = identityOfClaims(payload);
    // Remembered no longer than the verification itself would accept it: until `exp` plus the tolerance,
    // and with a fetched key set no longer than the set is kept, so that a retired key stops being
    // accepted as soon as it would for a token never seen.
    const liveMs = Math.min((exp + tolerance) * 1000 - Date.now(), rememberAtMostMs);
    if (read !== null && liveMs > 0) remembered.set(token, read, { ttl: liveMs });
    return bound(read, request);
  };
}
