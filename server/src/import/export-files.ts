// Reads the records of an export file as each database tool writes it: a JSON document, JSON lines (mongoexport, MySQL), or cqlsh's SELECT JSON output.
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { TwakeImportError } from './import-error';

/** One record of a file and where it is, for messages (`FILE:LINE` or `FILE applications[3]`). */
export interface ExportRecord {
  readonly raw: Record<string, unknown>;
  readonly where: string;
  /** The document's array it came from, when the file says (`applications` or `group_apps`). */
  readonly table?: 'applications' | 'group_apps';
}

/** The formats {@link readExportFile} recognises. */
export type ExportFormat = 'document' | 'json-lines' | 'cqlsh';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * V8's JSON message ("Unexpected token } in JSON at position 29", or "…is not valid JSON", quoting the
 * text) as one readable line: what is wrong, at which line and column.
 */
export function jsonErrorAt(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const what = (message.split(/ in JSON at position| at position|, "/)[0] ?? message).replace(/^Unexpected token/, 'unexpected character').replace(/^Expected/, 'expected');
  if (position === null) return text.trim() === '' ? 'the file is empty' : what.charAt(0).toLowerCase() + what.slice(1);
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${what.charAt(0).toLowerCase() + what.slice(1)} at line ${line}, column ${column}`;
}

// cqlsh decorations around SELECT JSON rows: the " [json]" header, the dashes under it, "(N rows)",
// paging and warning lines. Everything else must be a row.
const CQLSH_NOISE = /^(?:\[json\]|-+|\(\d+ rows?\)|---MORE---|Disabled Query paging\.|Now Query paging is disabled\.|Warnings ?:.*)$/;

/**
 * A row as cqlsh printed it back to the text SELECT JSON produced: cqlsh doubles every backslash of a
 * text value and writes control characters (and U+007F to U+00A0) as Python escapes, `\x7f`, `\n`.
 */
export function unescapeCqlsh(line: string): string {
  return line.replace(/\\(\\|x([0-9a-fA-F]{2})|n|r|t)/g, (_escape: string, what: string, hex: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return what === 'n' ? '\n' : what === 'r' ? '\r' : what === 't' ? '\t' : '\\';
  });
}

/** Reads the first non-empty line, to tell the formats apart without reading the whole file. */
function firstLine(file: string): string {
  const buffer = Buffer.alloc(65_536);
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return (buffer.subarray(0, read).toString('utf8').split('\n').find((line) => line.trim() !== '') ?? '').trim();
  } finally {
    closeSync(fd);
  }
}

/** Which format a file is in, from its first line. */
export function formatOf(file: string): ExportFormat {
  const line = firstLine(file);
  if (CQLSH_NOISE.test(line)) return 'cqlsh';
  if (line.startsWith('{') && line.endsWith('}')) {
    try {
      const parsed = JSON.parse(line) as unknown;
      if (isObject(parsed) && !Array.isArray(parsed.applications) && !Array.isArray(parsed.group_apps)) return 'json-lines';
    } catch {
      // A document spread over several lines.
    }
  }
  return 'document';
}

function unreadable(file: string, error: unknown): TwakeImportError {
  return new TwakeImportError([`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
}

/** The records of a whole JSON document `{ "applications": [...], "group_apps": [...] }` (or a bare array). */
function* documentRecords(file: string): Generator<ExportRecord> {
  const text = readFileSync(file, 'utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TwakeImportError([`${file} is not valid JSON: ${jsonErrorAt(text, (error as Error).message)}`]);
  }
  if (Array.isArray(document)) {
    for (const [index, raw] of document.entries()) yield { raw: isObject(raw) ? raw : { invalid: raw }, where: `${file}[${index}]` };
    return;
  }
  if (!isObject(document) || (!Array.isArray(document.applications) && !Array.isArray(document.group_apps))) {
    throw new TwakeImportError([`${file}: a JSON object with an "applications" array (and optionally "group_apps"), JSON lines, or cqlsh SELECT JSON output`]);
  }
  for (const table of ['applications', 'group_apps'] as const) {
    const rows = document[table] ?? [];
    if (!Array.isArray(rows)) throw new TwakeImportError([`${file}: "${table}" must be an array`]);
    for (const [index, raw] of rows.entries()) yield { raw: isObject(raw) ? raw : { invalid: raw }, where: `${table}[${index}]`, table };
  }
}

/** The records of a file of one JSON object per line (mongoexport, MySQL's JSON_OBJECT rows, cqlsh rows). */
async function* lineRecords(file: string, format: 'json-lines' | 'cqlsh'): AsyncGenerator<ExportRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    const text = line.trim();
    if (text === '' || (format === 'cqlsh' && CQLSH_NOISE.test(text))) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(format === 'cqlsh' ? unescapeCqlsh(text) : text);
    } catch (error) {
      throw new TwakeImportError([`${file}:${number} is not valid JSON: ${jsonErrorAt(text, (error as Error).message).replace(/ at line 1,/, ' at')}`]);
    }
    yield { raw: isObject(raw) ? raw : { invalid: raw }, where: `${file}:${number}` };
  }
}

/** Every record of `file`, in any of the supported formats, streamed for line formats. */
export async function* readExportFile(file: string): AsyncGenerator<ExportRecord> {
  let format: ExportFormat;
  try {
    format = formatOf(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  if (format === 'document') yield* documentRecords(file);
  else yield* lineRecords(file, format);
}
