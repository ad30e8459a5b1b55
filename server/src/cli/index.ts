// Parses the command line and runs one command; failures become one line on stderr and a non-zero exit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdmin, InvalidAdminInputError } from 'twake-app-auth';
import { MAX_APPLICATION_NAME_LENGTH, MAX_GROUP_ID_LENGTH, checkedAccess, type AccessInput } from 'twake-app-auth/internal';
import { checkDatabasePeers, openDatabase } from '../database/database';
import { providerOf } from '../database/database-url';
import { migrate } from '../database/migrate';
import { databaseUrlFrom } from '../server/server-config';
import { TwakeImportError } from '../import/import-error';
import { createCommand, installCommand, listCommand, rotateKeyCommand, setCommand, setEnabledCommand, uninstallCommand } from './commands/app';
import { importCommand } from './commands/import';
import { listKeysCommand, parseAlgorithm, rotateKeysCommand } from './commands/keys';
import { migrateCommand } from './commands/migrate';
import { schemaSql } from './commands/schema';
import { serveCommand } from './commands/serve';
import { failureOf, reportFailure } from './failure';
import { invocation } from './invocation';
import { print, type Io, type Result } from './output';

const USAGE = `Usage: twake-app-auth <command> [--json] [--verbose]   (--help, --version)

Commands:
  migrate                                      apply pending database migrations
  app create --name NAME [ACCESS]              register an application (prints its key once)
  app set PUBLIC_ID [ACCESS]                   change what it asks for and where it may call from
  app list                                     applications, what they ask for and were granted, keys
  app install PUBLIC_ID --company COMPANY      install an application in a company
         [--grant a,b,x]                       granting these (default: all it asks for)
  app uninstall PUBLIC_ID --company COMPANY    remove that installation
  app rotate-key PUBLIC_ID [--grace SECONDS]   issue a new key; older keys expire after the grace (default 0)
  app disable PUBLIC_ID | app enable PUBLIC_ID refuse / allow all of an application's keys
  import --from FILE [--from FILE…]            import Twake applications, keys and installations
         [--twake-secret HEX] [--dry-run]      (exports: JSON, JSON lines, cqlsh SELECT JSON; see README)
         [--update-existing] [--overwrite]     also change applications that exist / reset them to the file
         [--allow-weak-keys]                   import keys shorter than Twake made, flagged for rotation
         [--twake-grants]                      grant all Twake allowed, even beyond declarations
  keys list                                    keys that sign forward-auth's identity assertions
  keys rotate [--grace SECONDS]                add a signing key; the current ones stay published
         [--activate-in SECONDS]               this long after it signs (default 3600); the new
         [--algorithm EdDSA|ES256]             key signs after --activate-in (default 60)
  serve                                        run the validator server
  schema --sql --provider sqlite|postgresql    our tables and change triggers as SQL, for your own migration
         [--triggers]                          (only the PostgreSQL change triggers)

ACCESS: --capabilities a,b  --privileges x,y  --allowed-ips LIST (addresses or CIDR ranges, * for any)

Names: 1 to ${MAX_APPLICATION_NAME_LENGTH} characters; company ids: 1 to ${MAX_GROUP_ID_LENGTH}; neither with control, bidi or
other invisible characters.

--json: results on stdout and errors on stderr as JSON ({"error": {"code", "message", "causes"}}).
--verbose: with an error, its causes too.

Environment: DATABASE_URL (default file:./data/twake-app-auth.db); TWAKE_IMPORT_SECRET (import's
--twake-secret, never printed); see .env.example for the server's.`;

/** The version of the installed package, from its package.json. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}

/** A mistake in the command line: exit code 2 and the usage hint. */
class UsageError extends Error {}

type Values = {
  json?: boolean;
  verbose?: boolean;
  name?: string;
  company?: string;
  grace?: string;
  help?: boolean;
  sql?: boolean;
  provider?: string;
  triggers?: boolean;
  capabilities?: string;
  privileges?: string;
  'allowed-ips'?: string;
  grant?: string;
  from?: string[];
  'dry-run'?: boolean;
  'twake-secret'?: string;
  'update-existing'?: boolean;
  overwrite?: boolean;
  'allow-weak-keys'?: boolean;
  'twake-grants'?: boolean;
  'activate-in'?: string;
  algorithm?: string;
};

