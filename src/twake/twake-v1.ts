// Twake's v1 application API vocabulary, as data: capabilities, privileges and what each v1 route requires.
import { MethodNotAllowedError, UriTooLongError } from '../core/errors';
import { decodeComponent } from '../core/percent-decoding';

/** Write rights a company can grant an application (Twake's v1 names). @public */
export const TWAKE_CAPABILITIES = Object.freeze([
  'display_modal',
  'messages_save',
  'messages_remove',
  'drive_save',
  'drive_remove',
  'calendar_event_save',
  'calendar_event_remove',
  'tasks_task_save',
  'tasks_task_remove',
] as const);

/** Read rights a company can grant an application (Twake's v1 names). @public */
export const TWAKE_PRIVILEGES = Object.freeze([
  'channels',
  'workspace',
  'workspace_calendar',
  'workspace_tasks',
  'workspace_drive',
  'drive_list',
  'tasks_task_save',
  'tasks_task_remove',
] as const);

/** What a route needs granted: every capability and every privilege listed; and the methods it answers. @public */
export interface Requirement {
  readonly capabilities: readonly string[];
  readonly privileges: readonly string[];
  /**
   * Methods the route answers, upper case. Another method is refused with 405 `method_not_allowed` and
   * an `Allow` header, after the transport check and before the credentials. Absent: any method.
   */
  readonly methods?: readonly string[];
}

/** Route (path under `/api/v1/`, lower case, no slashes around) → requirement. @public */
export type RouteTable = Readonly<Record<string, Requirement>>;

const POST_ONLY = Object.freeze(['POST']);
const post = (capabilities: string[], privileges: string[] = []): Requirement =>
  Object.freeze({ capabilities: Object.freeze(capabilities), privileges: Object.freeze(privileges), methods: POST_ONLY });

/**
 * Twake's v1 routes that check the application, each with what its controller asks of
 * `getAppFromRequest($request, $capabilities, $privileges)` and the methods its Routing.php lists
 * (all POST), under `twake/backend/core/src/DevelopersApiV1/`. Twake's `users/notifications` and
 * `core/token` never checked the application: they are not in the table (see the README).
 * Pass as `twakeAppAuth({ store, routes: twakeV1Routes })`.
 *
 * @public
 */
export const twakeV1Routes: RouteTable = Object.freeze({
  // Messages/Controller/Message.php: saveMessage, removeMessage ($capabilities = []).
  'messages/save': post(['messages_save']),
  'messages/remove': post([]),
  // General/Controller/General.php: configure, closeConfigure ($capabilities = []).
  'general/configure': post(['display_modal']),
  'general/configure_close': post([]),
  // Drive/Controller/Drive.php: save, remove, getList, find, download.
  'drive/save': post(['drive_save']),
  'drive/remove': post(['drive_remove']),
  'drive/list': post([], ['drive_list']),
  'drive/find': post([], ['workspace_drive']),
  'drive/download': post([], ['workspace_drive']),
  // Calendar/Controller/Calendar.php: saveEvent, removeEvent, getCalendarList.
  'calendar/event/save': post(['calendar_event_save']),
  'calendar/event/remove': post(['calendar_event_remove']),
  'calendar/get_calendars': post([], ['workspace_calendar']),
  // Tasks/Controller/Tasks.php: saveTask, removeTask, getBoardList, getTasksInBoard, getListsInBoard.
  'tasks/task/save': post(['tasks_task_save']),
  'tasks/task/remove': post(['tasks_task_remove']),
  'tasks/get_boards': post([], ['workspace_tasks']),
  'tasks/task/get': post([], ['workspace_tasks']),
  'tasks/task/get_lists': post([], ['workspace_tasks']),
  // Channels/Controller/Channel.php: getChannelsByWorkspace, getDirectChannel ($capabilities = []).
  'channels/get_by_workspace': post([], ['channels']),
  'channels/get_direct_channel': post([]),
  // Users/Controller/Users.php: getAction ($capabilities = []).
  'users/get': post([]),
});

/**
 * Longest request path the route table reads, in characters (nginx's and Apache's own request lines stop
 * at about 8 KB). A longer path is refused with 414 before any other work: reading it would cost more
 * than the rest of the decision. @public
 */
export const MAX_ROUTE_PATH_LENGTH = 4096;

/**
 * The requirement of a request path in `routes`, or null; throws {@link UriTooLongError} for a path over
 * {@link MAX_ROUTE_PATH_LENGTH}. The path is normalised the way routers may
 * read it, so that no spelling reaches a handler without its requirement: percent-escapes decoded, case
 * folded (Express routes ignore case by default), backslashes read as slashes, dot segments resolved,
 * empty segments and trailing slashes dropped. A path
 * holding `/api/v1/` is looked up from there (the validator mounted anywhere, forward-auth URIs); any
 * other path as it is, relative to where the middleware is mounted.
 */
export function requirementOf(routes: RouteTable, path: string, v1Only = false): Requirement | null {
  if (path.length > MAX_ROUTE_PATH_LENGTH) throw new UriTooLongError();
  const key = PLAIN_PATH.test(path) ? plainKey(path, v1Only) : keyOf(normalisedSegments(path), v1Only);
  if (key === null) return null;
  return Object.prototype.hasOwnProperty.call(routes, key) ? (routes[key] ?? null) : null;
}

// Lower-case letters, digits, `_`, `-` and single slashes only: nothing to decode, fold or resolve (the
// usual case, read with string operations alone since it runs on every request).
// Each repetition ends with its own slash, so the match is linear whatever the input.
const PLAIN_PATH = /^\/?(?:[a-z0-9_-]+\/)*[a-z0-9_-]*$/;

