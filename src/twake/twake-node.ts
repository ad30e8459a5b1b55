// Twake's Node-era access scopes (read/write/delete of messages, channels, …) as a route table for company paths.
import { segmentsOf } from './company-path';
import { mergeRequirements, type Requirement } from './twake-v1';

/** The resources an application's `access` names in Twake's Node backend (applications/entities/application.ts). @public */
export type NodeScope = 'files' | 'applications' | 'workspaces' | 'users' | 'messages' | 'channels';
/** What an application does to a resource: Twake's `access.read`, `access.write`, `access.delete`. @public */
export type NodeAction = 'read' | 'write' | 'delete';

/** One row: a method and path pattern under `/api/`, the scope it needs, and the Twake route it comes from. @public */
export interface NodeRoute {
  /** `GET`, `POST`, `PUT`, `DELETE`, or `*` for any. */
  readonly method: string;
  /** Segments after `/api/`; `:name` matches one segment, a final `**` the rest. */
  readonly path: string;
  readonly scope: NodeScope;
  readonly action: NodeAction;
  /** The Twake Node route it mirrors: service file and route. */
  readonly source: string;
}

/** Rows tried in order; the first that matches gives the requirement. @public */
export type NodeRouteTable = readonly NodeRoute[];

export const NODE_SCOPES: readonly NodeScope[] = Object.freeze(['files', 'applications', 'workspaces', 'users', 'messages', 'channels']);
/** Grant names for the Node scopes: `read:<scope>` is a privilege (a read right), `write:` and `delete:` capabilities. @public */
export const NODE_PRIVILEGES: readonly string[] = Object.freeze(NODE_SCOPES.map((scope) => `read:${scope}`));
export const NODE_CAPABILITIES: readonly string[] = Object.freeze(NODE_SCOPES.flatMap((scope) => [`write:${scope}`, `delete:${scope}`]));

const row = (method: string, path: string, scope: NodeScope, action: NodeAction, source: string): NodeRoute => Object.freeze({ method, path, scope, action, source });

// A service's routes by method: GET reads, DELETE deletes, anything else writes (Twake's handlers use POST
// both to create and to update).
const service = (prefix: string, scope: NodeScope, source: string): NodeRoute[] => [
  row('GET', `${prefix}/companies/:company_id/**`, scope, 'read', `${source} (GET routes)`),
  row('HEAD', `${prefix}/companies/:company_id/**`, scope, 'read', `${source} (GET routes)`),
  row('DELETE', `${prefix}/companies/:company_id/**`, scope, 'delete', `${source} (DELETE routes)`),
  row('*', `${prefix}/companies/:company_id/**`, scope, 'write', `${source} (POST routes)`),
];

const MESSAGE = 'messages/v1/companies/:company_id/threads/:thread_id/messages/:message_id';

/**
 * The scopes of Twake's Node services, reached as `/api/:service/:version/companies/:company_id/…` through
 * its applications API proxy (applications-api/web/routes.ts, which rewrites `/api/` to
 * `/internal/services/`). Each row cites the service route it mirrors. Pass as
 * `twakeAppAuth({ store, tokens, nodeRoutes: twakeNodeRoutes })`; grants are `read:<scope>` privileges and
 * `write:<scope>` / `delete:<scope>` capabilities. Paths of other services need only the installation.
 *
 * @public
 */
export const twakeNodeRoutes: NodeRouteTable = Object.freeze([
  // Messages deleted through POST (messages/web/routes.ts: POST …/messages/:message_id/delete and /deletelink).
  row('POST', `${MESSAGE}/delete`, 'messages', 'delete', 'messages/web/routes.ts POST /companies/:company_id/threads/:thread_id/messages/:message_id/delete'),
  row('POST', `${MESSAGE}/deletelink`, 'messages', 'delete', 'messages/web/routes.ts POST /companies/:company_id/threads/:thread_id/messages/:message_id/deletelink'),
  ...service('messages/v1', 'messages', 'messages/web/routes.ts'),
  ...service('channels/v1', 'channels', 'channels/web/routes.ts'),
  ...service('files/v1', 'files', 'files/web/routes.ts'),
  ...service('users/v1', 'users', 'user/web/routes.ts'),
  ...service('workspaces/v1', 'workspaces', 'workspaces/web/routes.ts'),
  ...service('applications/v1', 'applications', 'applications/web/routes.ts'),
]);

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let index = 0; index < pattern.length; index += 1) {
    const part = pattern[index] as string;
    if (part === '**' && index === pattern.length - 1) return segments.length > index;
    const segment = segments[index];
    if (segment === undefined || (!part.startsWith(':') && part !== segment)) return false;
  }
  return segments.length === pattern.length;
}

const requirementOfRow = (route: NodeRoute): Requirement =>
  route.action === 'read'
    ? Object.freeze({ capabilities: Object.freeze([]), privileges: Object.freeze([`read:${route.scope}`]) })
    : Object.freeze({ capabilities: Object.freeze([`${route.action}:${route.scope}`]), privileges: Object.freeze([]) });

function lookUp(table: NodeRouteTable, method: string, segments: readonly string[]): Requirement | null {
  const found = table.find((route) => (route.method === '*' || route.method === method) && matches(route.path.split('/'), segments));
  return found === undefined ? null : requirementOfRow(found);
}

/**
 * Each path without its query, as the routers that matter read it: whole (Express), and also cut at its
 * first `;` (Twake's Node backend routes with find-my-way, which ends a path there, so `…/delete;x` is its
 * delete route). Paths that cannot be a company path are left out without being split.
 */
function routerReadings(paths: readonly string[]): string[] {
  const readings: string[] = [];
  for (const path of paths) {
    const question = path.indexOf('?');
    const whole = question < 0 ? path : path.slice(0, question);
    // Every row is a company path: without the word (or an escape that could spell it), no row applies.
    if (!whole.includes('%') && !whole.toLowerCase().includes('companies')) continue;
    readings.push(whole);
    const semicolon = whole.indexOf(';');
    if (semicolon >= 0) readings.push(whole.slice(0, semicolon));
  }
  return readings;
}

/**
 * What `method` on `path` requires in `table`: read from the segments after `/api/` and, relative to
 * where the middleware is mounted, from the path itself; both readings apply. Segments are decoded, case
 * folded and dot segments resolved, so that no spelling skips a row. A path that cannot be decoded on a
 * company path requires every scope's grant for the method (it is refused unless all are granted).
 */
export function nodeRequirementOf(table: NodeRouteTable, method: string, paths: readonly string[]): Requirement | null {
  const verb = method.toUpperCase();
  const found: Array<Requirement | null> = [];
  for (const path of routerReadings(paths)) {
    const segments = segmentsOf(path)?.map((segment) => segment.toLowerCase());
    if (segments === undefined) {
      found.push(...table.filter((route) => route.method === '*' || route.method === verb).map(requirementOfRow));
      continue;
    }
    const api = segments.indexOf('api');
    if (api >= 0) found.push(lookUp(table, verb, segments.slice(api + 1)));
    found.push(lookUp(table, verb, segments));
  }
  return mergeRequirements(found);
}
