// Encrypts values the way Twake stored them (PHP TwakeTextType legacy form, Node crypto v1 and v2, encoded_json), for import fixtures.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** A test secret in the form both Twake backends configure it (hex, like Parameters.php.dist's db.encryption_key). */
export const TEST_TWAKE_SECRET = '5f1c0a9e3b7d2468ace0135792468ace013579bdf2468ace';

/** v2 `iv:tag:data`: AES-256-GCM, key = first 32 hex characters of SHA-256(secret), payload JSON-encoded. */
export function encryptV2(value: unknown, secret = TEST_TWAKE_SECRET): string {
  const key = createHash('sha256').update(secret).digest('hex').slice(0, 32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = cipher.update(JSON.stringify(value), 'utf8', 'base64') + cipher.final('base64');
  return `${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data}`;
}

/** v1 `iv:data`: AES-256-CBC, key = first 32 base64 characters of SHA-256(secret), hex, payload JSON-encoded. */
export function encryptV1(value: unknown, secret = TEST_TWAKE_SECRET): string {
  const key = createHash('sha256').update(secret).digest('base64').slice(0, 32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return `${iv.toString('hex')}:${Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]).toString('hex')}`;
}

/** Legacy `encrypted_data_salt_iv` (PHP convertToDatabaseValue): AES-256-CBC, key = secret bytes + salt, the text itself. */
export function encryptLegacy(value: string, secret = TEST_TWAKE_SECRET, { salted = true } = {}): string {
  const salt = salted ? randomBytes(16).toString('hex') : '';
  const iv = salted ? randomBytes(16) : Buffer.from('twake_constantiv');
  const key = Buffer.alloc(32);
  Buffer.concat([Buffer.from(secret, 'hex'), Buffer.from(salt)]).copy(key, 0, 0, 32);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = `encrypted_${Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]).toString('base64')}`;
  return salted ? `${data}_${salt}_${iv.toString('base64')}` : data;
}

/** The Node backend's encoded_json column: JSON text of the value, encrypted in v2 (which JSON-encodes it again). */
export const encodedJson = (value: unknown, secret = TEST_TWAKE_SECRET): string => encryptV2(JSON.stringify(value), secret);

/** A key as PHP's Application::generatePrivateApiKey made it (136 characters). */
export const phpKey = (): string => randomBytes(100).toString('base64').replace(/[+/=]/g, 'x');
/** A key as the Node backend made it (44 characters). */
export const nodeKey = (): string => randomBytes(32).toString('base64');
