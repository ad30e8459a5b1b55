// The request a proxy asks forward-auth about: its method and path, from the headers each proxy sends.
import type { Request } from 'express';
import { InvalidForwardedRequestError, InvalidGroupIdError } from '../core/errors';
import { hasControlCharacters } from '../core/control-characters';
import { pathOf } from '../twake/twake-v1';
import { headerCopies } from './header-copies';

/** The validator's own forward-auth path; Envoy appends the original path and query to it. */
export const FORWARD_AUTH_PATH = '/auth/verify';

// nginx (set in docs/deploy.md; its auth subrequest is always a GET), Traefik.
const METHOD_HEADERS = ['x-original-method', 'x-forwarded-method'] as const;
// nginx (as docs/deploy.md sets it), Traefik.
const ORIGINAL_URI = 'x-original-uri';
const FORWARDED_URI = 'x-forwarded-uri';
// Traefik, after StripPrefix: the part of the path the backend will not see.
const FORWARDED_PREFIX = 'x-forwarded-prefix';

// RFC 9110 §5.6.2.
const TOKEN = /^[!#$%&'*+.^`|~\w-]+$/;

// Every copy of two headers that say the same thing, in order (usually one copy of one of them).
function copiesOf(req: Request, [first, second]: readonly [string, string]): readonly string[] {
  const firsts = headerCopies(req, first);
  const seconds = headerCopies(req, second);
  return seconds.length === 0 ? firsts : firsts.length === 0 ? seconds : [...firsts, ...seconds];
}

/** Every copy of the original URI a proxy sent (`X-Original-URI`, `X-Forwarded-Uri`). */
export const originalUris = (req: Request): readonly string[] => copiesOf(req, [ORIGINAL_URI, FORWARDED_URI]);

/** The original method: from the proxy's header when it sent one (every copy the same), else this request's. */
export function forwardedMethod(req: Request): string {
  const copies = copiesOf(req, METHOD_HEADERS);
  const [method] = copies;
  if (method === undefined) return req.method;
  if (copies.some((copy) => copy !== method) || !TOKEN.test(method)) throw new InvalidForwardedRequestError();
  return method.toUpperCase();
}

// Traefik's prefix: one path, or nothing.
function strippedPrefix(req: Request): string {
  const copies = headerCopies(req, FORWARDED_PREFIX);
  if (copies.length === 0) return '';
  const prefix = copies.length === 1 ? pathPrefix(copies[0]) : null;
  if (prefix === null) throw new InvalidForwardedRequestError();
  return prefix;
}

/**
 * A path prefix a proxy stripped (`/api/v1`), without its trailing slash, to put back before a path; ''
 * for none; null when it is not a path (no leading `/`, a query or fragment, control characters).
 */
export function pathPrefix(prefix: unknown): string | null {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[?#]/.test(prefix) || hasControlCharacters(prefix)) return null;
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * The original path (without the query) the backend will receive, or null when no proxy header and no
 * appended path says it: `X-Forwarded-Prefix` (Traefik, where StripPrefix removed it from both) followed
 * by `X-Original-URI` (nginx) or `X-Forwarded-Uri` (Traefik), else what follows `/auth/verify` in this
 * request's own path (Envoy). Copies of the URI that differ are refused.
 */
export function forwardedPath(req: Request): string | null {
  const uris = new Set(originalUris(req));
  if (uris.size > 1) throw new InvalidGroupIdError();
  const [uri] = uris;
  // The prefix is never ignored when sent (nginx's documented block clears it): a client that adds
  // X-Original-URI through Traefik must not drop the prefix Traefik stripped.
  if (uri !== undefined) return strippedPrefix(req) + pathOf(uri);
  const own = pathOf(req.originalUrl ?? req.url ?? '');
  return own.startsWith(`${FORWARD_AUTH_PATH}/`) ? own.slice(FORWARD_AUTH_PATH.length) : null;
}
