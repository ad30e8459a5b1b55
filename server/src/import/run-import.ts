// Imports Twake's applications and installations from export files: checks everything first, then writes in resumable batches.
import { randomUUID } from 'node:crypto';
import { joinList, splitList, digestKeyHex } from 'twake-app-auth/internal';
import { readExportFile, type ExportRecord } from './export-files';
import { TwakeImportError } from './import-error';
import type { ExistingApplication, ImportStore, InstallationRow, NewApplication } from './import-store';
import { translateGrant, type UndeclaredGrants } from './twake-grants';
import { CellReader, isInstallationRow, readApplication, readInstallation, TWAKE_KEY_LENGTH, type TwakeApplication } from './twake-records';
import type { TwakeForm } from './twake-crypto';

/** Options of {@link runImport}. */
export interface ImportOptions {
  /** Export files (JSON document, JSON lines, cqlsh SELECT JSON output), read in order. */
  files: readonly string[];
  /** Twake's database secret (hex), to decrypt encrypted columns. Defaults to none: encrypted values are refused. */
  secret?: string;
  /** Read everything and say what would be done; write nothing. Defaults to false. */
  dryRun?: boolean;
  /** Also add the file's key and missing installations to applications an import did not create. Defaults to false. */
  updateExisting?: boolean;
  /** Set existing applications' name, declaration, allowed IPs and installation grants to the file's. Defaults to false. */
  overwrite?: boolean;
  /** Import keys shorter than Twake generated, flagged for rotation, instead of refusing the file. Defaults to false. */
  allowWeakKeys?: boolean;
  /**
   * Grants Twake honoured beyond the declaration (a name no longer declared, an empty capability list, null
   * privileges): `drop` them, or `declare` them on the application, granting exactly what Twake allowed
   * (`--twake-grants`). Defaults to `drop`.
   */
  undeclaredGrants?: UndeclaredGrants;
  /** Rows per transaction. Defaults to 5000. */
  batchSize?: number;
  /** Called as rows are written (and once at the end). */
  onProgress?: (done: number, total: number) => void;
  /** Called every 10,000 rows checked, before anything is written (the total is not known yet). */
  onChecked?: (rows: number) => void;
}

/** What happened (or, with `dryRun`, would happen) to one application. */
export type ApplicationAction = 'created' | 'resumed' | 'kept' | 'updated' | 'overwritten' | 'skipped';

/** One application's line in the report. */
export interface ApplicationReport {
  publicId: string;
  name: string;
  action: ApplicationAction;
  /** Translations and decisions about this application, one line each. */
  notes: string[];
}

/** The import's summary. */
export interface ImportReport {
  dryRun: boolean;
  applications: ApplicationReport[];
  counts: Record<ApplicationAction, number>;
  keysAdded: number;
  /** Public ids whose imported key is weak (imported with allowWeakKeys, flagged for rotation). */
  weakKeys: string[];
  installations: { read: number; written: number; orphans: number; ofSkippedApplications: number };
  /** Each rule of Twake's turned into explicit grants, with how many installations it applied to. */
  translations: Record<string, number>;
  /** How many cells were in each of Twake's forms. */
  decrypted: Record<TwakeForm, number>;
  /** Rows skipped, at most 1000 listed (`warningCount` has them all). */
  warnings: string[];
  warningCount: number;
}

/** An application of the file, checked, with what the import does to it. */
export interface PlannedApplication extends Omit<TwakeApplication, 'privateKey'> {
  digest: string;
  weak: boolean;
  action: ApplicationAction;
  id: string;
  existing: ExistingApplication | undefined;
  extra: { capabilities: Set<string>; privileges: Set<string> };
}

const MAX_WARNINGS = 1000;

async function* recordsOf(files: readonly string[]): AsyncGenerator<ExportRecord> {
  for (const file of files) yield* readExportFile(file);
}

const isInstallation = (record: ExportRecord): boolean => (record.table === undefined ? isInstallationRow(record.raw) : record.table === 'group_apps');

function decide(existing: ExistingApplication | undefined, options: ImportOptions): ApplicationAction {
  if (existing === undefined) return 'created';
  if (existing.importState === 'pending') return 'resumed';
  if (existing.importState === null && options.updateExisting !== true) return 'skipped';
  if (options.overwrite === true) return 'overwritten';
  return existing.importState === null || options.updateExisting === true ? 'updated' : 'kept';
}

/**
 * Imports `options.files` into `store` (null with `dryRun`, or a read-only one). Every record is checked
 * before anything is written: a bad one refuses the whole import ({@link TwakeImportError}). Writes are
 * batches of `batchSize` rows, each its own transaction: an import that stops half-way is resumed by
 * running it again (applications it created stay `pending` until it finishes).
 */
export async function runImport(store: Pick<ImportStore, 'existing'> & Partial<ImportStore>, options: ImportOptions): Promise<ImportReport> {
  const write = options.dryRun !== true;
  const batchSize = options.batchSize ?? 5000;
  const { cells, planned, installationCount } = await planImport(options);

  return runPlanned(store, options, write, batchSize, cells, planned, installationCount);
}

