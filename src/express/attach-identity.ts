// Puts the identity on the request as a read-only property, and reads it back typed.
import type { Request } from 'express';
import type { TwakeIdentity } from '../core/types';

/** Sets `req.twake`; handlers can read it but not assign it. */
export function attachIdentity(req: Request, identity: TwakeIdentity): void {
  Object.defineProperty(req, 'twake', { value: identity, enumerable: true, writable: false, configurable: true });
}

/**
 * The identity of an authenticated request, typed, for handlers behind the middleware or the passport
 * strategy (`req.user` is typed by passport as your own `Express.User`; this is the same object). Throws
 * when the request did not go through twake-app-auth, which is a mounting mistake, never a refusal.
 *
 * @public
 */
export function twakeIdentity(req: Request): TwakeIdentity {
  const identity = req.twake;
  if (identity === undefined) throw new TypeError('twake-app-auth: no identity on this request: mount twakeAppAuth() or the passport strategy before this handler.');
  return identity;
}
