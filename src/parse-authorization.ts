// Strict RFC 7617 parser for the `Authorization: Basic …` request header.
import { hasControlCharacters } from './control-characters';

/** Longest `public_id` we accept, in characters. */
export const MAX_PUBLIC_ID_LENGTH = 128;
/** Longest private key we accept, in characters. */
export const MAX_PRIVATE_KEY_LENGTH = 256;
// Base64 of "id:key" at the maximum lengths, 4 bytes per UTF-8 character, plus the scheme and spaces.
const MAX_HEADER_LENGTH = 16 + Math.ceil(((MAX_PUBLIC_ID_LENGTH + 1 + MAX_PRIVATE_KEY_LENGTH) * 4) / 3) + 4;

/** Credentials taken from a well-formed header. */
export interface BasicCredentials {
  publicId: string;
  privateKey: string;
}

/** What the header says: nothing, something unusable, or credentials. */
export type ParsedAuthorization =
  | { readonly status: 'missing' }
  | { readonly status: 'invalid' }
  | { readonly status: 'ok'; readonly credentials: BasicCredentials };

const MISSING = Object.freeze({ status: 'missing' as const });
const INVALID = Object.freeze({ status: 'invalid' as const });

// RFC 9110 §11.4: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]; the scheme is
// case-insensitive. RFC 7617 §2 uses token68 for Basic. Exactly the word "Basic", then one or more spaces.
// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BASIC_CREDENTIALS = /^basic +([A-Za-z0-9\-._~+/]+=*)$/i;
// Canonical base64 (RFC 4648 §4): standard alphabet, padded to a multiple of four.
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Fatal: invalid UTF-8 is refused instead of being replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses an `Authorization` header value as RFC 7617 Basic credentials, refusing anything ambiguous.
 *
 * @param header - the raw header value, or undefined when the request has none.
 * @returns `missing` without a header, `invalid` for anything unusable, otherwise the credentials.
 */
export function parseAuthorization(header: string | readonly string[] | undefined): ParsedAuthorization {
  if (header === undefined) return MISSING;
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return INVALID;

  const match = BASIC_CREDENTIALS.exec(header);
  const token = match?.[1];
  if (token === undefined || !CANONICAL_BASE64.test(token)) return INVALID;

  const bytes = Buffer.from(token, 'base64');
  // Belt and braces: the decoded bytes must encode back to exactly the token.
  if (bytes.toString('base64') !== token) return INVALID;

  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return INVALID;
  }

  // The user-id cannot contain a colon; the password can (RFC 7617 §2): split at the first one.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return INVALID;
  const publicId = decoded.slice(0, colon);
  const privateKey = decoded.slice(colon + 1);
  if (
    privateKey.length === 0 ||
    publicId.length > MAX_PUBLIC_ID_LENGTH ||
    privateKey.length > MAX_PRIVATE_KEY_LENGTH ||
    hasControlCharacters(decoded)
  ) {
    return INVALID;
  }
  return { status: 'ok', credentials: { publicId, privateKey } };
}
