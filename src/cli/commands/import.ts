// `twake-app-auth import --from FILE [--dry-run]`: Twake's applications, keys and installations, in one transaction.
import { readFileSync } from 'node:fs';
import { importApplications, type TransactionalImportClient } from '../../import-applications';
import { readTwakeExport, TwakeImportError, type TwakeExport } from '../../twake-import';
import { table, type Result } from '../output';

/** Reads FILE (JSON) and checks every record, before anything touches the database. */
export function readImportFile(file: string): TwakeExport {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TwakeImportError([`${file}: ${(error as Error).message.split('\n')[0] ?? 'unreadable'}`]);
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