/**
 * Pass 1: checks every record of every file, keeping applications (with their key's digest only) and
 * counting installations. Throws a {@link TwakeImportError} listing every problem; writes nothing.
 */
export async function planImport(options: ImportOptions): Promise<{ cells: CellReader; planned: Map<string, PlannedApplication>; installationCount: number }> {
  const cells = new CellReader(options.secret);
  const problems: string[] = [];
  const planned = new Map<string, PlannedApplication>();
  let installationCount = 0;

  // Pass 1: check every record; keep applications (with their key's digest only), count installations.
  let checked = 0;
  for await (const record of recordsOf(options.files)) {
    checked += 1;
    if (checked % 10_000 === 0) options.onChecked?.(checked);
    if ('invalid' in record.raw && Object.keys(record.raw).length === 1) {
      problems.push(`${record.where}: not an object`);
    } else if (isInstallation(record)) {
      if (readInstallation(record.raw, record.where, cells, problems) !== null) installationCount += 1;
    } else {
      const application = readApplication(record.raw, record.where, cells, problems);
      if (application === null) continue;
      if (planned.has(application.publicId)) {
        problems.push(`${record.where}.id: ${JSON.stringify(application.publicId)} appears twice`);
        continue;
      }
      const { privateKey, ...rest } = application;
      const weak = privateKey.length < TWAKE_KEY_LENGTH[application.era];
      if (weak && options.allowWeakKeys !== true) {
        problems.push(`${record.where}: a key of ${privateKey.length} characters, shorter than Twake generated (${TWAKE_KEY_LENGTH[application.era]} in the ${application.era === 'php' ? 'PHP' : 'Node'} era): refused (--allow-weak-keys imports it flagged for rotation)`);
        continue;
      }
      planned.set(application.publicId, { ...rest, digest: digestKeyHex(privateKey), weak, action: 'created', id: randomUUID(), existing: undefined, extra: { capabilities: new Set(), privileges: new Set() } });
    }
  }
  if (problems.length > 0) throw new TwakeImportError(problems);
  return { cells, planned, installationCount };
}

