// The server's routes, matched as Express 5 matches them: case-insensitive, a trailing slash allowed, the path undecoded.

/** A route: its pattern (for logs), the methods it answers (null: every method), and whether a path follows it. */
export interface Route<Handler> {
  readonly pattern: string;
  readonly methods: readonly string[] | null;
  readonly handler: Handler;
  /** Matches `pattern/*rest` too (the rest decoded segment by segment, as Express decodes a wildcard). */
  readonly withRest?: boolean;
}

/**
 * What a path and method found: a route, a bad path, or nothing (404 for any other method of a known path,
 * OPTIONS included: the Express app's catch-all 404 answered before Express's automatic OPTIONS could).
 */
export type RouteMatch<Handler> = { readonly kind: 'route'; readonly route: Route<Handler> } | { readonly kind: 'bad-path' } | null;

// Express answers HEAD from a GET route.
const answers = (methods: readonly string[] | null, method: string): boolean =>
  methods === null || methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));

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
 * Finds the route of `method` and `path` in `routes` (patterns in lower case). A wildcard's value that
 * does not decode is a bad path (400), as in Express.
 */
export function matchRoute<Handler>(routes: ReadonlyArray<Route<Handler>>, method: string, path: string): RouteMatch<Handler> {
  for (const route of routes) {
    let found = isExactly(path, route.pattern);
    if (!found && route.withRest === true && path.length > route.pattern.length + 1 && path.charCodeAt(route.pattern.length) === 47) {
      found = path.slice(0, route.pattern.length).toLowerCase() === route.pattern;
      if (found && !decodes(path.slice(route.pattern.length + 1))) return { kind: 'bad-path' };
    }
    if (!found) continue;
    if (answers(route.methods, method)) return { kind: 'route', route };
  }
  return null;
}
