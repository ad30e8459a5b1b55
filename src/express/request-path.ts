// The path of a request relative to where the middleware is mounted, read as Express's router reads it.
import type { Request } from 'express';

/**
 * `req.path`: the path of `req.url` as parseurl reads it, which is what Express's router matches. For the
 * targets parseurl reads itself (an origin-form target with none of the characters below) the path is cut
 * from `req.url` here, without `req.path`: in a mounted middleware, `req.url` is the shortened URL, and
 * reading `req.path` there makes parseurl parse and keep that URL, so that the router parses the whole URL
 * again once it has put it back. Any other target is read through `req.path`, as before.
 */
export function requestPath(req: Request): string | undefined {
  const url: unknown = req.url;
  if (typeof url !== 'string' || url.charCodeAt(0) !== 0x2f) return req.path;
  let end = url.length;
  for (let index = 1; index < url.length; index += 1) {
    switch (url.charCodeAt(index)) {
      case 0x3f: // ?
        if (end === url.length) end = index;
        break;
      // parseurl hands a URL holding one of these to node:url, whose path can differ (a space is escaped).
      case 0x09:
      case 0x0a:
      case 0x0c:
      case 0x0d:
      case 0x20:
      case 0x23:
      case 0xa0:
      case 0xfeff:
        return req.path;
    }
  }
  return url.slice(0, end);
}
