// One log line per request: method, path (no query string), status, reason code, application, latency.
import { performance } from 'node:perf_hooks';
import type { DestinationStream, Logger } from 'pino';
import type Pino from 'pino';
import type { TwakeIdentity } from 'twake-app-auth';
import { requireOptional } from '../optional-dependency';
import type { ValidatorRequest, ValidatorResponse } from './validator-request';

/** What a request line says, in the order it says it (`undefined`: left out, as pino leaves it out). */
export interface RequestLineFields {
  method: string | undefined;
  path: string | undefined;
  route: string | null;
  originalPath: string | undefined;
  clientAddress: string | undefined;
  status: number;
  decidedStatus: number | undefined;
  code: string | undefined;
  publicId: string | undefined;
  companyId: string | undefined;
  /** Written to the microsecond. */
  latencyMs: number;
}

/** Where request lines go, and what starts each one. */
export interface RequestLines {
  /** What each line starts with, up to its time (`{"level":30,"time":`). */
  readonly start: string;
  /** What follows the time: every field the main logger adds (service, and a worker's number and pid). */
  readonly bindings: string;
  readonly output: DestinationStream;
}

// pino's number for `info`, the level request lines are written at.
const INFO = 30;

/**
 * Request lines for `logger`: on its output unless `destination` is given, with the fields it adds to
 * each line, or null when `logger` does not write `info`. Each line is the JSON pino would write for the
 * same fields (test/unit/request-line-logger.test.ts compares them), except that a lone surrogate is
 * escaped where pino writes it as it is (invalid UTF-8 on the output). It is written without pino's
 * per-call work: the fields are fixed and none of them is a credential, so redaction has nothing to find.
 */
export function createRequestLines(logger: Logger, destination?: DestinationStream): RequestLines | null {
  if (!logger.isLevelEnabled('info')) return null;
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  const symbols = logger as unknown as Record<symbol, unknown>;
  const output = destination ?? (symbols[pino.symbols.streamSym] as DestinationStream);
  return { start: `{"level":${INFO},"time":`, bindings: (symbols[pino.symbols.chindingsSym] as string | undefined) ?? '', output };
}

// What JSON.stringify would escape in a string: quotes, backslashes, control characters, lone surrogates.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;
// JSON's text of a string field, or nothing for a field that is not there. Most fields need no escaping,
// and a test of the string costs half of JSON.stringify.
const text = (name: string, value: string | null | undefined): string => {
  if (value === undefined) return '';
  if (value === null) return `,"${name}":null`;
  return NEEDS_ESCAPING.test(value) ? `,"${name}":${JSON.stringify(value)}` : `,"${name}":"${value}"`;
};
// A number that is not finite is null in pino's lines, as in JSON.
const number = (name: string, value: number | undefined): string => (value === undefined ? '' : `,"${name}":${Number.isFinite(value) ? String(value) : 'null'}`);
// A latency to the microsecond: the shortest text of a double costs more than the rest of the line.
const milliseconds = (name: string, value: number): string => `,"${name}":${Number.isFinite(value) ? value.toFixed(3) : 'null'}`;

/** The line for `fields`, written at `time` (milliseconds since the epoch), newline included. */
export function formatRequestLine(lines: RequestLines, fields: RequestLineFields, time: number): string {
  return (
    lines.start +
    String(time) +
    lines.bindings +
    text('method', fields.method) +
    text('path', fields.path) +
    text('route', fields.route) +
    text('originalPath', fields.originalPath) +
    text('clientAddress', fields.clientAddress) +
    number('status', fields.status) +
    number('decidedStatus', fields.decidedStatus) +
    text('code', fields.code) +
    text('publicId', fields.publicId) +
    text('companyId', fields.companyId) +
    milliseconds('latencyMs', fields.latencyMs) +
    ',"msg":"request"}\n'
  );
}

/**
 * What `req`'s line says once its response is finished: the client address as `trust proxy` resolved it,
 * the route that answered (its pattern, never the request's own path), the original path forward-auth
 * was asked about, the status answered and, when nginx's status mapping turned a refusal into a 403, the
 * status decided. Only these fields, none of them a credential.
 */
export function requestLineFields(req: ValidatorRequest, res: ValidatorResponse, latencyMs: number): RequestLineFields {
  const identity = (req.twake ?? res.locals.twakeIdentity) as TwakeIdentity | undefined;
  const decided = Number(res.getHeader('X-Twake-Status'));
  return {
    method: req.method,
    // The query string can carry anything a client puts there; the path is enough to locate a call.
    path: req.path,
    route: req.route?.path ?? null,
    originalPath: (res.locals.twakeOriginalPath as string | null | undefined) ?? undefined,
    clientAddress: req.ip,
    status: res.statusCode,
    decidedStatus: Number.isInteger(decided) && decided !== res.statusCode ? decided : undefined,
    code: (res.locals.twakeAuthCode as string | undefined) ?? (res.statusCode < 400 ? 'ok' : undefined),
    publicId: identity?.publicId,
    companyId: identity?.companyId,
    latencyMs,
  };
}

// One listener for every response (`this` is the response): no closure per request.
function writeLine(this: ValidatorResponse): void {
  const lines = this.requestLines;
  const req = this.req;
  if (lines === undefined) return;
  lines.output.write(formatRequestLine(lines, requestLineFields(req, this, performance.now() - this.startedAt), Date.now()));
}

/** Writes `req`'s line to `lines` when its response is finished. */
export function logRequest(lines: RequestLines, res: ValidatorResponse): void {
  res.startedAt = performance.now();
  res.requestLines = lines;
  res.on('finish', writeLine);
}
