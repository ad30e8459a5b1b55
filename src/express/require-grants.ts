// Route-level checks after twakeAppAuth(): the capabilities or privileges a handler needs, granted by the company.
import type { RequestHandler } from 'express';
import { MissingCapabilityError, MissingPrivilegeError } from '../core/errors';
import { refuse } from './problem';
import { missingFrom } from '../twake/twake-v1';

function requireGrants(kind: 'capabilities' | 'privileges', names: readonly string[]): RequestHandler {
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError(`twake-app-auth: require${kind === 'capabilities' ? 'Capabilities' : 'Privileges'}() needs one or more names.`);
  }
  const wanted = Object.freeze([...names]);
  return (req, res, next) => {
    const identity = req.twake;
    if (identity === undefined) {
      next(new TypeError('twake-app-auth: no identity on this request: mount twakeAppAuth() or the passport strategy before requireCapabilities()/requirePrivileges().'));
      return;
    }
    const missing = missingFrom(wanted, identity[kind]);
    if (missing.length === 0) next();
    else refuse(res, next, kind === 'capabilities' ? new MissingCapabilityError(missing) : new MissingPrivilegeError(missing));
  };
}

/** 403 `missing_capability` (listing the missing names) unless the company granted every one of `names`. @public */
export function requireCapabilities(...names: string[]): RequestHandler {
  return requireGrants('capabilities', names);
}

/** 403 `missing_privilege` (listing the missing names) unless the company granted every one of `names`. @public */
export function requirePrivileges(...names: string[]): RequestHandler {
  return requireGrants('privileges', names);
}
