// Reads DATABASE_URL: which provider it names, and how to show it without its password.

/** The databases we ship migrations for. */
export type Provider = 'sqlite' | 'postgresql';

/** Default database: an SQLite file under the current directory. */
export const DEFAULT_DATABASE_URL = 'file:./data/twake-app-auth.db';

/** The provider a URL names; throws for anything else. */
export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) return 'postgresql';
  throw new Error('DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL).');
}

/** The SQLite file path of a `file:` URL (query parameters dropped). */
export function sqlitePath(url: string): string {
  return url.slice('file:'.length).replace(/\?.*$/, '');
}

/** The URL with any password replaced by `***`, for logs. */
export function redactDatabaseUrl(url: string): string {
  if (providerOf(url) === 'sqlite') return url;
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgresql://(unparsable URL)';
  }
}
