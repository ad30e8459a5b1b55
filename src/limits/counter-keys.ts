// Turns what callers send into counter names: canonical client networks, and hashes instead of ids.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The one counter every client address that is not an IP shares. */
export const INVALID_IP_KEY = 'invalid';

/** Longer than any IPv6 address with a zone index worth reading. */
const LONGEST_ADDRESS = 100;

/**
 * The counter name of a client address: an IPv4 address, or the /64 network of an IPv6 one (a single
 * host usually holds a whole /64, so counting addresses would let it rotate through 2^64 counters).
 * IPv4-mapped IPv6 counts as its IPv4 address. Anything else shares {@link INVALID_IP_KEY}, so forged
 * `X-Forwarded-For` values cannot make one counter each.
 */
export function ipCounterKey(ip: string): string {
  if (ip.length > LONGEST_ADDRESS || isIP(ip) === 0) return INVALID_IP_KEY;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return INVALID_IP_KEY;
  }
  if (!(address instanceof ipaddr.IPv6)) return address.toString();
  return `${new ipaddr.IPv6([...address.parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/**
 * The counter name of a public id or application id: 128 bits of SHA-256, in hex. A caller who swaps
 * id and key sends the private key as the public id; only its hash may reach Redis or stay in memory.
 * The label keeps these names apart from the key digests stored in the database.
 */
export function idCounterKey(id: string): string {
  return createHash('sha256').update('twake-app-auth counter\n').update(id, 'utf8').digest('hex').slice(0, 32);
}
