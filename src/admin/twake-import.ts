// Reads an export of Twake's applications and group_apps (PHP-era rows or Node-era entities) into what to import.
import { normaliseAllowedIps } from '../core/allowed-ips';
import { hasInvisibleCharacters } from '../core/control-characters';
import { isValidCompanyId } from '../core/group-id';
import { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH } from '../core/parse-authorization';
import { TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from '../core/twake-v1';

/** One application to import: Twake's id becomes the public id, and its key keeps working. */
export interface ImportedApplication {
  readonly publicId: string;
  readonly name: string;
  readonly privateKey: string;
  readonly capabilities: string[];
  readonly privileges: string[];
  readonly allowedIps: string[];
}

/** One installation to import; `grant` absent: everything the application declares. */
export interface ImportedInstallation {
  readonly publicId: string;
  readonly companyId: string;
  readonly grant?: { capabilities: string[]; privileges: string[] };
}

export interface TwakeExport {
  readonly applications: ImportedApplication[];
  readonly installations: ImportedInstallation[];
}

/** A file that cannot be imported, with every bad record by index; nothing of it is written. */
export class TwakeImportError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot import: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    this.name = 'TwakeImportError';
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// Twake stored lists as arrays, JSON text ('["a","b"]'), or comma/space-separated text.
function listOf(value: unknown): string[] | null {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.every((item) => typeof item === 'string') ? (value as string[]) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      return listOf(JSON.parse(text));
    } catch {
      return null;
    }
  }
  return text.split(/[\s,;]+/).filter((item) => item !== '');
}

function names(where: string, value: unknown, known: readonly string[], problems: string[]): string[] {
  const list = listOf(value);
  if (list === null) {
    problems.push(`${where}: not a list of names`);
    return [];
  }
  const unknown = list.filter((name) => !known.includes(name));
  if (unknown.length > 0) problems.push(`${where}: unknown ${JSON.stringify(unknown)}`);
  return [...new Set(list)];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function readApplication(raw: unknown, where: string, problems: string[]): ImportedApplication | null {
  if (!isObject(raw)) {
    problems.push(`${where}: not an object`);
    return null;
  }
  const start = problems.length;
  // PHP era: flat row. Node era: identity.name, api.private_key, api.allowed_ips, access.
  const identity = isObject(raw.identity) ? raw.identity : {};
  const api = isObject(raw.api) ? raw.api : {};
  const access = isObject(raw.access) ? raw.access : {};
  const publicId = text(raw.id);
  const name = text(raw.name) ?? text(identity.name);
  const privateKey = typeof raw.api_private_key === 'string' ? raw.api_private_key : typeof api.private_key === 'string' ? api.private_key : null;
  if (publicId === null || publicId.length > MAX_PUBLIC_ID_LENGTH || !/^[\x21-\x39\x3b-\x7e]+$/.test(publicId)) problems.push(`${where}.id: missing or not a valid public id`);
  if (name === null || hasInvisibleCharacters(name, { allowJoiners: true }) || [...name].length > 200) problems.push(`${where}: missing or invalid name`);
  if (privateKey === null || privateKey === '' || privateKey.length > MAX_PRIVATE_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(privateKey)) problems.push(`${where}: missing or invalid private key`);
  const capabilitiesSource = raw.capabilities ?? access.capabilities ?? [...(listOf(access.write) ?? []), ...(listOf(access.remove) ?? [])];
  const privilegesSource = raw.privileges ?? access.privileges ?? access.read;
  const capabilities = names(`${where}.capabilities`, capabilitiesSource, TWAKE_CAPABILITIES, problems);
  const privileges = names(`${where}.privileges`, privilegesSource, TWAKE_PRIVILEGES, problems);
  const ips = listOf(raw.api_allowed_ip ?? api.allowed_ips ?? api.allowed_ip);
  let allowedIps: string[] = [];
  try {
    if (ips === null) throw new Error('not a list');
    allowedIps = normaliseAllowedIps(ips);
  } catch {
    problems.push(`${where}: allowed IPs are not addresses, CIDR ranges or *`);
  }
  if (problems.length > start || publicId === null || name === null || privateKey === null) return null;
  return { publicId, name, privateKey, capabilities, privileges, allowedIps };
}

function readInstallation(raw: unknown, where: string, problems: string[]): ImportedInstallation | null {
  if (!isObject(raw)) {
    problems.push(`${where}: not an object`);
    return null;
  }
  const start = problems.length;
  const publicId = text(raw.app_id);
  const companyId = text(raw.group_id);
  if (publicId === null) problems.push(`${where}.app_id: missing`);
  if (!isValidCompanyId(companyId) || hasInvisibleCharacters(companyId)) problems.push(`${where}.group_id: missing or not a valid company id`);
  const granted = raw.capabilities !== undefined || raw.privileges !== undefined;
  const grant = granted
    ? { capabilities: names(`${where}.capabilities`, raw.capabilities, TWAKE_CAPABILITIES, problems), privileges: names(`${where}.privileges`, raw.privileges, TWAKE_PRIVILEGES, problems) }
    : undefined;
  if (problems.length > start || publicId === null || companyId === null) return null;
  return grant === undefined ? { publicId, companyId } : { publicId, companyId, grant };
}

/** Reads a whole export, or throws a {@link TwakeImportError} listing every bad record by index. */
export function readTwakeExport(document: unknown): TwakeExport {
  const problems: string[] = [];
  if (!isObject(document) || !Array.isArray(document.applications)) throw new TwakeImportError(['the file must be a JSON object with an "applications" array (and optionally "group_apps")']);
  const groupApps = document.group_apps ?? [];
  if (!Array.isArray(groupApps)) throw new TwakeImportError(['"group_apps" must be an array']);
  const applications = document.applications.map((raw, index) => readApplication(raw, `applications[${index}]`, problems));
  const installations = groupApps.map((raw, index) => readInstallation(raw, `group_apps[${index}]`, problems));
  const ids = new Set<string>();
  applications.forEach((application, index) => {
    if (application === null) return;
    if (ids.has(application.publicId)) problems.push(`applications[${index}].id: ${JSON.stringify(application.publicId)} appears twice`);
    ids.add(application.publicId);
  });
  const declared = new Map(applications.filter((application) => application !== null).map((application) => [application.publicId, application]));
  const seen = new Map<string, number>();
  installations.forEach((installation, index) => {
    if (installation === null) return;
    const application = declared.get(installation.publicId);
    if (application === undefined) {
      problems.push(`group_apps[${index}].app_id: no application with that id in the file`);
      return;
    }
    const pair = JSON.stringify([installation.publicId, installation.companyId]);
    const first = seen.get(pair);
    if (first !== undefined) problems.push(`group_apps[${index}]: the same application and company as group_apps[${first}]`);
    else seen.set(pair, index);
    // A company can only grant what the application declares, as with app install --grant.
    const undeclared = [
      ...(installation.grant?.capabilities ?? []).filter((name) => !application.capabilities.includes(name)),
      ...(installation.grant?.privileges ?? []).filter((name) => !application.privileges.includes(name)),
    ];
    if (undeclared.length > 0) problems.push(`group_apps[${index}]: grants ${JSON.stringify(undeclared)}, which the application does not declare`);
  });
  if (problems.length > 0) throw new TwakeImportError(problems);
  return { applications: applications as ImportedApplication[], installations: installations as ImportedInstallation[] };
}
