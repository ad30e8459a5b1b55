// What a migration's SQL creates (tables and their columns, added columns, indexes, triggers), read from the SQL itself.
/** The objects one migration creates, by name. */
export interface MigrationObjects {
  /** Table → the columns it must have (created with the table or added to it later). */
  readonly columns: ReadonlyMap<string, readonly string[]>;
  readonly indexes: readonly string[];
  readonly triggers: readonly string[];
}

const CREATE_TABLE = /CREATE TABLE (?:IF NOT EXISTS )?"(\w+)"\s*\(([\s\S]*?)\n\);/g;
// A column definition is a line that starts with a quoted name; constraints start with a keyword.
const COLUMN = /^[ \t]*"(\w+)"[ \t]+\w/gm;
const ALTER_TABLE = /ALTER TABLE "(\w+)"([\s\S]*?);/g;
const ADD_COLUMN = /ADD COLUMN\s+"(\w+)"/g;
const CREATE_INDEX = /CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"(\w+)"/g;
const CREATE_TRIGGER = /CREATE (?:OR REPLACE )?TRIGGER "(\w+)"/g;

/**
 * Reads the objects of a migration written the way `prisma migrate diff` writes SQL (quoted names, one
 * column per line), which is how every migration the library ships is authored.
 */
export function migrationObjects(sql: string): MigrationObjects {
  const columns = new Map<string, string[]>();
  for (const [, table = '', body = ''] of sql.matchAll(CREATE_TABLE)) columns.set(table, [...body.matchAll(COLUMN)].map((match) => match[1] ?? ''));
  for (const [, table = '', body = ''] of sql.matchAll(ALTER_TABLE)) {
    for (const [, column = ''] of body.matchAll(ADD_COLUMN)) columns.set(table, [...(columns.get(table) ?? []), column]);
  }
  const names = (pattern: RegExp) => [...sql.matchAll(pattern)].map((match) => match[1] ?? '');
  return { columns, indexes: names(CREATE_INDEX), triggers: names(CREATE_TRIGGER) };
}

/** What a database holds of a migration's objects. */
export type MigrationPresence = { state: 'present' } | { state: 'absent' } | { state: 'partial'; missing: string[] };

/** Compares a migration's objects with what the database holds (`has` answers for one name, e.g. `table.column`). */
export function presenceOf(objects: MigrationObjects, has: { columns(table: string): ReadonlySet<string>; index(name: string): boolean; trigger(name: string): boolean }): MigrationPresence {
  const wanted: Array<[string, boolean]> = [];
  for (const [table, columns] of objects.columns) {
    const found = has.columns(table);
    for (const column of columns) wanted.push([`${table}.${column}`, found.has(column)]);
  }
  for (const index of objects.indexes) wanted.push([`index ${index}`, has.index(index)]);
  for (const trigger of objects.triggers) wanted.push([`trigger ${trigger}`, has.trigger(trigger)]);
  const missing = wanted.filter(([, found]) => !found).map(([name]) => name);
  if (missing.length === 0) return { state: 'present' };
  if (missing.length === wanted.length) return { state: 'absent' };
  return { state: 'partial', missing };
}
