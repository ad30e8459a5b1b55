import { describe, expect, it } from '@jest/globals';
import { NODE_CAPABILITIES, NODE_PRIVILEGES, nodeRequirementOf, twakeNodeRoutes } from '../../src/twake/twake-node';

const need = (method: string, ...paths: string[]) => nodeRequirementOf(twakeNodeRoutes, method, paths);

describe('twakeNodeRoutes', () => {
  it('should cite a Twake route for every row and use only known grant names', () => {
    for (const route of twakeNodeRoutes) {
      expect(route.source).toMatch(/^[a-z-]+\/web\/routes\.ts /);
      const name = `${route.action}:${route.scope}`;
      expect(route.action === 'read' ? NODE_PRIVILEGES : NODE_CAPABILITIES).toContain(name);
    }
  });

  it('should need read on GET, write on POST and PUT, delete on DELETE', () => {
    expect(need('GET', '/api/messages/v1/companies/c/threads/t/messages')).toEqual({ capabilities: [], privileges: ['read:messages'] });
    expect(need('head', '/api/messages/v1/companies/c/threads')).toEqual({ capabilities: [], privileges: ['read:messages'] });
    expect(need('POST', '/api/messages/v1/companies/c/threads')).toEqual({ capabilities: ['write:messages'], privileges: [] });
    expect(need('PUT', '/api/channels/v1/companies/c/workspaces/w/channels/x')).toEqual({ capabilities: ['write:channels'], privileges: [] });
    expect(need('DELETE', '/api/files/v1/companies/c/files/f')).toEqual({ capabilities: ['delete:files'], privileges: [] });
  });

  it('should read message deletions through POST as deletions', () => {
    expect(need('POST', '/api/messages/v1/companies/c/threads/t/messages/m/delete')).toEqual({ capabilities: ['delete:messages'], privileges: [] });
    expect(need('POST', '/api/messages/v1/companies/c/threads/t/messages/m/deletelink')).toEqual({ capabilities: ['delete:messages'], privileges: [] });
  });

  it('should not be fooled by case, escapes or dot segments', () => {
    expect(need('POST', '/api/MESSAGES/v1/companies/c/threads/t/messages/m/DELETE')).toEqual({ capabilities: ['delete:messages'], privileges: [] });
    expect(need('POST', '/api/messages/v1/companies/c/threads/t/messages/m/%64elete')).toEqual({ capabilities: ['delete:messages'], privileges: [] });
    expect(need('GET', '/api/files/v1/companies/c/../c/files')).toEqual({ capabilities: [], privileges: ['read:files'] });
  });

  it('should read both the path after /api/ and the path relative to the mount point', () => {
    expect(need('GET', '/api/messages/v1/companies/c/threads', '/messages/v1/companies/c/threads')).toEqual({ capabilities: [], privileges: ['read:messages'] });
    expect(need('GET', '/messages/v1/companies/c/threads')).toEqual({ capabilities: [], privileges: ['read:messages'] });
  });

  it('should ask nothing of other paths, and every grant of the method for an undecodable one', () => {
    expect(need('GET', '/api/v1/messages/save')).toBeNull();
    expect(need('GET', '/api/documents/v1/companies/c/item')).toBeNull();
    expect(need('GET', '/api/messages/v1/companies/%FF/threads')?.privileges).toEqual(expect.arrayContaining([...NODE_PRIVILEGES]));
  });
});