// A comma-separated option; undefined when not given.
const commaList = (value: string | undefined): string[] | undefined => (value === undefined ? undefined : value.split(','));

function accessOptions(values: Values): AccessInput {
  return { capabilities: commaList(values.capabilities), privileges: commaList(values.privileges), allowedIps: commaList(values['allowed-ips']) };
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing ${what}`);
  return value;
}

function parseSeconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number of seconds`);
  return Number(value);
}

const ONE_DAY_SECONDS = 86_400;
const ONE_YEAR_SECONDS = 31_536_000;

const parseGrace = (value: string | undefined): number => parseSeconds(value, '--grace', 0);

async function runKeysCommand(verb: string | undefined, args: string[], values: Values, databaseUrl: string): Promise<Result> {
  if (verb !== 'list' && verb !== 'rotate') throw new UsageError(`unknown keys command ${JSON.stringify(verb ?? '')}`);
  if (args.length !== 0) throw new UsageError(`keys ${verb} takes no argument`);
  const algorithm = parseAlgorithm(values.algorithm);
  if (algorithm === null) throw new UsageError('--algorithm must be EdDSA or ES256');
  const input = { algorithm, activateInSeconds: parseSeconds(values['activate-in'], '--activate-in', 60), graceSeconds: parseSeconds(values.grace, '--grace', 3600) };
  if (input.activateInSeconds > ONE_DAY_SECONDS) throw new UsageError(`--activate-in must be ${ONE_DAY_SECONDS} seconds (a day) or less`);
  if (input.graceSeconds > ONE_YEAR_SECONDS) throw new UsageError(`--grace must be ${ONE_YEAR_SECONDS} seconds (a year) or less`);
  await migrate(databaseUrl);
  const database = openDatabase(databaseUrl);
  try {
    return verb === 'list' ? await listKeysCommand(database.prisma) : await rotateKeysCommand(database.prisma, input);
  } finally {
    await database.close();
  }
}

async function runAppCommand(verb: string | undefined, args: string[], values: Values, databaseUrl: string, command: string): Promise<Result> {
  const known = ['create', 'set', 'list', 'install', 'uninstall', 'rotate-key', 'enable', 'disable'];
  if (verb === undefined || !known.includes(verb)) throw new UsageError(`unknown app command ${JSON.stringify(verb ?? '')}`);
  const expected = verb === 'create' || verb === 'list' ? 0 : 1;
  if (args.length !== expected) throw new UsageError(expected === 0 ? `app ${verb} takes no argument` : `app ${verb} needs PUBLIC_ID`);
  // Refused input writes nothing, not even a new database file.
  if (verb === 'create' || verb === 'set') checkedAccess(accessOptions(values));
  await migrate(databaseUrl);
  const database = openDatabase(databaseUrl);
  try {
    const admin = createAdmin(database.prisma);
    const publicId = args[0] ?? '';
    switch (verb) {
      case 'create':
        return await createCommand(admin, required(values.name, '--name'), accessOptions(values), command);
      case 'set':
        return await setCommand(admin, publicId, accessOptions(values));
      case 'list':
        return await listCommand(admin, command);
      case 'install':
        return await installCommand(admin, publicId, required(values.company, '--company'), commaList(values.grant));
      case 'uninstall':
        return await uninstallCommand(admin, publicId, required(values.company, '--company'));
      case 'rotate-key':
        return await rotateKeyCommand(admin, publicId, parseGrace(values.grace));
      default:
        return await setEnabledCommand(admin, publicId, verb === 'enable');
    }
  } finally {
    await database.close();
  }
}

function schemaCommand(extra: string | undefined, values: Values): string {
  if (extra !== undefined) throw new UsageError('schema takes no argument');
  if (values.sql !== true) throw new UsageError('schema needs --sql');
  if (values.provider !== 'sqlite' && values.provider !== 'postgresql') throw new UsageError('schema needs --provider sqlite or --provider postgresql');
  if (values.triggers === true && values.provider !== 'postgresql') throw new UsageError('--triggers is for PostgreSQL only (SQLite has none)');
  const sql = schemaSql(values.provider, values.triggers === true);
  return values.json === true ? `${JSON.stringify({ sql })}\n` : sql;
}

