// The sequence most server suites start with: a fresh database, one application installed in a company
// through the real CLI, and the real server on it (kept apart from processes.ts, which has no database).
import type { Provider } from '../../server/src/database/database-url';
import { createEmptyDatabaseUrl } from './databases';
import { cliJson, startServer, type ServerProcess } from './processes';

/** What {@link startServerWithApp} made; `stop()` stops the server and drops the database. */
export interface ServerWithApp {
  readonly env: NodeJS.ProcessEnv;
  readonly app: { publicId: string; privateKey: string };
  readonly server: ServerProcess;
  stop(): Promise<void>;
}

/**
 * Creates a database of `provider`, an application (`app create --name NAME …createArgs`) installed in
 * `company`, and starts `serve` on it in development mode with `serverEnv` added.
 */
export async function startServerWithApp(
  provider: Provider,
  options: { name: string; createArgs?: string[]; company?: string; serverEnv?: NodeJS.ProcessEnv } = { name: 'Test app' },
): Promise<ServerWithApp> {
  const database = await createEmptyDatabaseUrl(provider);
  const env = { DATABASE_URL: database.url };
  try {
    const app = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', options.name, ...(options.createArgs ?? [])], env);
    await cliJson(['app', 'install', app.publicId, '--company', options.company ?? 'acme'], env);
    const server = await startServer({ ...env, NODE_ENV: 'development', ...options.serverEnv });
    return {
      env,
      app,
      server,
      async stop() {
        await server.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
