// The hand-written parser against a regular-expression reading of the same rules, over generated headers.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hasControlCharacters } from '../../src/core/control-characters';
import { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH, parseAuthorization, type ParsedAuthorization } from '../../src/core/parse-authorization';

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

// Every draw comes from fast-check, under a fixed seed: the same headers on every run, and a failure
// reported with its seed and path can be replayed (and is shrunk to a small header).
const SEED = 0x2545f491;

const VALID_SCHEMES = ['Basic ', 'basic ', 'BASIC  ', 'BaSiC   '];
const SCHEMES = ['Basic ', 'basic ', 'BASIC  ', 'BaSiC   ', 'Basic', 'Basic\t', 'Bearer ', 'Basicx ', ' Basic ', 'Bäsic ', 'Basic\u00a0', 'Ba\u017fic '];
const TEXT_PIECES = ['id', 'twk_', ':', '::', 'é', '£', '\u0000', '\u001f', '\u007f', '\u0085', '\u00a0', '\u200b', '😀', ' ', 'a'.repeat(MAX_PUBLIC_ID_LENGTH), 'k'.repeat(MAX_PRIVATE_KEY_LENGTH)];

/** Random bytes, `minLength` to `maxLength` of them. */
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength }).map((array) => Buffer.from(array));
const base64url = (minLength: number, maxLength: number) => bytes(minLength, maxLength).map((buffer) => buffer.toString('base64url'));

// An id and a key of random characters, or a run of 1 to 6 pieces: random characters or awkward ones.
const credentialsText = fc.oneof(
  fc.tuple(base64url(1, 20), fc.constantFrom('twk_', 'é', ':', ''), base64url(1, 40)).map(([id, prefix, key]) => `${id}:${prefix}${key}`),
  fc.array(fc.oneof({ arbitrary: base64url(0, 39), weight: 1 }, { arbitrary: fc.constantFrom(...TEXT_PIECES), weight: 2 }), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
);

// Base64 of the text, of random bytes, or of either with one character or the padding changed.
const token = fc
  .tuple(
    fc.oneof({ arbitrary: bytes(0, 63), weight: 1 }, { arbitrary: credentialsText.map((text) => Buffer.from(text, 'utf8')), weight: 3 }),
    fc.nat(7),
    fc.nat(),
    fc.constantFrom('A', '-', '_', '.', '~', '=', ' ', '\n', 'é', '+', '/'),
  )
  .map(([data, variant, position, character]) => {
    const encoded = data.toString('base64');
    switch (variant) {
      case 0:
        return encoded.replace(/=+$/, '');
      case 1:
        return `${encoded}=`;
      case 2:
        return data.toString('base64url');
      case 3: {
        const at = position % (encoded.length + 1);
        return encoded.slice(0, at) + character + encoded.slice(at + 1);
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
  });

const header = fc
  .tuple(fc.oneof({ arbitrary: fc.constantFrom(...SCHEMES), weight: 1 }, { arbitrary: fc.constantFrom(...VALID_SCHEMES), weight: 3 }), token)
  .map(([scheme, encoded]) => scheme + encoded);

describe('parseAuthorization against its rules written as regular expressions', () => {
  it('should agree on 20,000 generated headers', () => {
    let accepted = 0;
    fc.assert(
      fc.property(header, (text) => {
        const expected = oracle(text);
        if (typeof expected !== 'string') accepted += 1;
        expect({ header: text, result: reading(parseAuthorization(text)) }).toEqual({ header: text, result: expected });
      }),
      { numRuns: 20_000, seed: SEED },
    );
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
