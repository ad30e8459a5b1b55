// The options of application tokens (Twake's Bearer JWTs), checked once and given their defaults.
import { MIN_SECRET_BYTES, type SigningKeyRing } from '../assertion/signing-keys';

/** Lifetime of an access token unless configured: Twake's `auth.jwt.expiration` default (one hour). */
export const DEFAULT_ACCESS_TTL_SECONDS = 3600;
/** Lifetime of a refresh token unless configured: Twake's `auth.jwt.refresh_expiration` default (30 days). */
export const DEFAULT_REFRESH_TTL_SECONDS = 2_592_000;

/**
 * How application tokens are signed and verified. Give exactly one of `secret` and `keys`.
 *
 * @public
 */
export interface TokenOptions {
  /**
   * HS256 shared secret, as Twake's `auth.jwt.secret`: a Twake Node backend configured with the same
   * secret and this library accept each other's tokens. At least 32 bytes.
   */
  secret?: string;
  /** Sign with our asymmetric keys (the forward-auth assertion keys) and verify against their published set. */
  keys?: SigningKeyRing;
  /** Lifetime of an access token in seconds. Defaults to 3600 (Twake's default). */
  accessTtlSeconds?: number;
  /** Lifetime of a refresh token in seconds. Defaults to 2592000, 30 days (Twake's default). */
  refreshTtlSeconds?: number;
  /**
   * Accept tokens that name no key (issued by Twake's own backend, whose tokens carry no key id): they
   * then live while the application has any live key. Defaults to true with `secret`, false with `keys`.
   */
  acceptUnboundTokens?: boolean;
}

/** {@link TokenOptions} checked, with every default applied. */
export interface TokenSettings {
  readonly secret: Uint8Array | null;
  readonly keys: SigningKeyRing | null;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly acceptUnboundTokens: boolean;
}

const KNOWN: { [K in keyof TokenOptions]-?: true } = { secret: true, keys: true, accessTtlSeconds: true, refreshTtlSeconds: true, acceptUnboundTokens: true };

function fail(message: string): never {
  throw new TypeError(`twake-app-auth: ${message}`);
}

function lifetime(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`option "tokens.${name}" must be a whole number of seconds, 1 or more.`);
  return value;
}

/** Checks token options; throws a TypeError that says how to fix them. */
export function parseTokenOptions(options: TokenOptions): TokenSettings {
  if (options === null || typeof options !== 'object') fail('option "tokens" must be an object such as { secret: process.env.JWT_SECRET }.');
  for (const key of Object.keys(options)) if (!(key in KNOWN)) fail(`unknown tokens option "${key}". Known tokens options: ${Object.keys(KNOWN).join(', ')}.`);
  const { secret, keys } = options;
  if ((secret === undefined) === (keys === undefined)) fail('option "tokens" needs exactly one of "secret" (HS256, shared with Twake) and "keys" (a signing key ring).');
  if (secret !== undefined && (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_SECRET_BYTES)) {
    fail(`option "tokens.secret" must be a string of at least ${MIN_SECRET_BYTES} bytes (openssl rand -base64 48).`);
  }
  if (keys !== undefined && (keys === null || typeof keys.current !== 'function' || typeof keys.published !== 'function')) fail('option "tokens.keys" must be a signing key ring (openSigningKeys).');
  const accessTtlSeconds = lifetime('accessTtlSeconds', options.accessTtlSeconds, DEFAULT_ACCESS_TTL_SECONDS);
  const refreshTtlSeconds = lifetime('refreshTtlSeconds', options.refreshTtlSeconds, DEFAULT_REFRESH_TTL_SECONDS);
  if (options.acceptUnboundTokens !== undefined && typeof options.acceptUnboundTokens !== 'boolean') fail('option "tokens.acceptUnboundTokens" must be a boolean.');
  return Object.freeze({
    secret: secret === undefined ? null : new TextEncoder().encode(secret),
    keys: keys ?? null,
    accessTtlSeconds,
    refreshTtlSeconds,
    acceptUnboundTokens: options.acceptUnboundTokens ?? secret !== undefined,
  });
}
