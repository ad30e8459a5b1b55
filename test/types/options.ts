// Compile-time checks of the public option types, run by `npm run typecheck` (never executed): a
// `@ts-expect-error` that finds no error fails the check, so each refused call below must stay refused.
import { twakeAppAuth, twakeAppLogin, twakeAppMe, twakeAppTokenRenewal, twakeNodeRoutes, TwakeAppStrategy, type MemoryStore, type TwakeAppAuthOptions } from '../../src';

declare const store: MemoryStore;

// `store` is required: without it the factory and the strategy are compile errors, not run-time ones.
// @ts-expect-error -- no store
twakeAppAuth({});
// @ts-expect-error -- no store
new TwakeAppStrategy({});
// @ts-expect-error -- options are required
twakeAppAuth();
// @ts-expect-error -- no store, even with other options
twakeAppAuth({ mode: 'development' });
// @ts-expect-error -- a store that is not an ApplicationStore
twakeAppAuth({ store: {} });
// @ts-expect-error -- an unknown option
twakeAppAuth({ store, relm: 'x' });

// With a store, every other option is optional.
twakeAppAuth({ store });
new TwakeAppStrategy({ store });
twakeAppAuth({ store, mode: 'development', realm: 'Mine', throttle: false, routes: null });
new TwakeAppStrategy({ store, mode: 'production', bodyLimit: '1mb' });
const options: TwakeAppAuthOptions = { store, unreadBodies: 'allow' };
twakeAppAuth(options);

// The token routes need `tokens`; the middleware takes it as an option like any other.
twakeAppLogin({ store, tokens: { secret: 'a secret of thirty-two bytes or more' } });
twakeAppTokenRenewal({ store, tokens: { secret: 'a secret of thirty-two bytes or more', accessTtlSeconds: 600 } });
twakeAppMe({ store, tokens: { secret: 'a secret of thirty-two bytes or more' } });
twakeAppAuth({ store, tokens: { secret: 'a secret of thirty-two bytes or more' }, nodeRoutes: twakeNodeRoutes });
// @ts-expect-error -- the login without tokens
twakeAppLogin({ store });
// @ts-expect-error -- a secret that is not a string
twakeAppLogin({ store, tokens: { secret: 1 } });
// @ts-expect-error -- an unknown token option
twakeAppAuth({ store, tokens: { secret: 'a secret of thirty-two bytes or more', ttl: 1 } });
