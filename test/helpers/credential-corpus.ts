// Authorization headers every integration (middleware, passport strategy) must judge alike.

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** One header and the answer it deserves, given a valid public id and key. */
export interface CredentialCase {
  name: string;
  header: (publicId: string, privateKey: string) => string | undefined;
  accepted: boolean;
  /** Code of the 401 when refused. */
  code?: 'missing_credentials' | 'invalid_credentials';
  /** Well-formed but not the right credentials (the parser accepts it; the key check refuses it). */
  wellFormed?: boolean;
}

const refused = (name: string, header: CredentialCase['header']): CredentialCase => ({ name, header, accepted: false, code: 'invalid_credentials' });
const mismatch = (name: string, header: CredentialCase['header']): CredentialCase => ({ ...refused(name, header), wellFormed: true });
const accepted = (name: string, header: CredentialCase['header']): CredentialCase => ({ name, header, accepted: true });

export const CREDENTIAL_CORPUS: CredentialCase[] = [
  accepted('canonical Basic credentials', (id, key) => `Basic ${b64(`${id}:${key}`)}`),
  accepted('lower-case scheme (RFC 9110: case-insensitive)', (id, key) => `basic ${b64(`${id}:${key}`)}`),
  accepted('upper-case scheme', (id, key) => `BASIC ${b64(`${id}:${key}`)}`),
  accepted('several spaces after the scheme (1*SP)', (id, key) => `Basic    ${b64(`${id}:${key}`)}`),
  { name: 'no Authorization header', header: () => undefined, accepted: false, code: 'missing_credentials' },
  refused('empty header', () => ''),
  refused('scheme only', () => 'Basic'),
  refused('scheme and a space only', () => 'Basic '),
  refused('another scheme', (id, key) => `Bearer ${b64(`${id}:${key}`)}`),
  // passport-http accepts any scheme that contains "Basic".
  refused('scheme with a prefix around "Basic"', (id, key) => `NotBasic ${b64(`${id}:${key}`)}`),
  refused('scheme with a suffix after "Basic"', (id, key) => `Basicx ${b64(`${id}:${key}`)}`),
  refused('scheme glued to the token', (id, key) => `Basic${b64(`${id}:${key}`)}`),
  // passport-http splits on a single space.
  refused('tab instead of space', (id, key) => `Basic\t${b64(`${id}:${key}`)}`),
  refused('extra parameter after the token', (id, key) => `Basic ${b64(`${id}:${key}`)} extra`),
  // passport-http decodes leniently with new Buffer(…, 'base64').
  refused('base64 without padding', (id, key) => `Basic ${b64(`${id}:${key}x`).replace(/=+$/, '')}`),
  refused('base64url alphabet', (id, key) => `Basic ${b64(`${id}:${key}??>`).replace(/\+/g, '-').replace(/\//g, '_')}`),
  refused('non-canonical trailing bits', (id, key) => {
    const token = b64(`${id}:${key}x`);
    const at = token.indexOf('=') - 1;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const next = alphabet[(alphabet.indexOf(token[at] as string) + 1) % 64] as string;
    return `Basic ${token.slice(0, at)}${next}${token.slice(at + 1)}`;
  }),
  refused('token with characters outside token68', (id, key) => `Basic ${b64(`${id}:${key}`)}!`),
  refused('invalid UTF-8 in the credentials', (id, key) => `Basic ${Buffer.concat([Buffer.from(`${id}:${key}`), Buffer.from([0xc3, 0x28])]).toString('base64')}`),
  // passport-http keeps only the text between the first and second colon as the password.
  mismatch('password cut at a second colon would match', (id, key) => `Basic ${b64(`${id}:${key}:anything`)}`),
  refused('no colon', (id, key) => `Basic ${b64(`${id}${key}`)}`),
  refused('empty password', (id) => `Basic ${b64(`${id}:`)}`),
  refused('empty user-id', (_id, key) => `Basic ${b64(`:${key}`)}`),
  refused('control character in the user-id', (id, key) => `Basic ${b64(`${id}\u0001:${key}`)}`),
  refused('control character in the password', (id, key) => `Basic ${b64(`${id}:${key}\u007f`)}`),
  refused('NUL in the password', (id, key) => `Basic ${b64(`${id}:${key}\u0000`)}`),
  refused('user-id over the length bound', (_id, key) => `Basic ${b64(`${'a'.repeat(129)}:${key}`)}`),
  refused('password over the length bound', (id) => `Basic ${b64(`${id}:${'k'.repeat(257)}`)}`),
  mismatch('wrong key', (id, key) => `Basic ${b64(`${id}:${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)}`),
  mismatch('unknown public id', (_id, key) => `Basic ${b64(`00000000-0000-4000-8000-000000000000:${key}`)}`),
  mismatch('public id and key swapped', (id, key) => `Basic ${b64(`${key}:${id}`)}`),
  mismatch('key with trailing space', (id, key) => `Basic ${b64(`${id}:${key} `)}`),
];
