// Strict RFC 6750 §2.1 parser for `Authorization: Bearer <token>`.
import { MAX_TOKEN_LENGTH } from './claims';

/** Not a Bearer header (another scheme, or none), a Bearer header that cannot hold a token, or the token. */
export type ParsedBearer = { readonly status: 'other' } | { readonly status: 'invalid' } | { readonly status: 'ok'; readonly token: string };

const OTHER = Object.freeze({ status: 'other' as const });
const INVALID = Object.freeze({ status: 'invalid' as const });

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// (the scheme is case-insensitive, RFC 9110 §11.1). A JWT only uses base64url and dots.
const SCHEME = 'bearer';
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Whether `header` uses the Bearer scheme, and its token. */
export function parseBearer(header: string | readonly string[] | undefined): ParsedBearer {
  if (typeof header !== 'string' || header.length < SCHEME.length) return OTHER;
  // Compared by hand, letter by letter: every Basic request passes here first, and leaves at its second letter.
  for (let index = 0; index < SCHEME.length; index += 1) {
    if ((header.charCodeAt(index) | 0x20) !== SCHEME.charCodeAt(index)) return OTHER;
  }
  let start = SCHEME.length;
  while (header.charCodeAt(start) === 0x20) start += 1;
  if (start === SCHEME.length) return INVALID;
  const token = header.slice(start);
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return INVALID;
  return { status: 'ok', token };
}
