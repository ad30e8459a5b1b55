// An application's allowed client addresses: CIDR lists (IPv4 and IPv6), parsed once, matched per request.
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Thrown for an entry that is neither an address nor a CIDR range; names the entry. @public */
export class InvalidAllowedIpError extends TypeError {
  constructor(readonly entry: string) {
    super(`not an IP address or CIDR range: ${JSON.stringify(entry)}`);
    this.name = 'InvalidAllowedIpError';
  }
}

// IPv4-mapped IPv6 ranges (::ffff:10.0.0.0/104) are kept as the IPv4 ranges they stand for.
function toRange(entry: string): Range {
  const text = entry.trim();
  let range: Range;
  try {
    range = text.includes('/') ? ipaddr.parseCIDR(text) : ((address) => [address, address.kind() === 'ipv4' ? 32 : 128] as Range)(ipaddr.parse(text));
  } catch {
    throw new InvalidAllowedIpError(entry);
  }
  // ipaddr.js accepts shorthand IPv4 forms ("10.1", "0x0a.0.0.1"); only the four-part decimal form is taken.
  if (range[0].kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.split('/')[0] ?? '')) throw new InvalidAllowedIpError(entry);
  const [address, bits] = range;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) return [address.toIPv4Address(), bits - 96];
  return range;
}

/**
 * Checks and normalises an allowed-IP list: `*` (or nothing) means any address and gives `[]`; every
 * other entry must be an address or a CIDR range, written back in canonical form (`10.0.0.0/8`,
 * `2001:db8::/32`, a single address as `/32` or `/128`). Throws {@link InvalidAllowedIpError} on the first
 * bad entry, so that nothing is stored.
 */
export function normaliseAllowedIps(entries: readonly string[]): string[] {
  const kept = entries.map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (kept.length === 0 || kept.includes('*')) {
    if (kept.length > 1) throw new InvalidAllowedIpError(kept.find((entry) => entry !== '*') ?? '*');
    return [];
  }
  return [...new Set(kept.map((entry) => {
    const [address, bits] = toRange(entry);
    return `${networkOf(address, bits).toString()}/${bits}`;
  }))];
}

// Host bits cleared, so that equal ranges compare equal.
function networkOf(address: ipaddr.IPv4 | ipaddr.IPv6, bits: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = address.toByteArray().map((byte, index) => {
    const kept = Math.max(0, Math.min(8, bits - index * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  return ipaddr.fromByteArray(bytes);
}

const matchers = new WeakMap<readonly string[], Range[]>();

/**
 * Whether `clientIp` (as `trust proxy` resolved it) is in `allowedIps` (normalised; empty = any). The
 * parsed ranges are kept per list object, so a cached record parses its list once.
 */
export function ipAllowed(allowedIps: readonly string[], clientIp: string): boolean {
  if (allowedIps.length === 0) return true;
  let ranges = matchers.get(allowedIps);
  if (ranges === undefined) {
    ranges = allowedIps.map(toRange);
    matchers.set(allowedIps, ranges);
  }
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process(): an IPv4-mapped IPv6 client (::ffff:10.1.2.3, as dual-stack sockets report) is IPv4.
    address = ipaddr.process(clientIp);
  } catch {
    return false;
  }
  return ranges.some(([network, bits]) =>
    network instanceof ipaddr.IPv4 ? address instanceof ipaddr.IPv4 && address.match(network, bits) : address instanceof ipaddr.IPv6 && address.match(network, bits),
  );
}
