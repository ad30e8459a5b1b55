import { describe, expect, it } from '@jest/globals';
import { MAX_TOKEN_LENGTH } from '../../src/tokens/claims';
import { parseBearer } from '../../src/tokens/parse-bearer';

describe('parseBearer', () => {
  it('should read a token after the scheme, in any case, after one or more spaces', () => {
    expect(parseBearer('Bearer a.b.c')).toEqual({ status: 'ok', token: 'a.b.c' });
    expect(parseBearer('bEaReR   a-b_c~d+e/f==')).toEqual({ status: 'ok', token: 'a-b_c~d+e/f==' });
  });

  it('should leave other schemes and no header to the Basic parser', () => {
    for (const header of [undefined, 'Basic dXNlcjprZXk=', 'Bear', 'Digest x', 'Beare x']) expect(parseBearer(header)).toEqual({ status: 'other' });
    expect(parseBearer(['Bearer a', 'Bearer b'])).toEqual({ status: 'other' });
  });

  it('should refuse a Bearer header that holds no b64token (RFC 6750 §2.1)', () => {
    for (const header of ['Bearer', 'Bearer ', 'Bearerx.y.z', 'Bearer a b', 'Bearer a.b.c ', 'Bearer\ta.b.c', 'Bearer a=b', 'Bearer é', 'Bearer a\u0000b', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`]) {
      expect({ header, parsed: parseBearer(header) }).toEqual({ header, parsed: { status: 'invalid' } });
    }
  });
});
