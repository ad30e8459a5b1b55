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
  // Standard output written synchronously: pino's default (asynchronous) output flushes itself at exit, and
  // when the reader has gone (a closed pipe) that flush retries for ever and the process never exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

// Request lines wait in memory until this many bytes are ready (a dozen lines). It is also the most a write
// to a pipe may carry and still arrive whole (PIPE_BUF on Linux): workers share standard output, and a
// larger write could be interleaved with another worker's.
const REQUEST_LINES_BATCH = 4096;

/**
 * Lines held in memory and handed to `output` together: one write per batch, each batch whole lines of at
 * most `batchSize` bytes (a single longer line goes alone). sonic-boom's own buffering measures its whole
 * buffer again on every write, which costs more than the line.
 */
export class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private size = 0;

  constructor(
    private readonly output: DestinationStream,
    private readonly batchSize: number = REQUEST_LINES_BATCH,
  ) {}

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size + bytes > this.batchSize) this.flush();
    this.lines.push(line);
    this.size += bytes;
    if (this.size >= this.batchSize) this.flush();
  }

  /** Hands every line held to the output. */
  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.size = 0;
    this.output.write(text);
  }
}

/**
 * Standard output, batched for request lines: one write per 4 KiB of lines, and at least every 200 ms
 * and at exit, instead of one write per request. Other lines (start, errors) are written at once by the
 * main logger.
 */
export function bufferedStandardOutput(): DestinationStream {
  const pino = requireOptional<typeof Pino>('pino', 'the server');
  // Written as soon as it is given (sonic-boom retries a full pipe): the batching is LineBatch's.
  const output = pino.destination({ dest: 1, sync: true });
  const batch = new LineBatch(output);
  setInterval(() => batch.flush(), REQUEST_LINES_FLUSH_MS).unref();
  process.once('exit', () => {
    batch.flush();
    output.flushSync();
  });
  return batch;
}