async function runImport(values: Values, env: NodeJS.ProcessEnv, databaseUrl: string): Promise<Result> {
  const files = values.from ?? [];
  if (files.length === 0 || files.some((file) => file.trim() === '')) throw new UsageError('missing --from');
  const secret = values['twake-secret'] ?? (env.TWAKE_IMPORT_SECRET?.trim() || undefined);
  // A bad file is refused before the database is created or migrated; a dry run creates and migrates nothing.
  return importCommand(databaseUrl, {
    files,
    secret,
    dryRun: values['dry-run'] === true,
    updateExisting: values['update-existing'] === true,
    overwrite: values.overwrite === true,
    allowWeakKeys: values['allow-weak-keys'] === true,
    undeclaredGrants: values['twake-grants'] === true ? 'declare' : 'drop',
  });
}

/** Runs the CLI with `argv` (without node and the script); resolves the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        name: { type: 'string' },
        company: { type: 'string' },
        grace: { type: 'string' },
        sql: { type: 'boolean' },
        provider: { type: 'string' },
        triggers: { type: 'boolean' },
        capabilities: { type: 'string' },
        privileges: { type: 'string' },
        'allowed-ips': { type: 'string' },
        grant: { type: 'string' },
        from: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        'twake-secret': { type: 'string' },
        'update-existing': { type: 'boolean' },
        overwrite: { type: 'boolean' },
        'allow-weak-keys': { type: 'boolean' },
        'twake-grants': { type: 'boolean' },
        'activate-in': { type: 'string' },
        algorithm: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    const [command, verb, ...rest] = positionals;
    if (values.version) {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (command === undefined) throw new UsageError('missing command');
    if (command === 'serve') {
      await serveCommand(io.env);
      return 0;
    }
    if (command === 'schema') {
      io.stdout(schemaCommand(verb, values));
      return 0;
    }
    const databaseUrl = databaseUrlFrom(io.env);
    checkDatabasePeers(providerOf(databaseUrl), [], !io.env.DATABASE_URL?.trim());
    let result: Result;
    if (command === 'migrate') {
      if (verb !== undefined) throw new UsageError('migrate takes no argument');
      result = await migrateCommand(databaseUrl);
    } else if (command === 'import') {
      if (verb !== undefined) throw new UsageError('import takes no argument');
      result = await runImport(values, io.env, databaseUrl);
    } else if (command === 'app') {
      result = await runAppCommand(verb, rest, values, databaseUrl, invocation(io.env));
    } else if (command === 'keys') {
      result = await runKeysCommand(verb, rest, values, databaseUrl);
    } else {
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
    print(io, result, values.json === true);
    return 0;
  } catch (error) {
    // Read from argv itself: the arguments may be what failed to parse. Messages may quote argv: escaped.
    const output = { json: argv.includes('--json'), verbose: argv.includes('--verbose') };
    if (error instanceof TwakeImportError) {
      reportFailure(io, { code: 'invalid_import', message: error.message, causes: [] }, output);
      return 1;
    }
    // A refused --name or --company is a wrong command line too.
    if (error instanceof UsageError || error instanceof InvalidAdminInputError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      reportFailure(io, { code: 'usage', message: usageMessage(error as Error), causes: [] }, { ...output, hint: ' (see twake-app-auth --help)' });
      return 2;
    }
    reportFailure(io, failureOf(error), output);
    return 1;
  }
}

// Node's parseArgs explains how to pass a positional that starts with "-", over several lines: not what a
// CLI user needs. One line saying what is wrong instead.
function usageMessage(error: Error): string {
  const unknown = /^Unknown option '([^']*)'/.exec(error.message);
  if (unknown !== null) return `unknown option ${unknown[1]}`;
  const ambiguous = /^Option '([^']*)' argument is ambiguous/.exec(error.message);
  if (ambiguous !== null) return `${ambiguous[1]} needs a value; one that starts with "-" is written ${ambiguous[1]}=VALUE`;
  const missing = /^Option '([^']*)' argument missing/.exec(error.message);
  if (missing !== null) return `${missing[1]} needs a value`;
  return error.message.split('\n')[0] ?? error.message;
}


