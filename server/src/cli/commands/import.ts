// `twake-app-auth import --from FILE…`: Twake's applications, keys and installations, checked first, then written in resumable batches.
import { planImport, runImport, type ImportOptions, type ImportReport } from '../../import/run-import';
import { openImportStore, openReadOnlyImportStore } from '../../import/open-import-store';
import { migrate } from '../../database/migrate';
import { progressBar } from '../progress-bar';
import { table, type Result } from '../output';

const plural = (count: number, word: string): string => `${count.toLocaleString('en')} ${word}${count === 1 ? '' : 's'}`;

/** The report as lines for a person: totals, each translation of Twake's rules, warnings, then each application's notes. */
function humanReport(report: ImportReport): string[] {
  const verb = report.dryRun ? 'would be ' : '';
  const { counts, installations } = report;
  const lines = [
    report.dryRun ? 'Dry run: nothing was written (no file, no migration, no row).' : 'Imported.',
    ...table([
      ['applications', `${counts.created} ${verb}created, ${counts.resumed} ${verb}resumed, ${counts.updated} ${verb}updated, ${counts.overwritten} ${verb}overwritten, ${counts.kept} kept as they are, ${counts.skipped} skipped (not created by an import)`],
      ['keys', `${report.keysAdded} ${verb}added (the same Twake keys keep working)`],
      ['installations', `${installations.read} read, ${installations.written} ${verb}written, ${installations.orphans} orphan rows skipped, ${installations.ofSkippedApplications} of applications left as they are`],
      ['encrypted cells', `${report.decrypted.v2} v2, ${report.decrypted.v1} v1, ${report.decrypted.legacy} legacy, ${report.decrypted.plain} plain`],
    ]),
  ];
  const translations = Object.entries(report.translations);
  if (translations.length > 0) lines.push('', "Twake's grant rules applied:", ...translations.map(([rule, count]) => `  ${plural(count, 'installation')}: ${rule}`));
  if (report.weakKeys.length > 0) lines.push('', `${plural(report.weakKeys.length, 'weak key')} imported, flagged for rotation in app list: ${report.weakKeys.slice(0, 20).join(', ')}${report.weakKeys.length > 20 ? ', …' : ''}`);
  if (report.warningCount > 0) lines.push('', `${plural(report.warningCount, 'warning')}:`, ...report.warnings.slice(0, 20).map((warning) => `  ${warning}`), ...(report.warningCount > 20 ? [`  … and ${report.warningCount - 20} more (--json lists up to 1000)`] : []));
  const noted = report.applications.filter((application) => application.notes.length > 0);
  if (noted.length > 0) {
    lines.push('', 'Translations per application:');
    for (const application of noted.slice(0, 50)) lines.push(`  ${application.publicId} (${application.name}):`, ...application.notes.map((note) => `    ${note}`));
    if (noted.length > 50) lines.push(`  … and ${noted.length - 50} more applications (--json lists them all)`);
  }
  if (!report.dryRun && counts.created + counts.resumed > 0) lines.push('', 'Twake kept these keys reversibly encrypted: rotate them (app rotate-key PUBLIC_ID --grace SECONDS).');
  return lines;
}

/**
 * Checks every file, then (unless `dryRun`) migrates the database and writes. A dry run opens the
 * database read-only, when it exists, to say what would be created or left alone.
 */
export async function importCommand(databaseUrl: string, options: ImportOptions): Promise<Result> {
  const bar = progressBar('import');
  const run = async (): Promise<ImportReport> => {
    if (options.dryRun === true) {
      const lookup = await openReadOnlyImportStore(databaseUrl);
      try {
        return await runImport(lookup, { ...options, onChecked: (rows) => bar.counted('checking', rows) });
      } finally {
        await lookup.close();
      }
    }
    // Checked in full before migrating: a refused file writes nothing, not even a new database file.
    await planImport({ ...options, onChecked: (rows) => bar.counted('checking', rows) });
    await migrate(databaseUrl);
    const store = await openImportStore(databaseUrl);
    try {
      return await runImport(store, { ...options, onChecked: (rows) => bar.counted('reading', rows), onProgress: bar.update });
    } finally {
      await store.close();
    }
  };
  try {
    const report = await run();
    return { json: { ...report }, human: humanReport(report) };
  } finally {
    bar.done();
  }
}
