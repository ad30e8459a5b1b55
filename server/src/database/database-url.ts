// Reads DATABASE_URL: which provider it names, and how to show it without its secrets.

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
  const path = url.slice('file:'.length);
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

// Query parameters that carry a secret: libpq's `password`, `sslpassword` (the client key's passphrase)
// and `oauth_client_secret`, and any other name saying so. Paths (`sslkey`, `sslcert`, `passfile`) and
// settings stay: they help diagnose and give nothing away.
const SECRET_PARAMETER = /password|passwd|passphrase|secret|token|credential|^pass$|^pwd$/i;

/** Whether a (decoded) query parameter name carries a secret. */
export function isSecretParameter(name: string): boolean {
  return SECRET_PARAMETER.test(name);
}

// `a=1&password=x` → `a=1&password=***`. Names are decoded as the drivers decode them (URLSearchParams),
// so `pass%77ord` or `PASSWORD` are caught too; everything else is kept as written.
function redactQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals < 0) return part;
      const name = new URLSearchParams(part).keys().next().value ?? '';
      return isSecretParameter(name) ? `${part.slice(0, equals)}=***` : part;
    })
    .join('&');
}

/** The URL with its password and every secret query parameter replaced by `***`, for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  if (providerOf(url) === 'sqlite') {
    const question = url.indexOf('?');
    return question < 0 ? url : `${url.slice(0, question + 1)}${redactQuery(url.slice(question + 1))}`;
  }
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.search !== '') parsed.search = redactQuery(parsed.search.slice(1));
    // No driver reads a fragment; one here is most likely the end of a password cut at its `#`.
    if (parsed.hash !== '') parsed.hash = '***';
    return parsed.toString();
  } catch {
    return 'postgresql://(unparsable URL)';
  }
}
