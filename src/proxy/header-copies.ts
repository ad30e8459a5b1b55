// Every copy of a request header a proxy sends, without building Node's `headersDistinct` for the usual single copy.
import type { IncomingMessage } from 'node:http';

const NONE: readonly string[] = Object.freeze([]);

/**
 * The copies of header `name` (lower case) as they arrived, as `req.headersDistinct[name]` gives them.
 * Node joins the copies of an `x-` header with ", " in `req.headers` (it keeps only the first of a few
 * standard headers, none of them `x-`): such a value without a comma came as one copy, read without
 * building `headersDistinct` for every header of the request. Anything else is read from it.
 */
export function headerCopies(req: Pick<IncomingMessage, 'headers' | 'headersDistinct'>, name: string): readonly string[] {
  const joined = req.headers[name];
  if (joined === undefined) return NONE;
  if (typeof joined === 'string' && name.startsWith('x-') && !joined.includes(',')) return [joined];
  return req.headersDistinct[name] ?? NONE;
}
