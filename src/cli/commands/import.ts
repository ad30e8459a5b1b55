// `twake-app-auth import --from FILE [--dry-run]`: Twake's applications, keys and installations, in one transaction.
import { readFileSync } from 'node:fs';
import { importApplications, type TransactionalImportClient } from '../../admin/import-applications';
import { readTwakeExport, TwakeImportError, type TwakeExport } from '../../admin/twake-import';
import { table, type Result } from '../output';

/**
 * V8's JSON message ("Unexpected token } in JSON at position 29", or "…is not valid JSON", quoting the
 * text) as one readable line: what is wrong, at which line and column.
 */
function jsonErrorAt(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const what = (message.split(/ in JSON at position| at position|, "/)[0] ?? message).replace(/^Unexpected token/, 'unexpected character').replace(/^Expected/, 'expected');
  if (position === null) return text.trim() === '' ? 'the file is empty' : what.charAt(0).toLowerCase() + what.slice(1);
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${what.charAt(0).toLowerCase() + what.slice(1)} at line ${line}, column ${column}`;
}

/** Reads FILE (JSON) and checks every record, before anything touches the database. */
export function readImportFile(file: string): TwakeExport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TwakeImportError([`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TwakeImportError([`${file} is not valid JSON: ${jsonErrorAt(text, (error as Error).message)}`]);
  }
  return readTwakeExport(document);
}

/** Imports a checked file (or, with `dryRun`, reports what it would do). */
export async function importCommand(prisma: TransactionalImportClient, checked: TwakeExport, dryRun: boolean): Promise<Result> {
  const summaries = await importApplications(prisma, checked, { dryRun });
  const verb = dryRun ? 'would be' : 'was';
  const human = summaries.flatMap((summary) => [
    `${summary.name}`,
    ...table([
      ['public id', summary.publicId],
      ['application', `${verb} ${summary.application}`],
      ['key', summary.keyAdded ? `${verb} added (the same Twake key keeps working)` : 'already there'],
      ['installed in', summary.installationsCreated.length === 0 ? '(no new company)' : summary.installationsCreated.join(', ')],
      ['grants updated', summary.installationsUpdated.length === 0 ? '(none)' : summary.installationsUpdated.join(', ')],
    ]),
    '',
  ]);
  human.push(dryRun ? 'Dry run: nothing was written.' : 'Imported keys were kept reversibly by Twake: rotate them (app rotate-key PUBLIC_ID --grace SECONDS).');
  return { json: { dryRun, applications: summaries }, human };
}
