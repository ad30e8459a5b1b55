// The error of an export that cannot be imported: every problem found, none of the file written.
/** A file that cannot be imported, with every bad record by where it is; nothing of it is written. */
export class TwakeImportError extends Error {
  readonly code = 'invalid_import';
  constructor(readonly problems: readonly string[]) {
    super(`cannot import: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    this.name = 'TwakeImportError';
  }
}
