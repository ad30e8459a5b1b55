// Maps the Node backend's resource scopes (access.read / write / delete of messages, channels, files…) to v1 capabilities and privileges.
import { TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from 'twake-app-auth';

/** Which list of a Node-era `access` object a scope came from. */
export type AccessVerb = 'read' | 'write' | 'delete';

/**
 * The v1 names a Node-era scope stands for. The Node backend checked resource scopes, not v1 names; the
 * v1 API's routes for the same resource need these (see twakeV1Routes). Scopes with no v1 route
 * (users, applications, hooks, reading messages) map to nothing and are reported.
 */
const SCOPES: Readonly<Record<string, Partial<Record<AccessVerb, { capabilities?: string[]; privileges?: string[] }>>>> = {
  messages: { write: { capabilities: ['messages_save'] }, delete: { capabilities: ['messages_remove'] } },
  channels: { read: { privileges: ['channels'] } },
  workspaces: { read: { privileges: ['workspace'] } },
  files: { read: { privileges: ['workspace_drive', 'drive_list'] }, write: { capabilities: ['drive_save'] }, delete: { capabilities: ['drive_remove'] } },
  drive: { read: { privileges: ['workspace_drive', 'drive_list'] }, write: { capabilities: ['drive_save'] }, delete: { capabilities: ['drive_remove'] } },
  calendar: { read: { privileges: ['workspace_calendar'] }, write: { capabilities: ['calendar_event_save'] }, delete: { capabilities: ['calendar_event_remove'] } },
  tasks: { read: { privileges: ['workspace_tasks'] }, write: { capabilities: ['tasks_task_save'] }, delete: { capabilities: ['tasks_task_remove'] } },
};

/** A declared name that is neither a v1 name nor a mapped scope is kept as declared when it is this plain. */
const PLAIN_NAME = /^[\w.:-]{1,64}$/;

/** What one access list of an application declares, in v1 terms, and what could not be translated. */
export interface TranslatedAccess {
  capabilities: string[];
  privileges: string[];
  /** Human-readable lines: each scope mapped, each name kept as declared or dropped. */
  notes: string[];
}

/**
 * Translates names from `verb`'s list (a v1 name, as the Node backend's migration copied PHP's lists, or a
 * resource scope) into v1 capabilities (write, delete) or privileges (read).
 */
export function translateAccess(verb: AccessVerb, names: readonly string[]): TranslatedAccess {
  const result: TranslatedAccess = { capabilities: [], privileges: [], notes: [] };
  const v1: readonly string[] = verb === 'read' ? TWAKE_PRIVILEGES : TWAKE_CAPABILITIES;
  for (const name of names) {
    if (v1.includes(name)) {
      (verb === 'read' ? result.privileges : result.capabilities).push(name);
      continue;
    }
    const mapped = Object.prototype.hasOwnProperty.call(SCOPES, name) ? SCOPES[name]?.[verb] : undefined;
    if (mapped !== undefined) {
      result.capabilities.push(...(mapped.capabilities ?? []));
      result.privileges.push(...(mapped.privileges ?? []));
      result.notes.push(`access.${verb} "${name}" → ${[...(mapped.capabilities ?? []), ...(mapped.privileges ?? [])].join(', ')}`);
    } else if (Object.prototype.hasOwnProperty.call(SCOPES, name) || ['users', 'applications', 'hooks'].includes(name)) {
      result.notes.push(`access.${verb} "${name}": no v1 route needs it, not imported`);
    } else if (PLAIN_NAME.test(name)) {
      (verb === 'read' ? result.privileges : result.capabilities).push(name);
      result.notes.push(`${verb === 'read' ? 'privilege' : 'capability'} "${name}" is not in Twake's v1 list: kept as declared, it grants no route`);
    } else {
      result.notes.push(`${verb === 'read' ? 'privilege' : 'capability'} ${JSON.stringify(name.slice(0, 64))} is not a name: dropped`);
    }
  }
  return result;
}
