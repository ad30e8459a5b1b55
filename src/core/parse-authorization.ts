// Strict RFC 7617 parser for the `Authorization: Basic …` request header.
import { hasControlCharacters } from './control-characters';

/** Longest `public_id` we accept, in characters. */
export const MAX_PUBLIC_ID_LENGTH = 128;
/** Longest private key we accept, in characters. */
export const MAX_PRIVATE_KEY_LENGTH = 256;
// Base64 of "id:key" at the maximum lengths, plus the scheme and spaces. Lengths count UTF-16 code units
// (JavaScript's string length), and one code unit takes at most 3 bytes in UTF-8 (a pair of them, 4).
const MAX_CREDENTIAL_BYTES = (MAX_PUBLIC_ID_LENGTH + 1 + MAX_PRIVATE_KEY_LENGTH) * 3;
const MAX_HEADER_LENGTH = 16 + 4 * Math.ceil(MAX_CREDENTIAL_BYTES / 3) + 4;

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
// case-insensitive. RFC 7617 §2 uses token68 for Basic. Read by hand rather than with regular
// expressions: this runs on every request, and the hand-written scan allocates nothing.
const SCHEME = 'basic';
const SPACE = 0x20;
const EQUALS = 0x3d;

// The value of each character of the standard base64 alphabet (RFC 4648 §4), -1 for any other.
const BASE64_VALUES = new Int8Array(128).fill(-1);
for (const [index, character] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) {
  BASE64_VALUES[character.charCodeAt(0)] = index;
}

// Fatal: invalid UTF-8 is refused instead of being replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The token of a `Basic` header: what follows the word "Basic" (any case) and one or more spaces; null
 * otherwise. Read from slices, which always refer to flat text: the scan then costs the same whatever
 * representation the engine chose for the header (a concatenation, say), so timing cannot tell two
 * headers apart by how they were built.
 */
function tokenOf(header: string): string | null {
  if (header.length <= SCHEME.length + 1) return null;
  const scheme = header.slice(0, SCHEME.length);
  for (let index = 0; index < SCHEME.length; index += 1) {
    // ASCII letters only: setting bit 0x20 lower-cases them (and turns no other character into one).
    if ((scheme.charCodeAt(index) | 0x20) !== SCHEME.charCodeAt(index)) return null;
  }
  const rest = header.slice(SCHEME.length);
  let spaces = 0;
  while (rest.charCodeAt(spaces) === SPACE) spaces += 1;
  return spaces === 0 || spaces === rest.length ? null : rest.slice(spaces);
}

/**
 * Whether `token` is canonical base64 (RFC 4648 §4 and §3.5): the standard alphabet, padded to a multiple
 * of four, at most two `=` at the end, and no bits set in the padding.
 */
function isCanonicalBase64(token: string): boolean {
  const length = token.length;
  if (length % 4 !== 0) return false;
  let padding = 0;
  if (token.charCodeAt(length - 1) === EQUALS) padding = token.charCodeAt(length - 2) === EQUALS ? 2 : 1;
  const end = length - padding;
  let last = 0;
  for (let index = 0; index < end; index += 1) {
    const code = token.charCodeAt(index);
    last = code < 128 ? (BASE64_VALUES[code] as number) : -1;
    if (last < 0) return false;
  }
  // The bits of the last character that fall into the padding must be zero: otherwise several
  // spellings would decode to the same bytes.
  if (padding === 2) return (last & 0x0f) === 0;
  if (padding === 1) return (last & 0x03) === 0;
  return true;
}

// The decoded credentials land here: the longest canonical token decodes to at most this many bytes.
// One buffer, reused by every call (the parse is synchronous), instead of a new Buffer per request.
const decoded = Buffer.alloc((MAX_HEADER_LENGTH * 3) / 4 + 3);

const COLON = 0x3a;

/**
 * The decoded bytes from `start` to `end` as text, or null when they are not valid UTF-8 or hold a
 * control character (C0, DEL or C1: RFC 7617 §2). ASCII, the usual case, is checked byte by byte
 * without a decoder.
 */
function credentialsText(bytes: Buffer, start: number, end: number): string | null {
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index] as number;
    if (byte >= 0x80) return utf8Text(bytes.subarray(start, end));
    if (byte < 0x20 || byte === 0x7f) return null;
  }
  return bytes.toString('latin1', start, end);
}

function utf8Text(bytes: Buffer): string | null {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  return hasControlCharacters(text) ? null : text;
}

/**
 * Parses an `Authorization` header value as RFC 7617 Basic credentials, refusing anything ambiguous.
 *
 * @param header - the raw header value, or undefined when the request has none.
 * @returns `missing` without a header, `invalid` for anything unusable, otherwise the credentials.
 */
export function parseAuthorization(header: string | readonly string[] | undefined): ParsedAuthorization {
  if (header === undefined) return MISSING;
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return INVALID;

  const token = tokenOf(header);
  if (token === null || !isCanonicalBase64(token)) return INVALID;
  // Canonical, so the decoding is exact; the token's length bounds it by the buffer's size. The bytes
  // (a private key) are wiped at once rather than left in the buffer until the next request.
  const length = decoded.write(token, 0, 'base64');
  // The user-id cannot contain a colon; the password can (RFC 7617 §2): split at the first one. A colon
  // byte is never part of a longer UTF-8 sequence, so splitting the bytes splits the text. Each part is
  // decoded on its own rather than sliced from the whole: a slice keeps the whole text, private key
  // included, for as long as the public id lives (a cache key, for the cache's lifetime), and the
  // engine compares a slice with another string more slowly than two plain strings, which made a
  // public id first seen in a Basic header slower to look up from the token login than one first seen
  // there (see docs/security.md, timing).
  let colon = 0;
  while (colon < length && decoded[colon] !== COLON) colon += 1;
  const publicId = colon === 0 || colon >= length - 1 ? null : credentialsText(decoded, 0, colon);
  const privateKey = publicId === null ? null : credentialsText(decoded, colon + 1, length);
  decoded.fill(0, 0, length);
  if (publicId === null || privateKey === null) return INVALID;
  if (publicId.length > MAX_PUBLIC_ID_LENGTH || privateKey.length > MAX_PRIVATE_KEY_LENGTH) return INVALID;
  return { status: 'ok', credentials: { publicId, privateKey } };
}