async function runPlanned(
  store: Pick<ImportStore, 'existing'> & Partial<ImportStore>,
  options: ImportOptions,
  write: boolean,
  batchSize: number,
  cells: CellReader,
  planned: Map<string, PlannedApplication>,
  installationCount: number,
): Promise<ImportReport> {
  const report: ImportReport = {
    dryRun: !write,
    applications: [],
    counts: { created: 0, resumed: 0, kept: 0, updated: 0, overwritten: 0, skipped: 0 },
    keysAdded: 0,
    weakKeys: [],
    installations: { read: installationCount, written: 0, orphans: 0, ofSkippedApplications: 0 },
    translations: {},
    decrypted: cells.forms,
    warnings: [],
    warningCount: 0,
  };
  const warn = (line: string): void => {
    report.warningCount += 1;
    if (report.warnings.length < MAX_WARNINGS) report.warnings.push(line);
  };
  const total = planned.size + installationCount;
  let done = 0;
  const progress = (count: number): void => {
    done += count;
    options.onProgress?.(done, total);
  };

  // Applications: what exists decides what is done to each, then batches of creations, keys and overwrites.
  const all = [...planned.values()];
  for (let start = 0; start < all.length; start += batchSize) {
    const batch = all.slice(start, start + batchSize);
    const existing = await store.existing(batch.map((application) => application.publicId));
    const creations: NewApplication[] = [];
    const keys: Array<{ applicationId: string; keyId: string; digest: string; needsRotation: boolean }> = [];
    const overwrites: Array<{ id: string; name: string; capabilities: string; privileges: string; allowedIps: string }> = [];
    for (const application of batch) {
      application.existing = existing.get(application.publicId);
      application.action = decide(application.existing, options);
      if (application.existing !== undefined) application.id = application.existing.id;
      const fields = { name: application.name, capabilities: joinList(application.capabilities), privileges: joinList(application.privileges), allowedIps: joinList(application.allowedIps) };
      if (application.action === 'created') creations.push({ id: application.id, publicId: application.publicId, ...fields, keyId: randomUUID(), digest: application.digest, needsRotation: application.weak });
      else if (application.action !== 'kept' && application.action !== 'skipped') keys.push({ applicationId: application.id, keyId: randomUUID(), digest: application.digest, needsRotation: application.weak });
      if (application.action === 'overwritten') overwrites.push({ id: application.id, ...fields });
      if (application.action === 'skipped') warn(`application ${application.publicId} exists and was not created by an import: left as it is (--update-existing to add the file's key and installations)`);
      if (application.weak && application.action !== 'kept' && application.action !== 'skipped') report.weakKeys.push(application.publicId);
      report.counts[application.action] += 1;
      report.applications.push({ publicId: application.publicId, name: application.name, action: application.action, notes: application.notes });
    }
    if (write && store.createApplications !== undefined && store.addKeys !== undefined && store.overwriteApplications !== undefined) {
      await store.createApplications(creations);
      report.keysAdded += creations.length + (await store.addKeys(keys));
      await store.overwriteApplications(overwrites);
      if (overwrites.length > 0) await narrowInstallations(store, overwrites);
    } else report.keysAdded += creations.length + keys.length;
    progress(batch.length);
  }

  // Pass 2: installations, as Twake applied their grants, in batches.
  let rows: InstallationRow[] = [];
  const flush = async (): Promise<void> => {
    if (rows.length === 0) return;
    // One statement may not touch a row twice: the first of a repeated (application, company) wins, as Twake's findOneBy read one.
    const seen = new Set<string>();
    const unique = rows.filter((row) => {
      const key = `${row.applicationId}\n${row.companyId}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    if (write && store.writeInstallations !== undefined) report.installations.written += await store.writeInstallations(unique, options.overwrite === true);
    else report.installations.written += unique.length;
    progress(rows.length);
    rows = [];
  };
  const ignored = new Set<string>();
  // Pass 1 counted every cell already: a reader of its own, so that nothing is counted twice.
  const again = new CellReader(options.secret);
  for await (const record of recordsOf(options.files)) {
    if (!isInstallation(record)) continue;
    const installation = readInstallation(record.raw, record.where, again, []);
    if (installation === null) continue;
    const application = planned.get(installation.publicId);
    if (application === undefined) {
      report.installations.orphans += 1;
      warn(`${record.where}: application ${installation.publicId} is not in the export (deleted in Twake?): installation skipped`);
      progress(1);
      continue;
    }
    if (application.action === 'skipped' || application.action === 'kept') {
      report.installations.ofSkippedApplications += 1;
      progress(1);
      continue;
    }
    const grant = translateGrant({ ...application, privateKey: '' }, installation, options.undeclaredGrants);
    for (const rule of grant.rules) report.translations[rule] = (report.translations[rule] ?? 0) + 1;
    const undeclared = [...grant.undeclared.capabilities, ...grant.undeclared.privileges];
    if (undeclared.length > 0) {
      const rule = options.undeclaredGrants === 'declare' ? 'granted but no longer declared (Twake honoured it): added to the declaration' : 'granted but no longer declared (Twake honoured it): dropped';
      report.translations[rule] = (report.translations[rule] ?? 0) + 1;
      if (!ignored.has(application.publicId)) {
        ignored.add(application.publicId);
        application.notes.push(`${options.undeclaredGrants === 'declare' ? 'declared, as Twake honoured them' : 'dropped (Twake honoured them; --twake-grants keeps them)'}: grants of ${JSON.stringify(undeclared)} it no longer declares`);
      }
    }
    let { capabilities, privileges } = grant;
    if (options.undeclaredGrants === 'declare') {
      grant.undeclared.capabilities.forEach((name) => application.extra.capabilities.add(name));
      grant.undeclared.privileges.forEach((name) => application.extra.privileges.add(name));
    } else {
      capabilities = capabilities.filter((name) => !grant.undeclared.capabilities.includes(name));
      privileges = privileges.filter((name) => !grant.undeclared.privileges.includes(name));
    }
    rows.push({ applicationId: application.id, companyId: installation.companyId, grantedCapabilities: joinList(capabilities), grantedPrivileges: joinList(privileges) });
    if (rows.length >= batchSize) await flush();
  }
  await flush();

  if (write && store.setDeclarations !== undefined && store.finish !== undefined) {
    const declarations = all
      .filter((application) => application.extra.capabilities.size + application.extra.privileges.size > 0)
      .map((application) => {
        // Updated applications keep their stored declaration; the others hold the file's by now.
        const base = application.action === 'updated' || application.action === 'resumed' ? application.existing : undefined;
        return {
          id: application.id,
          capabilities: joinList([...new Set([...(base === undefined ? application.capabilities : splitList(base.capabilities)), ...application.extra.capabilities])]),
          privileges: joinList([...new Set([...(base === undefined ? application.privileges : splitList(base.privileges)), ...application.extra.privileges])]),
        };
      });
    for (let start = 0; start < declarations.length; start += batchSize) await store.setDeclarations(declarations.slice(start, start + batchSize));
    await store.finish();
  }
  options.onProgress?.(total, total);
  return report;
}

/** Overwritten declarations narrow the installations the file does not name, as `app set` does. */
async function narrowInstallations(store: Partial<ImportStore>, applications: ReadonlyArray<{ id: string; capabilities: string; privileges: string }>): Promise<void> {
  if (store.installationsOf === undefined || store.writeInstallations === undefined) return;
  const declared = new Map(applications.map((application) => [application.id, application]));
  const narrowed: InstallationRow[] = [];
  for (const row of await store.installationsOf([...declared.keys()])) {
    const application = declared.get(row.applicationId);
    if (application === undefined) continue;
    const within = (granted: string, names: string) => joinList(splitList(granted).filter((name) => splitList(names).includes(name)));
    const next = { ...row, grantedCapabilities: within(row.grantedCapabilities, application.capabilities), grantedPrivileges: within(row.grantedPrivileges, application.privileges) };
    if (next.grantedCapabilities !== row.grantedCapabilities || next.grantedPrivileges !== row.grantedPrivileges) narrowed.push(next);
  }
  await store.writeInstallations(narrowed, true);
}
