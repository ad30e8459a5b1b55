// The server's start line shows which database it uses without any of the URL's secrets.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { startServer } from '../helpers/processes';

describe.each(testProviders())('twake-app-auth serve on %s, DATABASE_URL with secrets', (provider) => {
  let url: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl(provider);
    drop = database.drop;
    // Trust authentication (tests) ignores passwords; the server still reads them from the URL.
    url = `${database.url}?password=query-secret-1&sslpassword=query-secret-2&application_name=twake-redaction`;
    if (provider === 'postgresql') url = url.replace('postgresql://postgres@', 'postgresql://postgres:userinfo-secret-3@');
  });

  afterAll(async () => {
    await drop();
  });

  it('logs the database with ***, never the password given as ?password=, ?sslpassword= or in userinfo', async () => {
    const server = await startServer({ DATABASE_URL: url, NODE_ENV: 'development' });
    try {
      const start = JSON.parse(server.logs.find((line) => line.includes('listening on')) as string) as { database: string; msg: string };
      expect(start.database).toMatch(/\?password=\*\*\*&sslpassword=\*\*\*&application_name=twake-redaction$/);
      if (provider === 'postgresql') expect(start.database.startsWith(`postgresql://postgres:***@${new URL(url).host}/`)).toBe(true);
      expect(start.msg).toContain(`database ${start.database},`);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.logs.join('\n')).not.toContain('secret');
  });
});
