// The keys that sign assertions: kept in the database so that every instance signs with the same ones,
// published (public halves only) at /.well-known/jwks.json, rotated with a grace period.
import { generateKeyPairSync } from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';
import { jose } from './jose';

/** Asymmetric algorithms a key can be generated for. @public */
export type SigningAlgorithm = 'EdDSA' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];

/** One stored signing key (a row of `signing_keys`). */
export interface SigningKeyRow {
  id: string;
  algorithm: string;
  privateJwk: string;
  publicJwk: string;
  activeFrom: Date;
  retiresAt: Date | null;
}

/** A JSON Web Key Set as published. @public */
export interface PublishedKeySet {
  keys: JWK[];
}

/** The key an assertion is signed with now. */
export interface CurrentKey {
  /** Absent for a shared secret. */
  readonly kid?: string;
  readonly alg: SigningAlgorithm | 'HS256';
  readonly key: CryptoKey | Uint8Array;
}

/** Where the signer takes its key and the server its published key set. */
export interface SigningKeyRing {
  /** The key to sign with now; null when none is usable (the pass then fails closed). */
  current(): CurrentKey | null;
  /** The public keys to publish: every key not yet retired, including one waiting to start signing. */
  published(): PublishedKeySet;
  close(): void;
}

const isPublished = (row: SigningKeyRow, now: number) => row.retiresAt === null || row.retiresAt.getTime() > now;

/** The row that signs at `now`: the published key that started signing last (ties: the greatest id). */
export function signingRowAt(rows: readonly SigningKeyRow[], now: number): SigningKeyRow | null {
  let chosen: SigningKeyRow | null = null;
  for (const row of rows) {
    if (!isPublished(row, now) || row.activeFrom.getTime() > now) continue;
    const later = chosen === null || row.activeFrom.getTime() > chosen.activeFrom.getTime() || (row.activeFrom.getTime() === chosen.activeFrom.getTime() && row.id > chosen.id);
    if (later) chosen = row;
  }
  return chosen;
}


/** A new key pair for `algorithm`, as a row to store; its id is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(algorithm: SigningAlgorithm, activeFrom: Date): Promise<SigningKeyRow> {
  const pair = algorithm === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const id = await jose().calculateJwkThumbprint(publicJwk, 'sha256');
  const described = { kid: id, alg: algorithm, use: 'sig' };
  return {
    id,
    algorithm,
    privateJwk: JSON.stringify({ ...(pair.privateKey.export({ format: 'jwk' }) as JWK), ...described }),
    publicJwk: JSON.stringify({ ...publicJwk, ...described }),
    activeFrom,
    retiresAt: null,
  };
}

/** What the key ring and the CLI ask Prisma for, typed once for both generated clients. */
export interface SigningKeyPrismaLike {
  signingKey: {
    findMany(args?: { orderBy?: { activeFrom: 'asc' | 'desc' } }): PromiseLike<SigningKeyRow[]>;
    create(args: { data: SigningKeyRow }): PromiseLike<unknown>;
    updateMany(args: { where: { id?: { not: string }; retiresAt: null }; data: { retiresAt: Date } }): PromiseLike<{ count: number }>;
  };
}

/** Options of {@link openDatabaseKeyRing}. */
export interface DatabaseKeyRingOptions {
  /** Algorithm of a key generated when none is published. Defaults to EdDSA. */
  algorithm?: SigningAlgorithm;
  /** How often to reread the keys (to follow a rotation made elsewhere), in milliseconds. Defaults to 15000. */
  refreshMs?: number;
  /** Told when a reread fails; the keys read last stay in use. */
  onError?: (error: unknown) => void;
  /** The clock, for tests. */
  now?: () => number;
}

/** A stored key this build can use: its public JWK read and its private key imported. */
interface UsableKey {
  readonly row: SigningKeyRow;
  readonly publicJwk: JWK;
  readonly current: CurrentKey;
}

/**
 * The rows whose keys can be used, each imported once (kept in `imported` across rereads). A row this
 * build cannot use (another algorithm, a JWK that does not import) is reported and left out, so that it
 * neither signs nor is published, and never stops the others.
 */
