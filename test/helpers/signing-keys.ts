// The server's assertion signing keys, read from its SQLite file, to forge tokens a test controls.
import Database from 'better-sqlite3';
import { SignJWT, importJWK, type JWK } from 'jose';
import { sqlitePath } from '../../server/src/database/database-url';

/** One stored signing key, as the table holds it. */
export interface StoredSigningKey {
  id: string;
  private_jwk: string;
  public_jwk: string;
}

/** The signing keys of the SQLite database at `env.DATABASE_URL`, oldest first. */
export function storedSigningKeys(env: NodeJS.ProcessEnv): StoredSigningKey[] {
  const database = new Database(sqlitePath(env.DATABASE_URL as string), { readonly: true });
  try {
    return database.prepare('SELECT id, private_jwk, public_jwk FROM signing_keys ORDER BY active_from').all() as StoredSigningKey[];
  } finally {
    database.close();
  }
}

/** A token with `claims`, signed with a stored EdDSA key, typed as an assertion unless `header` says otherwise. */
export async function signWithStoredKey(key: StoredSigningKey | undefined, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  if (key === undefined) throw new Error('no stored signing key');
  const privateKey = await importJWK(JSON.parse(key.private_jwk) as JWK, 'EdDSA');
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.id, typ: 'twake-assertion+jwt', ...header }).sign(privateKey);
}
