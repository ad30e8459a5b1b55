// What the import writes through, one batch per transaction: the rows it needs, nothing else.
/** An application already in the database. */
export interface ExistingApplication {
  readonly id: string;
  /** `pending`: created by an import that has not finished; `done`: by one that has; null: not by an import. */
  readonly importState: string | null;
  readonly capabilities: string;
  readonly privileges: string;
}

/** An application to create, with its key (stored as its digest). */
export interface NewApplication {
  id: string;
  publicId: string;
  name: string;
  capabilities: string;
  privileges: string;
  allowedIps: string;
  keyId: string;
  digest: string;
  needsRotation: boolean;
}

/** An installation row. */
export interface InstallationRow {
  applicationId: string;
  companyId: string;
  grantedCapabilities: string;
  grantedPrivileges: string;
}

/** Writes of an import; each method is one transaction, so a failure loses at most one batch. */
export interface ImportStore {
  /** The applications among `publicIds` that exist already. */
  existing(publicIds: readonly string[]): Promise<Map<string, ExistingApplication>>;
  /** Creates applications (marked `pending`) with their keys. */
  createApplications(rows: readonly NewApplication[]): Promise<void>;
  /** Adds each key whose digest the application does not hold yet; resolves how many were added. */
  addKeys(rows: ReadonlyArray<{ applicationId: string; keyId: string; digest: string; needsRotation: boolean }>): Promise<number>;
  /** Sets name, declaration and allowed IPs (with --overwrite). */
  overwriteApplications(rows: ReadonlyArray<{ id: string; name: string; capabilities: string; privileges: string; allowedIps: string }>): Promise<void>;
  /** Sets what applications declare (names Twake honoured beyond the declaration, with --declare-undeclared-grants). */
  setDeclarations(rows: ReadonlyArray<{ id: string; capabilities: string; privileges: string }>): Promise<void>;
  /** Inserts installations; an existing one keeps its grants unless `overwrite`. Resolves how many rows changed. */
  writeInstallations(rows: readonly InstallationRow[], overwrite: boolean): Promise<number>;
  /** The installations of some applications, to narrow them to a new declaration. */
  installationsOf(applicationIds: readonly string[]): Promise<InstallationRow[]>;
  /** Marks every application this import created as finished. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Prisma's DateTime text on SQLite (ISO 8601 with an explicit UTC offset), which it reads back. */
export const sqliteNow = (): string => new Date().toISOString().replace('Z', '+00:00');
