// The server's structured logger (pino), with credentials redacted wherever they could appear.
import type { DestinationStream, Logger } from 'pino';
import type Pino from 'pino';
import { requireOptional } from '../optional-dependency';

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
  const options = { level, base: { service: 'twake-app-auth' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  // Standard output written asynchronously: lines logged while a write is under way go out together in the
  // next one, instead of one blocking write per request line. pino writes what is left when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
