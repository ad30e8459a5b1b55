// Turns one exported Twake row (PHP `application` / `group_app`, Node `applications` / `group_app`) into what to import.
import { InvalidAllowedIpError, normaliseAllowedIps } from 'twake-app-auth';
import { hasInvisibleCharacters, isValidCompanyId, MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH } from 'twake-app-auth/internal';
import { decryptTwakeValue, TwakeDecryptionError, type TwakeForm } from './twake-crypto';
import { translateAccess } from './node-scopes';

/**
 * Shortest key each Twake backend generated: PHP `base64_encode(random_bytes(100))` (136 characters,
 * Application::generatePrivateApiKey), Node `randomBytes(32).toString("base64")` (44, applications
 * controller). A shorter key was set by hand and is weak.
 */
export const TWAKE_KEY_LENGTH = { php: 136, node: 44 } as const;

/** One application read from an export. */
export interface TwakeApplication {
  readonly publicId: string;
  readonly name: string;
  readonly privateKey: string;
  readonly capabilities: string[];
  readonly privileges: string[];
  readonly allowedIps: string[];
  /** The developer company (`group_id`): Twake let the application use all it declares there. */
  readonly developerCompany: string | null;
  readonly era: 'php' | 'node';
  readonly notes: string[];
}

/** One installation read from an export; null lists: the column was absent or null. */
export interface TwakeInstallation {
  readonly publicId: string;
  readonly companyId: string;
  readonly capabilities: string[] | null;
  readonly privileges: string[] | null;
  /** The row carried grant columns (PHP era); Node-era rows never did. */
  readonly hasGrantColumns: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads cells: decrypts with the secret and counts each form met. */
export class CellReader {
  readonly forms: Record<TwakeForm, number> = { v2: 0, v1: 0, legacy: 0, plain: 0 };
  constructor(private readonly secret: string | undefined) {}

  /** A stored value, decrypted when it is in one of Twake's encrypted forms. */
  decrypt(value: unknown): unknown {
    if (typeof value !== 'string') return value;
    const { value: plain, form } = decryptTwakeValue(value, this.secret);
    this.forms[form] += 1;
    return plain;
  }

