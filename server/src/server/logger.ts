// The server's structured logger (pino), with credentials redacted wherever they could appear.
import type { DestinationStream, Logger } from 'pino';
import type Pino from 'pino';
import { requireOptional } from '../optional-dependency';

const BASE = { service: 'twake-app-auth' };

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
  // Standard output written asynchronously: lines logged while a write is under way go out together in the
  // next one, instead of one blocking write per request line. pino writes what is left when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/**
 * A logger for request lines only: `logger`'s level, base and output, without the redaction pass, which
 * costs as much again as writing the line and has nothing to find there (request-log.ts writes fixed
 * fields, none of them a redacted name). Its level follows `logger`'s at creation.
 */
export function createRequestLineLogger(logger: Logger): Logger {
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  const output = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: logger.level, base: BASE }, output);
}
