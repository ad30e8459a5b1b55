// The server's routes, matched as Express 5 matches them: case-insensitive, a trailing slash allowed, the path undecoded.

/** A route: its pattern (for logs), the methods it answers (null: every method), and whether a path follows it. */
export interface Route<Handler> {
  readonly pattern: string;
  readonly methods: readonly string[] | null;
  readonly handler: Handler;
  /** Matches `pattern/*rest` too (the rest decoded segment by segment, as Express decodes a wildcard). */
  readonly withRest?: boolean;
}

/** What a path and method found: a route, the methods its path answers (405-free, as Express: 404 or OPTIONS), or nothing. */
export type RouteMatch<Handler> =
  | { readonly kind: 'route'; readonly route: Route<Handler> }
  | { readonly kind: 'options'; readonly allow: string }
  | { readonly kind: 'bad-path' }
  | null;

// Express answers HEAD from a GET route.
const answers = (methods: readonly string[] | null, method: string): boolean =>
  methods === null || methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));

// The methods of Express's automatic OPTIONS answer: each route's own, HEAD beside GET, sorted.
function allowOf(methods: readonly string[]): string {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  return [...all].sort().join(', ');
}

/** Whether every segment of a wildcard's value decodes (Express refuses the request with 400 otherwise). */
function decodes(rest: string): boolean {
  try {
    for (const segment of rest.split('/')) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is `pattern` (any case), with at most one trailing slash. */
function isExactly(path: string, pattern: string): boolean {
  if (path === pattern) return true;
  const length = pattern.length;
  if (path.length !== length && !(path.length === length + 1 && path.charCodeAt(length) === 47)) return false;
  return path.slice(0, length).toLowerCase() === pattern;
}

/**
 * Finds the route of `method` and `path` in `routes` (patterns in lower case). OPTIONS on a path whose
 * routes do not take OPTIONS is answered with their methods, as Express does; a wildcard's value that
 * does not decode is a bad path (400), as in Express.
 */
export function matchRoute<Handler>(routes: ReadonlyArray<Route<Handler>>, method: string, path: string): RouteMatch<Handler> {
  const allowed: string[] = [];
  for (const route of routes) {
    let found = isExactly(path, route.pattern);
    if (!found && route.withRest === true && path.length > route.pattern.length + 1 && path.charCodeAt(route.pattern.length) === 47) {
      found = path.slice(0, route.pattern.length).toLowerCase() === route.pattern;
      if (found && !decodes(path.slice(route.pattern.length + 1))) return { kind: 'bad-path' };
    }
    if (!found) continue;
    if (answers(route.methods, method)) return { kind: 'route', route };
    if (route.methods !== null) allowed.push(...route.methods);
  }
  return method === 'OPTIONS' && allowed.length > 0 ? { kind: 'options', allow: allowOf(allowed) } : null;
}
