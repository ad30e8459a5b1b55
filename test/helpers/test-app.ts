// The server's request listener in process (no port, no database of its own) with quiet defaults for tests.
import { createLogger } from '../../server/src/server/logger';
import { createApp, type AppOptions, type ValidatorApp } from '../../server/src/server/server';

/**
 * `createApp` with a silent logger, development mode, no proxy trusted, no throttle, no cleartext
 * revocation and a readiness check that always passes; `options` (the store at least) override them.
 */
export function testApp(options: Partial<AppOptions> & Pick<AppOptions, 'store'>): ValidatorApp {
  return createApp({
    mode: 'development',
    trustProxy: false,
    logger: createLogger('silent'),
    throttle: null,
    revokeKeysSeenInCleartext: false,
    checkReady: async () => undefined,
    ...options,
  });
}
