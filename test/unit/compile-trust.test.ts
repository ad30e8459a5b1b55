// The server's compiled TRUST_PROXY answers as proxy-addr's compilation does, whatever order the addresses come in.
import { describe, expect, it } from '@jest/globals';
import proxyAddr from 'proxy-addr';
import { compileTrust } from '../../server/src/server/trust-proxy';

const ADDRESSES = ['127.0.0.1', '10.1.2.3', '::1', '::ffff:127.0.0.1', '192.168.0.9', 'fe80::1', '8.8.8.8', 'not an address', ''];
const SETTINGS = ['loopback', '10.0.0.0/8, 192.168.0.0/16', 'linklocal,uniquelocal', '::1'];

describe('compileTrust', () => {
  it.each(SETTINGS)('answers %s as proxy-addr does, call after call in any order', (setting) => {
    const ours = compileTrust(setting);
    const theirs = proxyAddr.compile(setting.split(',').map((entry) => entry.trim()));
    // Every address after every other, and each twice in a row.
    const calls = ADDRESSES.flatMap((first) => ADDRESSES.flatMap((second) => [first, second, second]));
    for (const [hop, address] of calls.entries()) expect([address, ours(address, hop % 3)]).toEqual([address, theirs(address, hop % 3)]);
  });

  it('trusts nobody for false, and no address that is missing', () => {
    const none = compileTrust(false);
    for (const address of ADDRESSES) expect(none(address, 0)).toBe(false);
    expect(compileTrust('loopback')(undefined, 0)).toBe(false);
  });

  it('trusts a hop count by hop alone', () => {
    const two = compileTrust(2);
    expect([two('8.8.8.8', 0), two('8.8.8.8', 1), two('8.8.8.8', 2)]).toEqual([true, true, false]);
  });
});
