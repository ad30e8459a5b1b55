// jose, loaded on first use: it ships ES modules only, which Node 20.19+ requires natively; a backend
// that never signs nor verifies an assertion does not load it at all.
import type * as Jose from 'jose';

export type JoseModule = typeof Jose;

let loaded: JoseModule | undefined;

/** The jose module (throws a clear error on a Node without `require()` of ES modules). */
export function jose(): JoseModule {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by the assertion features
      loaded = require('jose') as JoseModule;
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ERR_REQUIRE_ESM') {
        throw new Error(`twake-app-auth: identity assertions need Node 20.19 or later (this is ${process.version}).`, { cause });
      }
      throw cause;
    }
  }
  return loaded;
}
