// The hand-written parser against a regular-expression reading of the same rules, over generated headers.
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { hasControlCharacters } from '../../src/control-characters';
import { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH, parseAuthorization, type ParsedAuthorization } from '../../src/parse-authorization';

// The rules as regular expressions: the scheme and token (RFC 9110 §11.4, RFC 7617 §2), canonical base64
// checked by decoding and encoding again, fatal UTF-8, the first colon, the lengths, no control character.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function oracle(header: string): ParsedAuthorization['status'] | { publicId: string; privateKey: string } {
  if (header.length > 16 + 4 * Math.ceil(((MAX_PUBLIC_ID_LENGTH + 1 + MAX_PRIVATE_KEY_LENGTH) * 3) / 3) + 4) return 'invalid';
  const token = /^basic +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header)?.[1];
  if (token === undefined || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(token)) return 'invalid';
  const bytes = Buffer.from(token, 'base64');
  if (bytes.toString('base64') !== token) return 'invalid';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return 'invalid';
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return 'invalid';
  const publicId = text.slice(0, colon);
  const privateKey = text.slice(colon + 1);
  if (privateKey === '' || publicId.length > MAX_PUBLIC_ID_LENGTH || privateKey.length > MAX_PRIVATE_KEY_LENGTH || hasControlCharacters(text)) return 'invalid';
  return { publicId, privateKey };
}

const reading = (result: ParsedAuthorization) => (result.status === 'ok' ? result.credentials : result.status);

// Deterministic generator, so that a failure can be replayed.
let seed = 0x2545f491;
const next = (bound: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % bound;
};
const pick = <T>(items: readonly T[]): T => items[next(items.length)] as T;

const VALID_SCHEMES = ['Basic ', 'basic ', 'BASIC  ', 'BaSiC   '];
const SCHEMES = ['Basic ', 'basic ', 'BASIC  ', 'BaSiC   ', 'Basic', 'Basic\t', 'Bearer ', 'Basicx ', ' Basic ', 'Bäsic ', 'Basic\u00a0', 'Ba\u017fic '];
const TEXT_PIECES = ['id', 'twk_', ':', '::', 'é', '£', '\u0000', '\u001f', '\u007f', '\u0085', '\u00a0', '\u200b', '😀', ' ', 'a'.repeat(MAX_PUBLIC_ID_LENGTH), 'k'.repeat(MAX_PRIVATE_KEY_LENGTH)];

function credentialsText(): string {
  if (next(2) === 0) return `${randomBytes(1 + next(20)).toString('base64url')}:${pick(['twk_', 'é', ':', ''])}${randomBytes(1 + next(40)).toString('base64url')}`;
  const parts: string[] = [];
  for (let count = next(6); count >= 0; count -= 1) parts.push(next(3) === 0 ? randomBytes(next(40)).toString('base64url') : pick(TEXT_PIECES));
  return parts.join('');
}

// Base64 of the text, of random bytes, or of either with one character or the padding changed.
function token(): string {
  const bytes = next(4) === 0 ? randomBytes(next(64)) : Buffer.from(credentialsText(), 'utf8');
  let encoded = bytes.toString('base64');
  switch (next(8)) {
    case 0:
      return encoded.replace(/=+$/, '');
    case 1:
      return `${encoded}=`;
    case 2:
      return bytes.toString('base64url');
    case 3: {
      const at = next(encoded.length + 1);
      encoded = encoded.slice(0, at) + pick(['A', '-', '_', '.', '~', '=', ' ', '\n', 'é', '+', '/']) + encoded.slice(at + 1);
      return encoded;
    }
    case 4: {
      // Non-zero bits in the padding: decodes to the same bytes as the canonical spelling.
      const padded = encoded.indexOf('=');
      if (padded <= 0) return encoded;
      const last = encoded.charAt(padded - 1);
      return `${encoded.slice(0, padded - 1)}${last === 'A' ? 'B' : 'A'}${encoded.slice(padded)}`;
    }
    default:
      return encoded;
  }
}

describe('parseAuthorization against its rules written as regular expressions', () => {
  it('should agree on 20,000 generated headers', () => {
    let accepted = 0;
    for (let run = 0; run < 20_000; run += 1) {
      const header = (next(4) === 0 ? pick(SCHEMES) : pick(VALID_SCHEMES)) + token();
      const expected = oracle(header);
      if (typeof expected !== 'string') accepted += 1;
      expect({ header, result: reading(parseAuthorization(header)) }).toEqual({ header, result: expected });
    }
    // The generator must reach both answers often, or the comparison proves little.
    expect(accepted).toBeGreaterThan(2_000);
    expect(accepted).toBeLessThan(18_000);
  });

  it('should refuse every non-canonical spelling of valid credentials', () => {
    const canonical = Buffer.from('id:key').toString('base64');
    expect(parseAuthorization(`Basic ${canonical}`).status).toBe('ok');
    // "aWQ6a2V5" has no padding; "aQ==" (i) has two characters of padding bits.
    for (const spelling of ['aR==', 'aW=', 'aWQ', 'aWQ=x', 'aW Q6a2V5', 'aWQ6a2V5=']) expect(parseAuthorization(`Basic ${spelling}`).status).toBe('invalid');
  });
});
