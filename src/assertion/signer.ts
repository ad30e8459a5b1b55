// Signs identity assertions, reusing a recent one for the same identity and request: a signature costs
// tens of microseconds, a pass only a few.
import { LRUCache } from 'lru-cache';
import type { TwakeIdentity } from '../core/types';
import { ASSERTION_TYPE, MAX_ASSERTION_TTL_SECONDS, claimsOf, type BoundRequest } from './claims';
import { jose } from './jose';
import type { CurrentKey, SigningKeyRing } from './signing-keys';

/** Options of {@link createAssertionSigner}. @public */
export interface AssertionSignerOptions {
  keys: SigningKeyRing;
  /** `iss` of every assertion. */
  issuer: string;
  /** `aud` of every assertion: what the backend expects. */
  audience: string;
  /** Lifetime of an assertion in seconds, 1 to 60. Defaults to 30. */
  ttlSeconds?: number;
  /** Most assertions held for reuse. Defaults to 10000. */
  maxReused?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Signs the assertion of a pass. @public */
export interface AssertionSigner {
  /**
   * A compact JWS for `identity`, valid for `request` only: the token itself when a recent one is reused
   * (so the pass is answered without waiting a turn), else a promise of it. Rejects (or throws) when no
   * key can sign.
   */
  sign(identity: TwakeIdentity, request: BoundRequest): string | Promise<string>;
}

// Assertions for longer paths are signed each time: held, they would make the cache's memory depend on
// what callers choose (10,000 entries of a few hundred bytes stay under about 20 MB).
const MAX_REUSED_PATH_LENGTH = 512;

interface Held {
  readonly token: Promise<string>;
  readonly key: CurrentKey;
  /** The token once signed. */
  signed?: string;
}

// Every field that goes into the claims, so that a change of grants or name is a new assertion.
function reuseKeyOf(identity: TwakeIdentity, request: BoundRequest): string {
  return [identity.applicationId, identity.publicId, identity.keyId, identity.companyId, identity.name, identity.capabilities.join(','), identity.privileges.join(','), request.method, request.path].join('\u0000');
}

export function createAssertionSigner(options: AssertionSignerOptions): AssertionSigner {
  const ttlSeconds = options.ttlSeconds ?? 30;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ASSERTION_TTL_SECONDS) {
    throw new TypeError(`twake-app-auth: an assertion lives 1 to ${MAX_ASSERTION_TTL_SECONDS} seconds (ttlSeconds).`);
  }
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`twake-app-auth: the assertion signer needs a non-empty ${name}.`);
  }
  const now = options.now ?? Date.now;
  // An assertion is reused for a third of its life at most: the backend always receives one with at least
  // two thirds of its lifetime left.
  const held = new LRUCache<string, Held>({ max: options.maxReused ?? 10_000, ttl: Math.max(1, Math.floor(ttlSeconds / 3)) * 1000, ttlAutopurge: false, perf: { now } });

  const signNew = (identity: TwakeIdentity, request: BoundRequest, key: CurrentKey): Promise<string> => {
    const issuedAt = Math.floor(now() / 1000);
    const header = key.kid === undefined ? { alg: key.alg, typ: ASSERTION_TYPE } : { alg: key.alg, kid: key.kid, typ: ASSERTION_TYPE };
    return new (jose().SignJWT)({ ...claimsOf(identity, request) })
      .setProtectedHeader(header)
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(key.key);
  };

  return {
    sign(identity, request) {
      const key = options.keys.current();
      if (key === null) return Promise.reject(new Error('twake-app-auth: no signing key is usable'));
      if (request.path.length > MAX_REUSED_PATH_LENGTH) return signNew(identity, request, key);
      const reuseKey = reuseKeyOf(identity, request);
      const found = held.get(reuseKey);
      // A rotation makes the next pass sign with the new key.
      if (found !== undefined && found.key === key) return found.signed ?? found.token;
      const token = signNew(identity, request, key);
      const entry: Held = { token, key };
      held.set(reuseKey, entry);
      token.then(
        (signed) => {
          entry.signed = signed;
        },
        // A failed signature is not kept for reuse.
        () => {
          if (held.peek(reuseKey) === entry) held.delete(reuseKey);
        },
      );
      return token;
    },
  };
}
