// Node's request and response with the few members of Express's that the validator's handlers read, without Express.
import { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import parseUrl from 'parseurl';
import proxyAddr from 'proxy-addr';
import type { TwakeIdentity } from 'twake-app-auth';
import type { RequestLines } from './request-log';
import type { TrustFunction } from './trust-proxy';

/**
 * parseurl's reading of the request target, or undefined when it throws (node:url refuses an absolute-form
 * target with an unclosed IPv6 bracket): a getter that throws in the request listener would stop the process.
 */
function parsedUrl(req: IncomingMessage): ReturnType<typeof parseUrl> {
  try {
    return parseUrl(req);
  } catch {
    return undefined;
  }
}

/** The settings a request reads through `req.app.get(name)`, as Express's handlers and ours ask for them. */
export interface ValidatorSettings {
  get(name: string): unknown;
}

/** Express's settings of the same names: the compiled `trust proxy`, and the default ('simple') query parser. */
export function validatorSettings(trust: TrustFunction): ValidatorSettings {
  return {
    get(name: string): unknown {
      if (name === 'trust proxy fn') return trust;
      if (name === 'query parser') return 'simple';
      if (name === 'query parser fn') return querystring.parse;
      return undefined;
    },
  };
}

/**
 * A request as Express 5 describes it, for the members the validator reads (`originalUrl`, `path`,
 * `query`, `ip`, `protocol`, `secure`, `get`), each computed exactly as Express computes it. Node builds
 * it directly (`createServer({ IncomingMessage })`): no prototype is swapped per request.
 */
export class ValidatorRequest extends IncomingMessage {
  // Set by the server before any handler runs.
  declare app: ValidatorSettings;
  declare res?: ValidatorResponse;
  declare body?: unknown;
  /** Who is calling, once the library let the request through. */
  declare twake?: TwakeIdentity;
  /** The server's route that answered (its pattern), for the request log. */
  declare route?: { path: string };

  get originalUrl(): string {
    return this.url ?? '';
  }

  /** The path, or undefined for a target that does not parse (`http://[::1/`): Express's router found no route for it. */
  get path(): string | undefined {
    return parsedUrl(this)?.pathname ?? undefined;
  }

  /** node:querystring's reading, as Express 5's default ('simple') query parser. */
  get query(): querystring.ParsedUrlQuery {
    const query = parsedUrl(this)?.query;
    return querystring.parse(typeof query === 'string' ? query : '');
  }

  get ip(): string | undefined {
    return proxyAddr(this, this.app.get('trust proxy fn') as TrustFunction);
  }

  get protocol(): string {
    const own = (this.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
    const trust = this.app.get('trust proxy fn') as TrustFunction;
    if (!trust(this.socket.remoteAddress, 0)) return own;
    const header = this.get('x-forwarded-proto') || own;
    const comma = header.indexOf(',');
    return (comma < 0 ? header : header.slice(0, comma)).trim();
  }

  get secure(): boolean {
    return this.protocol === 'https';
  }

  /** A header's value (`Referer` and `Referrer` are one header), as Express's `req.get`. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const value = lower === 'referer' || lower === 'referrer' ? this.headers.referrer ?? this.headers.referer : this.headers[lower];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

/** A response with Express's `locals`, `status()` and `json()`. */
export class ValidatorResponse extends ServerResponse<ValidatorRequest> {
  // Set by the server before any handler runs.
  declare locals: Record<string, unknown>;
  /** Where this response's request line goes, and when the request arrived (`performance.now()`): see request-log.ts. */
  declare requestLines?: RequestLines;
  declare startedAt: number;

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  /** Sends `body` as JSON (no ETag: every answer here is computed per request; Node sets Content-Length, and sends no body to HEAD). */
  json(body: unknown): this {
    if (!this.hasHeader('Content-Type')) this.setHeader('Content-Type', 'application/json; charset=utf-8');
    this.end(JSON.stringify(body));
    return this;
  }
}

/**
 * The request and response as the validator's classes: built so by its own server, or (a request handed
 * over by another server, as supertest does) given their prototypes here.
 */
export function adopt(req: IncomingMessage, res: ServerResponse, settings: ValidatorSettings): [ValidatorRequest, ValidatorResponse] {
  if (!(req instanceof ValidatorRequest)) Object.setPrototypeOf(req, ValidatorRequest.prototype);
  if (!(res instanceof ValidatorResponse)) Object.setPrototypeOf(res, ValidatorResponse.prototype);
  const request = req as ValidatorRequest;
  const response = res as ValidatorResponse;
  request.app = settings;
  request.res = response;
  response.locals = Object.create(null) as Record<string, unknown>;
  return [request, response];
}
