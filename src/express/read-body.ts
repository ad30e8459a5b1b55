// Reads a request body so that `group_id` can be checked in it, and refuses bodies it cannot read.
import bodyParser from 'body-parser';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import typeIs from 'type-is';
import { BodyTimeoutError, BodyTooLargeError, InvalidBodyError, UnsupportedMediaTypeError, type TwakeAuthError } from '../core/errors';
import type { UnreadBodies } from '../core/types';
import { formText } from './form-body';

/**
 * A body as the validator saw it: the parsed value to look for `group_id` in, or why it is refused; and
 * for a urlencoded body it parsed itself, its text, for `group_id` to be read from it as PHP reads it.
 */
export interface BodyOutcome {
  readonly body: unknown;
  readonly error: TwakeAuthError | null;
  readonly form?: string;
}

/** The options a body reader follows (see the middleware's options of the same names). */
export interface BodyReaderSettings {
  readonly bodyLimit: number | string;
  readonly unreadBodies: UnreadBodies;
  readonly bodyTimeoutMs: number;
}

/** Reads (when needed) and judges the body of a request. */
export type BodyReader = (req: Request, res: Response) => Promise<BodyOutcome>;

const JSON_TYPES = ['application/json', 'application/*+json'];
const URLENCODED_TYPES = ['application/x-www-form-urlencoded'];
const NO_BODY: BodyOutcome = Object.freeze({ body: undefined, error: null });

/** Whether the request carries a body: chunked, or a Content-Length above zero (RFC 9112 §6.3). */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > 0;
}

// Someone read the stream already (a body parser mounted before us, or the app itself).
function isConsumed(req: Request): boolean {
  return (req as { _body?: unknown })._body === true || req.readableDidRead || req.readableEnded;
}

// A parsed object (from any parser) is what handlers will read; strings and Buffers are not readable here.
function isParsedObject(body: unknown): boolean {
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !ArrayBuffer.isView(body);
}

const TIMED_OUT = Symbol('timed out');

// Runs a body parser, giving up after `timeoutMs`: a slow or unfinished body must not hold a request.
function run(parser: RequestHandler, req: Request, res: Response, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    parser(req, res, (error?: unknown) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

function bodyError(error: unknown): TwakeAuthError {
  if (error === TIMED_OUT) return new BodyTimeoutError();
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') return new BodyTooLargeError();
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new UnsupportedMediaTypeError();
  return new InvalidBodyError();
}

/**
 * A body sent without Content-Type, read as JSON as Twake's PHP read it: kept when it is a JSON object.
 * Otherwise (not JSON, an array, a scalar) the backend could read it some other way: it is refused as an
 * unreadable body, or, when those are allowed, handed on as its bytes (`req.body`, a Buffer), since the
 * stream has been read. A body too large or too slow is refused as such.
 */
function untypedOutcome(req: Request, error: unknown, bytes: Buffer | undefined, unreadable: BodyOutcome): BodyOutcome {
  if (error === TIMED_OUT || (error as { type?: unknown } | null | undefined)?.type === 'entity.too.large') return { body: undefined, error: bodyError(error) };
  (req as { _body?: boolean })._body = true;
  const body: unknown = req.body;
  if (error === undefined || error === null) {
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return { body, error: null };
  }
  req.body = unreadable.error === null ? bytes : undefined;
  return unreadable;
}

/**
 * Creates a body reader. A body that takes longer than `bodyTimeoutMs` to arrive is refused with 408. A body that an earlier parser turned into an object is read as it is. An unread
 * JSON (`application/json`, `application/*+json`) or urlencoded body is parsed (at most `bodyLimit`) and marked
 * parsed the way every body-parser version checks (`req._body`), so parsers mounted later leave it alone.
 * A urlencoded body must be UTF-8, declared or by default (415 otherwise), made of UTF-8 bytes (400), and
 * comes with its text (see form-body.ts).
 * A body without Content-Type is parsed as JSON, as Twake's PHP did, and kept only when it is a JSON object.
 * Any other body, or one already consumed into a string, a Buffer or nothing, could name a company we
 * cannot see: it is refused with 415 unless `unreadBodies` is `allow`.
 */
export function createBodyReader(settings: BodyReaderSettings): BodyReader {
  const { bodyLimit: limit, unreadBodies, bodyTimeoutMs: timeoutMs } = settings;
  const everything = () => true;
  // The bytes of each body sent without Content-Type, kept in case it is not JSON (see untypedOutcome).
  const untypedBytes = new WeakMap<IncomingMessage, Buffer>();
  const keepUntyped = (req: IncomingMessage, _res: unknown, bytes: Buffer): void => {
    if (req.headers['content-type'] === undefined) untypedBytes.set(req, bytes);
  };
  const json = bodyParser.json({ limit, type: everything, verify: keepUntyped });
  // Each urlencoded body's text, from its bytes (verify sees them before body-parser decodes them).
  const forms = new WeakMap<IncomingMessage, string>();
  const verify = (req: IncomingMessage, _res: unknown, bytes: Buffer, charset: string): void => {
    forms.set(req, formText(bytes, charset));
  };
  // extended: false keeps `group_id[]=x` as a key of its own, which the company check refuses.
  const urlencoded = bodyParser.urlencoded({ limit, extended: false, type: everything, verify });
  const unreadable: BodyOutcome = Object.freeze({ body: undefined, error: unreadBodies === 'allow' ? null : new UnsupportedMediaTypeError() });

  return async (req, res) => {
    if (!hasBody(req)) return isParsedObject(req.body) ? { body: req.body, error: null } : NO_BODY;
    if (isConsumed(req)) return isParsedObject(req.body) ? { body: req.body, error: null } : unreadable;
    const untyped = req.headers['content-type'] === undefined;
    const parser = untyped || typeIs(req, JSON_TYPES) ? json : typeIs(req, URLENCODED_TYPES) ? urlencoded : null;
    if (parser === null) return unreadable;
    const error = await run(parser, req, res, timeoutMs);
    if (untyped) return untypedOutcome(req, error, untypedBytes.get(req), unreadable);
    if (error !== undefined && error !== null) return { body: undefined, error: bodyError(error) };
    (req as { _body?: boolean })._body = true;
    const form = forms.get(req);
    return form === undefined ? { body: req.body, error: null } : { body: req.body, error: null, form };
  };
}
