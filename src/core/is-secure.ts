// Whether a request arrived over HTTPS, as Express's `req.secure` says, without asking `trust proxy` twice per connection.
import type { Request } from 'express';
import type { Socket } from 'node:net';

type TrustFunction = (address: string | undefined, hop: number) => boolean;

// Whether `trust proxy` trusts a socket's peer is the same for every request on that connection.
const trustedPeers = new WeakMap<Socket, { trust: TrustFunction; trusted: boolean }>();

/**
 * `req.secure` of Express 4 and 5: the socket's own TLS, or the first `X-Forwarded-Proto` value when the
 * peer is trusted by `trust proxy`. The trust decision is kept per socket (and per trust function), since
 * evaluating it parses the peer's address on every request.
 */
export function isSecureRequest(req: Request): boolean {
  const trust = req.app?.get('trust proxy fn') as TrustFunction | undefined;
  if (typeof trust !== 'function') return req.secure;
  const socket = req.socket;
  const encrypted = (socket as Socket & { encrypted?: boolean }).encrypted === true;
  let peer = trustedPeers.get(socket);
  if (peer === undefined || peer.trust !== trust) {
    peer = { trust, trusted: trust(socket.remoteAddress, 0) };
    trustedPeers.set(socket, peer);
  }
  if (!peer.trusted) return encrypted;
  const header = req.headers['x-forwarded-proto'];
  const value = typeof header === 'string' ? header : encrypted ? 'https' : 'http';
  const comma = value.indexOf(',');
  return (comma < 0 ? value : value.slice(0, comma)).trim() === 'https';
}
