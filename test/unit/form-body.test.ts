// A urlencoded body's text is given only for UTF-8, declared or by default, made of UTF-8 bytes.
import { describe, expect, it } from '@jest/globals';
import { formText } from '../../src/express/form-body';

describe('formText', () => {
  it('gives the text of UTF-8 bytes', () => {
    expect(formText(Buffer.from('group_id=%C3%A9cole&x=é'), 'utf-8')).toBe('group_id=%C3%A9cole&x=é');
  });

  it('refuses another charset as body-parser reports an unsupported one (415)', () => {
    expect(() => formText(Buffer.from('group_id=%C3%A9cole'), 'iso-8859-1')).toThrow(expect.objectContaining({ type: 'charset.unsupported' }));
  });

  it('refuses bytes that are not UTF-8 (400)', () => {
    for (const bytes of [Buffer.from([0x61, 0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80])]) {
      expect(() => formText(bytes, 'utf-8')).toThrow(expect.objectContaining({ type: 'entity.not.utf8' }));
    }
  });
});
