import { describe, expect, it } from '@jest/globals';
import { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH, parseAuthorization } from '../../src/core/parse-authorization';
import { CREDENTIAL_CORPUS } from '../helpers/credential-corpus';

const ID = 'b8f4c1f6-6a3c-4c69-9e8a-0f9a3c1d2e4f';
const KEY = 'twk_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo';
const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('parseAuthorization', () => {
  it('should read the RFC 7617 example (Aladdin / open sesame)', () => {
    expect(parseAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==')).toEqual({
      status: 'ok',
      credentials: { publicId: 'Aladdin', privateKey: 'open sesame' },
    });
  });

  it('should decode UTF-8 credentials (RFC 7617 §2.1 charset example)', () => {
    // "test:123£" in UTF-8, the RFC's example.
    expect(parseAuthorization('Basic dGVzdDoxMjPCow==')).toEqual({ status: 'ok', credentials: { publicId: 'test', privateKey: '123£' } });
  });

  it('should split at the first colon and keep later colons in the password', () => {
    expect(parseAuthorization(`Basic ${encode('id:pa:ss:word')}`)).toEqual({ status: 'ok', credentials: { publicId: 'id', privateKey: 'pa:ss:word' } });
  });

  it('should say missing only when there is no header', () => {
    expect(parseAuthorization(undefined)).toEqual({ status: 'missing' });
    expect(parseAuthorization('')).toEqual({ status: 'invalid' });
  });

  it('should refuse a header given as an array', () => {
    expect(parseAuthorization([`Basic ${encode('a:b')}`])).toEqual({ status: 'invalid' });
  });

  it('should accept the longest allowed id and key, and nothing longer', () => {
    const id = 'i'.repeat(MAX_PUBLIC_ID_LENGTH);
    const key = 'k'.repeat(MAX_PRIVATE_KEY_LENGTH);
    expect(parseAuthorization(`Basic ${encode(`${id}:${key}`)}`).status).toBe('ok');
    expect(parseAuthorization(`Basic ${encode(`${id}i:${key}`)}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode(`${id}:${key}k`)}`).status).toBe('invalid');
  });

  it('should accept the longest allowed id and key in characters of three UTF-8 bytes, and nothing longer', () => {
    const id = '€'.repeat(MAX_PUBLIC_ID_LENGTH);
    const key = '€'.repeat(MAX_PRIVATE_KEY_LENGTH);
    expect(parseAuthorization(`Basic ${encode(`${id}:${key}`)}`)).toEqual({ status: 'ok', credentials: { publicId: id, privateKey: key } });
    expect(parseAuthorization(`Basic ${encode(`${id}€:${key}`)}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode(`${id}:${key}€`)}`).status).toBe('invalid');
  });

  it('should read each header on its own, whatever the one before left behind', () => {
    const long = `${'i'.repeat(MAX_PUBLIC_ID_LENGTH)}:${'€'.repeat(MAX_PRIVATE_KEY_LENGTH)}`;
    expect(parseAuthorization(`Basic ${encode(long)}`).status).toBe('ok');
    expect(parseAuthorization(`Basic ${encode('a:b')}`)).toEqual({ status: 'ok', credentials: { publicId: 'a', privateKey: 'b' } });
    expect(parseAuthorization(`Basic ${encode('a:\u00e9')}`)).toEqual({ status: 'ok', credentials: { publicId: 'a', privateKey: '\u00e9' } });
  });

  it('should decode the id and the key each on its own, refusing a fault in either', () => {
    expect(parseAuthorization(`Basic ${encode('\u00e9t\u00e9:key')}`)).toEqual({ status: 'ok', credentials: { publicId: '\u00e9t\u00e9', privateKey: 'key' } });
    expect(parseAuthorization(`Basic ${encode('id:\u00e9:\u20ac')}`)).toEqual({ status: 'ok', credentials: { publicId: 'id', privateKey: '\u00e9:\u20ac' } });
    const invalidUtf8 = (before: string, after: string) => Buffer.concat([Buffer.from(before), Buffer.from([0xc3]), Buffer.from(after)]).toString('base64');
    expect(parseAuthorization(`Basic ${invalidUtf8('id', ':key')}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${invalidUtf8('id:', 'key')}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode('i\u0001d:key')}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode(':key')}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode('id:')}`).status).toBe('invalid');
    expect(parseAuthorization(`Basic ${encode('idkey')}`).status).toBe('invalid');
  });

  it('should refuse C1 control characters', () => {
    expect(parseAuthorization(`Basic ${encode('id:key\u0085')}`).status).toBe('invalid');
  });

  it('should refuse a very long header without decoding it', () => {
    expect(parseAuthorization(`Basic ${'A'.repeat(100_000)}`).status).toBe('invalid');
  });

  describe.each(CREDENTIAL_CORPUS)('corpus: $name', ({ header, accepted, code, wellFormed }) => {
    it(accepted ? 'should parse to the same credentials' : 'should not yield the real credentials', () => {
      const result = parseAuthorization(header(ID, KEY));
      if (accepted) {
        expect(result).toEqual({ status: 'ok', credentials: { publicId: ID, privateKey: KEY } });
      } else if (code === 'missing_credentials') {
        expect(result.status).toBe('missing');
      } else if (wellFormed) {
        expect(result.status).toBe('ok');
        expect(result).not.toEqual({ status: 'ok', credentials: { publicId: ID, privateKey: KEY } });
      } else {
        expect(result.status).toBe('invalid');
      }
    });
  });
});
