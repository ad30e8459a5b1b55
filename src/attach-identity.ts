// Puts the identity on the request as a read-only property.
import type { Request } from 'express';
import type { TwakeIdentity } from './types';

/** Sets `req.twake`; handlers can read it but not assign it. */
export function attachIdentity(req: Request, identity: TwakeIdentity): void {
  Object.defineProperty(req, 'twake', { value: identity, enumerable: true, writable: false, configurable: true });
}
