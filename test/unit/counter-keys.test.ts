// Counter names: client addresses by network, garbage in one bucket, ids only as hashes.
import { describe, expect, it } from '@jest/globals';
import { INVALID_IP_KEY, idCounterKey, ipCounterKey } from '../../src/limits/counter-keys';

describe('ipCounterKey', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::FFFF:c633:6407', '198.51.100.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
    ['::1', '::/64'],
  ])('counts %s as %s', (ip, key) => {
    expect(ipCounterKey(ip)).toBe(key);
  });

  it.each([['', 'garbage', 'x'.repeat(8000), '1.2.3.4:80', ' 1.2.3.4', '[::1]', '12345', '127.1', '1.2.3.4, 5.6.7.8', '256.1.1.1', `fe80::1%${'z'.repeat(200)}`]])(
    'counts what is not an address (%s…) in one bucket',
    (...values) => {
      for (const value of values) expect(ipCounterKey(value)).toBe(INVALID_IP_KEY);
    },
  );
});

describe('idCounterKey', () => {
  it('is 32 hex digits, stable, and different per id', () => {
    const key = idCounterKey('twk_secret-value');
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(idCounterKey('twk_secret-value')).toBe(key);
    expect(idCounterKey('twk_secret-valuf')).not.toBe(key);
    expect(idCounterKey('x'.repeat(100_000))).toMatch(/^[0-9a-f]{32}$/);
  });
});
