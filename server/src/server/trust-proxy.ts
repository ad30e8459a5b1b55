// The server's TRUST_PROXY setting: Express's `trust proxy` syntax, refusing values that trust (nearly) anyone.
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';

/** Express `trust proxy` value: false (trust nobody), a hop count, or addresses, CIDRs and names. */
export type TrustProxy = false | number | string;

/**
 * Largest share of an address family a TRUST_PROXY list may cover: every private, loopback and link-local
 * block together stays well under it (IPv4 about 1/110, IPv6's fc00::/7 1/128), while a list that trusts
 * public addresses wholesale (0.0.0.0/1, 2000::/3, ::ffff:0:0/96) goes over.
 */
const MAX_SHARE = 1 / 64;

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

class TrustProxyError extends Error {}

// A CIDR range, a range with a netmask (10.0.0.0/255.0.0.0, as Express also reads it), or one address.
function rangeOf(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const slash = entry.indexOf('/');
  if (slash < 0) return [ipaddr.parse(entry), Number.POSITIVE_INFINITY];
  const mask = entry.slice(slash + 1);
  if (/^\d+$/.test(mask)) return ipaddr.parseCIDR(entry);
  const prefix = ipaddr.parse(mask).prefixLengthFromSubnetMask();
  if (prefix === null) throw new TrustProxyError('not a netmask');
  return [ipaddr.parse(entry.slice(0, slash)), prefix];
}

/** Share of its family's address space that one TRUST_PROXY entry covers, or null for a name. */
function shareOf(entry: string): { family: 'ipv4' | 'ipv6'; share: number } | null {
  if (NAMES.has(entry)) return null;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    [address, prefix] = rangeOf(entry);
  } catch {
    throw new TrustProxyError(`TRUST_PROXY: ${JSON.stringify(entry)} is not loopback, linklocal, uniquelocal, an address or a CIDR range.`);
  }
  // An IPv4-mapped IPv6 range trusts IPv4 peers: measure it against IPv4.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return { family: 'ipv4', share: prefix === Number.POSITIVE_INFINITY ? 0 : 2 ** -Math.max(0, prefix - 96) };
  }
  return { family: address.kind(), share: prefix === Number.POSITIVE_INFINITY ? 0 : 2 ** -prefix };
}

/**
 * Parses TRUST_PROXY in Express's syntax; unset or empty means trust nobody. Refuses `true`, and lists that
 * cover more than 1/64 of IPv4 or IPv6: either would let any client claim HTTPS and any address.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  const fix = 'Name the proxy: loopback, a hop count, its addresses or CIDR ranges.';
  if (text === 'true') throw new Error(`TRUST_PROXY=true would trust every peer, so anyone could claim HTTPS. ${fix}`);
  const covered = { ipv4: 0, ipv6: 0 };
  for (const entry of text.split(',').map((part) => part.trim())) {
    let share: ReturnType<typeof shareOf>;
    try {
      share = shareOf(entry);
    } catch (error) {
      if (error instanceof TrustProxyError) throw new Error(`${error.message} ${fix}`, { cause: error });
      throw error;
    }
    if (share !== null) covered[share.family] += share.share;
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (covered[family] > MAX_SHARE) {
      throw new Error(`TRUST_PROXY=${text} covers ${covered[family] >= 1 ? 'all' : `${Math.round(covered[family] * 100)} %`} of ${family === 'ipv4' ? 'IPv4' : 'IPv6'}, so nearly anyone could claim HTTPS. ${fix}`);
    }
  }
  return text;
}

/** Whether the server answers on more than loopback and private addresses (0.0.0.0, ::, a public address). */
export function listensPublicly(host: string): boolean {
  if (host === 'localhost') return false;
  try {
    const range = ipaddr.process(host).range();
    return !['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'].includes(range);
  } catch {
    // A host name: its addresses are not known here.
    return true;
  }
}

/** Whether the peer `address`, `hop` proxies away from the server, is trusted (proxy-addr's contract). */
export type TrustFunction = (address: string | undefined, hop: number) => boolean;

/** TRUST_PROXY as Express compiles its `trust proxy` setting: a hop count, or proxy-addr's list. */
export function compileTrust(value: TrustProxy): TrustFunction {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  const list = value === false ? [] : value.split(',').map((entry) => entry.trim());
  const trusts = proxyAddr.compile(list);
  // A list's answer depends on the address alone, and proxy-addr parses it on every call: the last
  // address asked about (a proxy's, asked on every request it forwards) is answered from memory.
  let lastAddress: string | undefined;
  let lastTrusted = false;
  return (address) => {
    if (address === undefined) return false;
    if (address !== lastAddress) {
      lastTrusted = trusts(address, 0);
      lastAddress = address;
    }
    return lastTrusted;
  };
}