async function usableKeys(rows: readonly SigningKeyRow[], imported: Map<string, UsableKey>, onError: (error: unknown) => void): Promise<UsableKey[]> {
  const usable: UsableKey[] = [];
  for (const row of rows) {
    let key = imported.get(row.id);
    if (key === undefined) {
      try {
        if (!SIGNING_ALGORITHMS.includes(row.algorithm as SigningAlgorithm)) throw new Error(`algorithm ${JSON.stringify(row.algorithm)} is not EdDSA or ES256`);
        const privateKey = (await jose().importJWK(JSON.parse(row.privateJwk) as JWK, row.algorithm)) as CryptoKey;
        const publicJwk = JSON.parse(row.publicJwk) as JWK;
        if (typeof publicJwk !== 'object' || publicJwk === null || 'd' in publicJwk) throw new Error('its public JWK is not a public key');
        key = { row, publicJwk, current: { kid: row.id, alg: row.algorithm as SigningAlgorithm, key: privateKey } };
        imported.set(row.id, key);
      } catch (error) {
        onError(new Error(`twake-app-auth: signing key ${JSON.stringify(row.id)} cannot be used and is ignored`, { cause: error }));
        continue;
      }
    }
    // Dates may change (a rotation schedules retirement): the row read last wins.
    usable.push({ ...key, row });
  }
  return usable;
}

/**
 * Reads the stored keys, generating one first when none usable is published (first start), and rereads
 * them every `refreshMs`. Two instances starting together may each generate one: both are published, and
 * the same one signs on both once each has reread.
 */
export async function openDatabaseKeyRing(prisma: SigningKeyPrismaLike, options: DatabaseKeyRingOptions = {}): Promise<SigningKeyRing> {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const imported = new Map<string, UsableKey>();
  let keys = await usableKeys(await prisma.signingKey.findMany(), imported, onError);
  if (!keys.some((key) => isPublished(key.row, now()))) {
    await prisma.signingKey.create({ data: await generateSigningKey(options.algorithm ?? 'EdDSA', new Date(now())) });
    keys = await usableKeys(await prisma.signingKey.findMany(), imported, onError);
  }
  const reread = async () => {
    try {
      keys = await usableKeys(await prisma.signingKey.findMany(), imported, onError);
    } catch (error) {
      onError(error);
    }
  };
  const timer = setInterval(() => void reread(), options.refreshMs ?? 15_000);
  timer.unref();
  const rowsOf = () => keys.map((key) => key.row);
  return {
    current() {
      const row = signingRowAt(rowsOf(), now());
      return row === null ? null : (keys.find((key) => key.row.id === row.id)?.current ?? null);
    },
    published: () => ({ keys: keys.filter((key) => isPublished(key.row, now())).map((key) => key.publicJwk) }),
    close: () => clearInterval(timer),
  };
}

/** Shortest shared secret accepted for HS256, in bytes (RFC 7518 §3.2: at least the hash size). */
export const MIN_SECRET_BYTES = 32;

/**
 * A ring holding one shared secret (HS256): nothing to publish, and any holder of the secret can sign
 * assertions, every backend included. See docs/security.md for the trade-off.
 */
export function secretKeyRing(secret: string | Uint8Array): SigningKeyRing {
  const current: CurrentKey = { alg: 'HS256', key: secretBytes(secret) };
  return { current: () => current, published: () => ({ keys: [] }), close: () => undefined };
}

/** A shared secret as the bytes HS256 keys with (a string as UTF-8); throws below {@link MIN_SECRET_BYTES}. */
export function secretBytes(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.length < MIN_SECRET_BYTES) throw new TypeError(`twake-app-auth: an assertion secret needs at least ${MIN_SECRET_BYTES} bytes.`);
  return key;
}

/** Options of {@link rotateSigningKeys}. */
export interface RotateOptions {
  algorithm?: SigningAlgorithm;
  /** Seconds the new key is published before it signs (so verifiers already hold it). Defaults to 60. */
  activateInSeconds?: number;
  /** Seconds the previous keys stay published once the new key signs. Defaults to 3600. */
  graceSeconds?: number;
  now?: () => number;
}

/** Adds a new signing key and schedules the retirement of every current one. */
export async function rotateSigningKeys(prisma: SigningKeyPrismaLike, options: RotateOptions = {}): Promise<{ id: string; activeFrom: Date; previousRetireAt: Date; retired: number }> {
  const now = (options.now ?? Date.now)();
  const activeFrom = new Date(now + (options.activateInSeconds ?? 60) * 1000);
  const row = await generateSigningKey(options.algorithm ?? 'EdDSA', activeFrom);
  await prisma.signingKey.create({ data: row });
  const previousRetireAt = new Date(activeFrom.getTime() + (options.graceSeconds ?? 3600) * 1000);
  const { count } = await prisma.signingKey.updateMany({ where: { id: { not: row.id }, retiresAt: null }, data: { retiresAt: previousRetireAt } });
  return { id: row.id, activeFrom, previousRetireAt, retired: count };
}