function plainKey(path: string, v1Only: boolean): string | null {
  const start = path.startsWith('/') ? 1 : 0;
  const end = path.length > start && path.endsWith('/') ? path.length - 1 : path.length;
  const trimmed = path.slice(start, end);
  if (trimmed.startsWith('api/v1/')) return trimmed.slice(7);
  const v1 = trimmed.indexOf('/api/v1/');
  if (v1 >= 0) return trimmed.slice(v1 + 8);
  if (trimmed === 'api/v1' || trimmed.endsWith('/api/v1')) return '';
  return v1Only ? null : trimmed;
}

function keyOf(segments: string[], v1Only: boolean): string | null {
  const v1 = segments.findIndex((segment, index) => segment === 'api' && segments[index + 1] === 'v1');
  if (v1 < 0 && v1Only) return null;
  return (v1 < 0 ? segments : segments.slice(v1 + 2)).join('/');
}

/**
 * The segments of any other path, normalised the way a proxy or router may read it: escapes decoded
 * segment by segment (one malformed escape does not keep the others encoded), case folded, backslashes
 * read as slashes, matrix parameters and trailing dots or spaces dropped, dot segments resolved over the
 * whole path, so that no `..` moves a path in or out of /api/v1/. One pass and no backtracking: the
 * path comes from the request, before any credential is checked.
 */
function normalisedSegments(path: string): string[] {
  const text = (path.includes('%') ? decodedSegments(path) : path).toLowerCase();
  const segments: string[] = [];
  let start = 0;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : SLASH;
    if (code !== SLASH && code !== BACKSLASH) continue;
    if (index > start) addSegment(segments, text.slice(start, index));
    start = index + 1;
  }
  return segments;
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

function decodedSegments(path: string): string {
  return path
    .split('/')
    .map((segment) => decodeComponent(segment) ?? segment)
    .join('/');
}

function addSegment(segments: string[], raw: string): void {
  const semicolon = raw.indexOf(';');
  let segment = (semicolon < 0 ? raw : raw.slice(0, semicolon)).trim();
  if (segment !== '.' && segment !== '..') segment = withoutTrailingDotsOrSpaces(segment);
  if (segment === '..') segments.pop();
  else if (segment !== '' && segment !== '.') segments.push(segment);
}

// A scan from the end rather than /[.\s]+$/, which backtracks quadratically on a long run of dots or
// spaces followed by anything else.
const DOT_OR_SPACE = /^[.\s]$/;
function withoutTrailingDotsOrSpaces(segment: string): string {
  let end = segment.length;
  while (end > 0 && DOT_OR_SPACE.test(segment.charAt(end - 1))) end -= 1;
  return segment.slice(0, end);
}

/**
 * The path of a request target: up to its query or fragment, whichever comes first, and without the scheme
 * and authority of an absolute-form target (RFC 9112 §3.2.2, `GET http://host/api/v1/… HTTP/1.1`), which
 * Node passes on as it came and Express routes by its path alone: read whole, a `%2f` in its user-info
 * could name another route.
 */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  const fragment = target.indexOf('#');
  const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
  return originFormOf(end < 0 ? target : target.slice(0, end));
}

/**
 * `target` without the scheme and authority of an absolute-form target (RFC 9112 §3.2.2: `http://host/path?query`
 * becomes `/path?query`), as Express's router reads it; any other target as it is.
 */
export function originFormOf(target: string): string {
  if (!ABSOLUTE_FORM.test(target)) return target;
  // The authority ends at the first slash, or backslash (URL parsers read it as one), "?" or "#".
  const from = target.indexOf('//') + 2;
  let end = from;
  while (end < target.length && !AUTHORITY_ENDS.includes(target.charAt(end))) end += 1;
  if (end === target.length) return '/';
  return target.charAt(end) === '/' || target.charAt(end) === '\\' ? target.slice(end) : `/${target.slice(end)}`;
}

const AUTHORITY_ENDS = '/\\?#';

// A scheme (RFC 3986 §3.1) then "//": nothing in it can backtrack.
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\//i;

/** Every requirement of `requirements` at once (null when none). */
export function mergeRequirements(requirements: ReadonlyArray<Requirement | null>): Requirement | null {
  const present = requirements.filter((requirement): requirement is Requirement => requirement !== null);
  if (present.length <= 1) return present[0] ?? null;
  const limited = present.flatMap((requirement) => (requirement.methods === undefined ? [] : [requirement.methods]));
  const merged = {
    capabilities: [...new Set(present.flatMap((requirement) => requirement.capabilities))],
    privileges: [...new Set(present.flatMap((requirement) => requirement.privileges))],
  };
  // Every reading's methods must allow it: the intersection.
  if (limited.length === 0) return merged;
  const [first = [], ...others] = limited;
  return { ...merged, methods: first.filter((method) => others.every((methods) => methods.includes(method))) };
}

/**
 * Refuses `method` when `requirement` lists the methods its route answers and `method` is not one of
 * them (405 with `Allow`). HEAD is not read as GET: a route that takes only POST answers neither.
 */
export function checkMethod(requirement: Requirement | null, method: string): void {
  const methods = requirement?.methods;
  if (methods !== undefined && !methods.includes(method.toUpperCase())) throw new MethodNotAllowedError(methods);
}

/** Names of `wanted` that `granted` lacks. */
export function missingFrom(wanted: readonly string[], granted: readonly string[]): string[] {
  return wanted.filter((name) => !granted.includes(name));
}
