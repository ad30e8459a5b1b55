// Decrypts Twake's encrypted columns: PHP's TwakeTextType forms and the Node backend's encoded_string / encoded_json.
import { createDecipheriv, createHash } from 'node:crypto';

/** Which of Twake's forms a value was stored in. */
export type TwakeForm = 'v2' | 'v1' | 'legacy' | 'plain';

/** A value that looks encrypted but does not decrypt with the secret given. */
export class TwakeDecryptionError extends Error {
  constructor(readonly form: Exclude<TwakeForm, 'plain'>) {
    super(`a ${form} encrypted value does not decrypt with this secret (wrong --twake-secret?)`);
    this.name = 'TwakeDecryptionError';
  }
}

// Twake's default IV for legacy values written without one (PHP TwakeTextType, Node crypto/legacy).
const LEGACY_DEFAULT_IV = Buffer.from('twake_constantiv', 'utf8');
// Both backends read this literal IV text as the IV itself (salts disabled).
const ZERO_IV_TEXT = '0000000000000000';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * The secret as both backends configure it: hex text (`db.encryption_key` in PHP's Parameters.php,
 * `database.secret` in the Node backend). PHP packs it to bytes and unpacks it back to lower-case hex
 * before hashing; Node hashes the text as written. Both hash to the same key for lower-case hex.
 */
function v2Key(secret: string): Buffer {
  return Buffer.from(createHash('sha256').update(secret).digest('hex').slice(0, 32), 'utf8');
}
function v1Key(secret: string): Buffer {
  return Buffer.from(createHash('sha256').update(secret).digest('base64').slice(0, 32), 'utf8');
}
function legacyKey(secret: string, salt: string): Buffer {
  // openssl_encrypt truncates a longer key and pads a shorter one with zero bytes, as Buffer.concat(…, 32) does.
  const bytes = Buffer.concat([Buffer.from(secret, 'hex'), Buffer.from(salt, 'utf8')]);
  const key = Buffer.alloc(32);
  bytes.copy(key, 0, 0, 32);
  return key;
}
const ivOf = (text: string, encoding: 'hex' | 'base64'): Buffer => (text === ZERO_IV_TEXT ? Buffer.from(text, 'utf8') : Buffer.from(text, encoding));

function decryptV2(parts: string[], secret: string): unknown {
  const [iv = '', tag = '', data = ''] = parts;
  const decipher = createDecipheriv('aes-256-gcm', v2Key(secret), ivOf(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  return JSON.parse(text) as unknown;
}

function decryptV1(parts: string[], secret: string): unknown {
  const [iv = '', data = ''] = parts;
  const decipher = createDecipheriv('aes-256-cbc', v1Key(secret), ivOf(iv, 'hex'));
  const text = Buffer.concat([decipher.update(Buffer.from(data, 'hex')), decipher.final()]).toString('utf8');
  return JSON.parse(text) as unknown;
}

function decryptLegacy(value: string, secret: string): string {
  const [data = '', salt = '', iv] = value.slice('encrypted_'.length).split('_');
  const decipher = createDecipheriv('aes-256-cbc', legacyKey(secret, salt), iv === undefined || iv === '' ? LEGACY_DEFAULT_IV : Buffer.from(iv, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}

/** The form `value` is written in, by its shape alone (no secret needed). */
export function formOf(value: string): TwakeForm {
  if (value.startsWith('encrypted_')) return 'legacy';
  const parts = value.split(':');
  // A 16-byte GCM tag is 24 base64 characters: an IPv6 address never looks like this.
  if (parts.length === 3 && parts[1]?.length === 24 && parts.every((part) => part !== '' && BASE64.test(part))) return 'v2';
  if (parts.length === 2 && (parts[0] === ZERO_IV_TEXT || (HEX.test(parts[0] ?? '') && parts[0]?.length === 32)) && HEX.test(parts[1] ?? '')) return 'v1';
  return 'plain';
}

/**
 * Decrypts one stored value the way Twake reads it: v2 (`iv:tag:data`, AES-256-GCM), then v1 (`iv:data`,
 * AES-256-CBC), then legacy (`encrypted_…`); anything else is plain text. v1 and v2 hold JSON (decoded
 * here); legacy holds the text itself. A value shaped like an encrypted form that does not decrypt is an
 * error, never read as plain text (Twake would have, and kept the ciphertext as the key).
 */
export function decryptTwakeValue(value: string, secret: string | undefined): { value: unknown; form: TwakeForm } {
  const form = formOf(value);
  if (form === 'plain') return { value, form };
  if (secret === undefined) throw new TwakeDecryptionError(form);
  try {
    if (form === 'v2') return { value: decryptV2(value.split(':'), secret), form };
    if (form === 'v1') return { value: decryptV1(value.split(':'), secret), form };
    return { value: decryptLegacy(value, secret), form };
  } catch {
    throw new TwakeDecryptionError(form);
  }
}