  /**
   * A JSON column: Node's `json` is JSON text in MongoDB and Cassandra, `encoded_json` is JSON text encrypted
   * (whose v1/v2 payload is that text JSON-encoded once more); PHP's lists are json_encode'd text.
   */
  json(value: unknown): unknown {
    let current = this.decrypt(value);
    // At most twice: encoded_json's payload is JSON text of JSON text.
    for (let depth = 0; depth < 2 && typeof current === 'string'; depth += 1) {
      const text = current.trim();
      if (!/^[[{"]|^null$/.test(text)) break;
      try {
        current = JSON.parse(text) as unknown;
      } catch {
        break;
      }
    }
    return current;
  }
}

/**
 * Time UUIDs as Twake's databases hold them, back in the form applications send: MongoDB reorders them
 * for sorting (time_hi-time_mid-time_low-…, Node's toMongoDbOrderable); PHP on MySQL stores Ramsey's
 * ordered-time binary as 32 hex digits (MysqlTimeUUIDType: time_hi, time_mid, time_low, then the rest).
 */
export function uuidFromStore(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const binary = /^(1[0-9a-f]{3})([0-9a-f]{4})([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{12})$/i.exec(value);
  if (binary !== null) return `${binary[3]}-${binary[2]}-${binary[1]}-${binary[4]}-${binary[5]}`;
  const orderable = /^([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{8})-([0-9a-f]{4}-[0-9a-f]{12})$/i.exec(value);
  return orderable === null ? value : `${orderable[3]}-${orderable[2]}-${orderable[1]}-${orderable[4]}`;
}

// PHP json_encode'd lists, Node arrays, JSON text, or comma/space-separated text.
function listOf(value: unknown): string[] | null {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.every((item) => typeof item === 'string') ? value.map((item: string) => item.trim()).filter((item) => item !== '') : null;
  if (typeof value !== 'string') return null;
  return value.split(/[\s,;]+/).filter((item) => item !== '');
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
const unique = (names: string[]): string[] => [...new Set(names)];

/** Reads an application row; problems are pushed (prefixed with `where`) and null returned. */
export function readApplication(raw: Json, where: string, cells: CellReader, problems: string[]): TwakeApplication | null {
  const start = problems.length;
  const notes: string[] = [];
  const field = <T>(name: string, read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof TwakeDecryptionError)) throw error;
      problems.push(`${where}.${name}: ${error.message}`);
      return fallback;
    }
  };
  const identity = field('identity', () => cells.json(raw.identity), null);
  const api = field('api', () => cells.json(raw.api), null);
  const access = field('access', () => cells.json(raw.access), null);
  const era = isObject(api) || isObject(identity) || isObject(access) ? 'node' : 'php';
  const publicId = text(uuidFromStore(raw.id));
  const name = text(field('name', () => cells.decrypt(raw.name), null)) ?? (isObject(identity) ? text(identity.name) : null);
  const keyCell = raw.api_private_key !== undefined ? field('api_private_key', () => cells.decrypt(raw.api_private_key), null) : isObject(api) ? api.private_key : null;
  const privateKey = typeof keyCell === 'string' ? keyCell : null;
  if (publicId === null || publicId.length > MAX_PUBLIC_ID_LENGTH || !/^[\x21-\x39\x3b-\x7e]+$/.test(publicId)) problems.push(`${where}.id: missing or not a valid public id`);
  if (name === null || hasInvisibleCharacters(name, { allowJoiners: true }) || [...name].length > 200) problems.push(`${where}: missing or invalid name`);
  if (privateKey === null || privateKey === '' || privateKey.length > MAX_PRIVATE_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(privateKey)) problems.push(`${where}: missing or invalid private key`);

  // PHP: capabilities / privileges columns. Node: access.write and access.delete (capabilities), access.read (privileges).
  const lists: Array<['read' | 'write' | 'delete', unknown, string]> = [];
  if (raw.capabilities !== undefined || raw.privileges !== undefined) {
    lists.push(['write', field('capabilities', () => cells.json(raw.capabilities), null), 'capabilities'], ['read', field('privileges', () => cells.json(raw.privileges), null), 'privileges']);
  } else if (isObject(access)) {
    lists.push(['write', access.write, 'access.write'], ['delete', access.delete ?? access.remove, 'access.delete'], ['read', access.read, 'access.read']);
    if (access.capabilities !== undefined) lists.push(['write', access.capabilities, 'access.capabilities']);
    if (access.privileges !== undefined) lists.push(['read', access.privileges, 'access.privileges']);
  }
  const capabilities: string[] = [];
  const privileges: string[] = [];
  for (const [verb, value, label] of lists) {
    const names = listOf(value);
    if (names === null) {
      problems.push(`${where}.${label}: not a list of names`);
      continue;
    }
    const translated = translateAccess(verb, names);
    capabilities.push(...translated.capabilities);
    privileges.push(...translated.privileges);
    notes.push(...translated.notes);
  }

  const ipsCell = raw.api_allowed_ip !== undefined ? field('api_allowed_ip', () => cells.json(raw.api_allowed_ip), null) : isObject(api) ? cells.json(api.allowed_ips ?? api.allowed_ip) : null;
  let allowedIps: string[] = [];
  const ips = listOf(ipsCell);
  try {
    if (ips === null) throw new InvalidAllowedIpError(String(ipsCell));
    allowedIps = normaliseAllowedIps(ips);
  } catch (error) {
    if (!(error instanceof InvalidAllowedIpError)) throw error;
    // Twake's PHP backend stored the developer's free text and never read it back (getAppFromRequest
    // ignores the caller's address): what cannot be read is dropped and reported, not a refused file.
    if (era === 'php' && ips !== null) {
      const readable = ips.filter((entry) => isReadableAllowedIp(entry));
      allowedIps = normaliseAllowedIps(readable.includes('*') ? ['*'] : readable);
      notes.push(`allowed IPs ${JSON.stringify(ips.filter((entry) => !readable.includes(entry)).join(', ').slice(0, 80))} dropped: not addresses, CIDR ranges or * (Twake's PHP backend never checked them)`);
    } else problems.push(`${where}: allowed IPs ${JSON.stringify(String(ipsCell).slice(0, 80))} are not addresses, CIDR ranges or *`);
  }
  const developer = text(uuidFromStore(raw.group_id ?? raw.company_id));
  if (problems.length > start || publicId === null || name === null || privateKey === null) return null;
  return { publicId, name, privateKey, capabilities: unique(capabilities), privileges: unique(privileges), allowedIps, developerCompany: developer, era, notes: unique(notes) };
}

/** Whether a row is a group_app (an installation) rather than an application. */
export function isInstallationRow(raw: Json): boolean {
  return raw.app_id !== undefined || raw.application_id !== undefined;
}

/** Reads a group_app row (PHP `group_id` / `app_id`, Node entity `company_id` / `application_id`). */
export function readInstallation(raw: Json, where: string, cells: CellReader, problems: string[]): TwakeInstallation | null {
  const start = problems.length;
  const publicId = text(uuidFromStore(raw.app_id ?? raw.application_id));
  const companyId = text(uuidFromStore(raw.group_id ?? raw.company_id));
  if (publicId === null) problems.push(`${where}.app_id: missing`);
  if (!isValidCompanyId(companyId) || hasInvisibleCharacters(companyId)) problems.push(`${where}.group_id: missing or not a valid company id`);
  const grantList = (name: 'capabilities' | 'privileges'): string[] | null => {
    let value: unknown;
    try {
      value = cells.json(raw[name]);
    } catch (error) {
      if (!(error instanceof TwakeDecryptionError)) throw error;
      problems.push(`${where}.${name}: ${error.message}`);
      return null;
    }
    if (value === undefined || value === null) return null;
    const names = listOf(value);
    if (names === null) problems.push(`${where}.${name}: not a list of names`);
    return names;
  };
  const hasGrantColumns = raw.capabilities !== undefined || raw.privileges !== undefined;
  const capabilities = grantList('capabilities');
  const privileges = grantList('privileges');
  if (problems.length > start || publicId === null || companyId === null) return null;
  return { publicId, companyId, capabilities, privileges, hasGrantColumns };
}

/** Whether one allowed-IP entry reads as an address, a CIDR range or `*`. */
function isReadableAllowedIp(entry: string): boolean {
  try {
    normaliseAllowedIps([entry]);
    return true;
  } catch (error) {
    if (error instanceof InvalidAllowedIpError) return false;
    throw error;
  }
}
