// The claims of an application token, shaped as Twake's generateJWT shapes them, plus the key it came from.

/** `type` of a token: used on API calls, or only to get a new pair. */
export type TokenType = 'access' | 'refresh';

/** Our claim naming the key a token was issued from: revoking that key refuses the token. */
export const KEY_CLAIM = 'key_id';

/**
 * Twake backdates `iat` and `nbf` by ten minutes (core/platform/services/auth/service.ts), so that a
 * backend whose clock runs behind accepts a fresh token; we issue the same.
 */
export const BACKDATE_SECONDS = 600;

/** Longest token we read, in characters: ours are under 1 KB; anything far larger is not one. */
export const MAX_TOKEN_LENGTH = 4096;

/** A token as the validator trusts it once its signature and times are verified. */
export interface TokenClaims {
  readonly type: TokenType;
  /** The application's public id (Twake's `sub` and `application_id`). */
  readonly publicId: string;
  /** The key the token was issued from; null for a token issued by Twake's own backend. */
  readonly keyId: string | null;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

/** One token of a pair, in Twake's `access_token` shape (utils/types.ts `AccessToken`). @public */
export interface AccessToken {
  /** When it was issued, seconds since the epoch. */
  time: number;
  /** When the access token expires, seconds since the epoch. */
  expiration: number;
  /** When the refresh token expires, seconds since the epoch. */
  refresh_expiration: number;
  /** The access token (a JWT): send it as `Authorization: Bearer …`. */
  value: string;
  /** The refresh token (a JWT): send it as `Authorization: Bearer …` to `POST /api/console/v1/token`. */
  refresh: string;
  type: 'Bearer';
}

/** The payload of one token, field for field as Twake's generateJWT writes it, with our key claim. */
export function payloadOf(type: TokenType, publicId: string, keyId: string, now: number, expiresAt: number): Record<string, unknown> {
  return {
    exp: expiresAt,
    type,
    iat: now - BACKDATE_SECONDS,
    nbf: now - BACKDATE_SECONDS,
    sub: publicId,
    // Twake passes email null for an application.
    email: null,
    track: false,
    provider_id: '',
    application_id: publicId,
    [KEY_CLAIM]: keyId,
  };
}
