// Loads this package's drivers on first use, resolved from this package, with the library's install hint.
import { requireAllOptional as requireAllFrom, requireOptional as requireFrom, type OptionalPeer } from 'twake-app-auth/internal';

export type { OptionalPeer };

/** `require(name)` from this package, or a `MissingPeerError` naming the package and the feature that needs it. */
export function requireOptional<T>(name: OptionalPeer, feature: string): T {
  return requireFrom<T>(name, feature, require);
}

/** Throws one `MissingPeerError` naming every package of `names` this package cannot find. */
export function requireAllOptional(names: readonly OptionalPeer[], feature: string, alternative = ''): void {
  requireAllFrom(names, feature, alternative, require);
}
