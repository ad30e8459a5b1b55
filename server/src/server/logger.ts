// The server's structured logger (pino), with credentials redacted wherever they could appear.
import type { DestinationStream, Logger } from 'pino';
import type Pino from 'pino';
import { requireOptional } from '../optional-dependency';

const BASE = { service: 'twake-app-auth' };

// Buffered request lines wait in memory until 4 KiB are ready or this long: at most this late on the output.
const REQUEST_LINES_FLUSH_MS = 200;

/** Paths that could ever hold a credential; their values are replaced before a line is written. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
];

/** Creates a JSON-lines logger at `level` (`silent` writes nothing), on standard output unless `destination` is given. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  const options = { level, base: BASE, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * A logger for request lines only, at `logger`'s level (when created), without the redaction pass, which
 * costs as much again as writing the line and has nothing to find there (request-log.ts writes fixed
 * fields, none of them a redacted name). Writes to `destination`, by default `logger`'s own output.
 */
export function createRequestLineLogger(logger: Logger, destination?: DestinationStream): Logger {
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  const output = destination ?? (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  // Every field the main logger adds to its lines (a worker's number and pid: `bindings()` leaves pid out).
  const chindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const base = chindings === '' ? BASE : (JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>);
  return pino({ level: logger.level, base }, output);
}

/**
 * Standard output, buffered for request lines: one write per 4 KiB of lines (a dozen requests), and at
 * least every 200 ms and at exit, instead of one write per request. Other lines (start, errors) are
 * written at once by the main logger.
 */
export function bufferedStandardOutput(): DestinationStream {
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  const output = pino.destination({ dest: 1, sync: true, minLength: 4096 });
  setInterval(() => output.flush(), REQUEST_LINES_FLUSH_MS).unref();
  process.once('exit', () => output.flushSync());
  return output;
}
