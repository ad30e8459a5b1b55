import { describe, expect, it } from '@jest/globals';
import { InvalidAllowedIpError, ipAllowed, normaliseAllowedIps } from '../../src/core/allowed-ips';

describe('normaliseAllowedIps', () => {
  it.each([
    [['*'], []],
    [[], []],
    [[' '], []],
    [['10.1.2.3/8'], ['10.0.0.0/8']],
    [['192.168.1.7'], ['192.168.1.7/32']],
    [['0.0.0.0/0'], ['0.0.0.0/0']],
    [['2001:db8::1/32'], ['2001:db8::/32']],
    [['::1'], ['::1/128']],
    [['::/0'], ['::/0']],
    [['::ffff:10.0.0.0/104'], ['10.0.0.0/8']],
    [['10.0.0.0/8', '10.9.0.0/8'], ['10.0.0.0/8']],
  ])('%j → %j', (input, expected) => {
    expect(normaliseAllowedIps(input)).toEqual(expected);
  });

  it.each([['10.1'], ['0x0a.0.0.1'], ['10.0.0.0/33'], ['2001:db8::/129'], ['abc'], ['1.2.3.4/'], ['1.2.3.4/-1'], ['10.0.0.256'], ['*', '1.2.3.4'], ['1.2.3.4 5.6.7.8']])(
    'refuses %j, naming the bad entry',
    (...input) => {
      expect(() => normaliseAllowedIps(input)).toThrow(InvalidAllowedIpError);
    },
  );
});

describe('ipAllowed', () => {
  const list = normaliseAllowedIps(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32']);
  it.each([
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.1.2.3', true],
    ['::ffff:11.1.2.3', false],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', false],
    ['', false],
    ['not an address', false],
  ])('%s → %s', (ip, allowed) => {
    expect(ipAllowed(list, ip)).toBe(allowed);
  });

  it('lets any address through an empty list, and /0 only the family it names', () => {
    expect(ipAllowed([], 'anything')).toBe(true);
    const v4 = normaliseAllowedIps(['0.0.0.0/0']);
    expect(ipAllowed(v4, '203.0.113.9')).toBe(true);
    expect(ipAllowed(v4, '::ffff:203.0.113.9')).toBe(true);
    expect(ipAllowed(v4, '2001:db8::1')).toBe(false);
  });
});
