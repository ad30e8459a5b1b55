// Verifies a Bearer token: signature (pinned algorithms), times, type, and Twake's application claims.
import type { createLocalJWKSet, JSONWebKeySet, JWTPayload } from 'jose';
import { ASSERTION_TYPE } from '../assertion/claims';
import { jose } from '../assertion/jose';
import { isValidCompanyId } from '../core/group-id';
import { KEY_CLAIM, MAX_TOKEN_LENGTH, type TokenClaims, type TokenType } from './claims';
import type { TokenSettings } from './token-settings';

// Algorithms are pinned to the configured kind of key: a token signed HS256 with a published public key
// as its secret (HS/RS confusion) or with `alg: none` never reaches a verification.
const ASYMMETRIC = ['EdDSA', 'ES256'];
const SYMMETRIC = ['HS256'];
// Clocks of Twake and of this service may differ by this much.
const CLOCK_TOLERANCE_SECONDS = 30;

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** A token whose signature and times verify but which no application holds (a Twake user's: no `application_id`). */
export const USER_TOKEN = 'user';

/** Verifies tokens against one configuration; the published key set is rebuilt only when it changes. */
export interface TokenVerifier {
  /**
   * The trusted claims of `token` when it is a valid application token of `type`; {@link USER_TOKEN} for a
   * valid token without `application_id`; otherwise null. Never throws.
   */
  verify(token: string, type: TokenType): Promise<TokenClaims | typeof USER_TOKEN | null>;
}

const isId = (value: unknown): value is string => isValidCompanyId(value);

/** The claims we rely on, or null when the payload is not an application's token of `type`. */
function claimsOf(payload: JWTPayload, type: TokenType, acceptUnbound: boolean): TokenClaims | typeof USER_TOKEN | null {
  const { sub, exp } = payload;
  const applicationId = payload.application_id;
  const keyId = payload[KEY_CLAIM];
  if ((applicationId === undefined || applicationId === null) && isId(sub)) return USER_TOKEN;
  // A user's token (no application_id) or one whose subject is another application is not an application's.
  if (payload.type !== type || !isId(sub) || applicationId !== sub || typeof exp !== 'number') return null;
  if (keyId === undefined || keyId === null) return acceptUnbound ? { type, publicId: sub, keyId: null, expiresAt: exp } : null;
  return typeof keyId === 'string' && keyId !== '' ? { type, publicId: sub, keyId, expiresAt: exp } : null;
}

export function createTokenVerifier(settings: TokenSettings, now: () => number): TokenVerifier {
  let published = '';
  let keySet: KeySet | null = null;
  const asymmetricKeys = (): KeySet => {
    const current: JSONWebKeySet = (settings.keys as NonNullable<TokenSettings['keys']>).published();
    const text = JSON.stringify(current);
    if (keySet === null || text !== published) {
      keySet = jose().createLocalJWKSet(current);
      published = text;
    }
    return keySet;
  };
  return {
    async verify(token, type) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
      const options = {
        algorithms: settings.secret !== null ? SYMMETRIC : ASYMMETRIC,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'sub'],
      };
      try {
        const { payload, protectedHeader } =
          settings.secret !== null ? await jose().jwtVerify(token, settings.secret, options) : await jose().jwtVerify(token, asymmetricKeys(), options);
        // An identity assertion is signed with the same keys under `keys`: never a token.
        if (protectedHeader.typ === ASSERTION_TYPE) return null;
        return claimsOf(payload, type, settings.acceptUnboundTokens);
      } catch {
        return null;
      }
    },
  };
}
