// The server's environment variables: the names the code reads under src/ (parsed with the TypeScript
// compiler), the table in README's "## Server" section and .env.example must be the same, and each
// documented default must be what the server does when the variable is unset.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { readServerConfig } from '../../server/src/server/server-config';

const ROOT = join(__dirname, '..', '..');
const NAME = /^[A-Z][A-Z0-9_]*$/;

/** Where the code reads a variable, for messages. */
interface Read {
  name: string;
  where: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `env`, or any `x.env` (`process.env`, `io.env`): what a read of a variable starts from. */
function isEnvironment(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === 'env';
  return ts.isPropertyAccessExpression(node) && node.name.text === 'env';
}

/** The function declared with `parameter` among its parameters, and that parameter's index. */
function declaringFunction(parameter: string, from: ts.Node): { name: string; index: number } | null {
  for (let node: ts.Node | undefined = from; node !== undefined; node = node.parent) {
    if (!ts.isFunctionDeclaration(node) || node.name === undefined) continue;
    const index = node.parameters.findIndex((declared) => ts.isIdentifier(declared.name) && declared.name.text === parameter);
    if (index >= 0) return { name: node.name.text, index };
  }
  return null;
}

/**
 * Every variable name `text` reads: `env.NAME`, `env['NAME']`, `const { NAME } = env`, and `env[name]`
 * inside a function whose every call in the file passes a literal name for that parameter. Anything else
 * (a name computed at run time, a ProcessEnv under another name) throws, so that no read goes unseen.
 */
function readVariables(fileName: string, text: string): Read[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const reads: Read[] = [];
  const dynamic: Array<{ name: string; index: number }> = [];
  const where = (node: ts.Node) => `${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isEnvironment(node.expression) && NAME.test(node.name.text)) {
      reads.push({ name: node.name.text, where: where(node) });
    } else if (ts.isElementAccessExpression(node) && isEnvironment(node.expression)) {
      const argument = node.argumentExpression;
      if (ts.isStringLiteralLike(argument)) reads.push({ name: argument.text, where: where(node) });
      else {
        const helper = ts.isIdentifier(argument) ? declaringFunction(argument.text, node) : null;
        if (helper === null) throw new Error(`${where(node)}: a variable read under a name computed at run time`);
        dynamic.push(helper);
      }
    } else if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer !== undefined && isEnvironment(node.initializer)) {
      for (const element of node.name.elements) {
        const key = element.propertyName ?? element.name;
        if (!ts.isIdentifier(key)) throw new Error(`${where(node)}: a variable read under a name computed at run time`);
        reads.push({ name: key.text, where: where(node) });
      }
    } else if ((ts.isParameter(node) || ts.isVariableDeclaration(node)) && node.type !== undefined && node.type.getText(source) === 'NodeJS.ProcessEnv') {
      if (!ts.isIdentifier(node.name) || node.name.text !== 'env') throw new Error(`${where(node)}: an environment not named env`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const calls = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const callee = node.expression.text;
      for (const helper of dynamic.filter((candidate) => candidate.name === callee)) {
        const argument = node.arguments[helper.index];
        if (argument === undefined || !ts.isStringLiteralLike(argument)) throw new Error(`${where(node)}: ${callee}() called with a name that is not a literal`);
        reads.push({ name: argument.text, where: where(node) });
      }
    }
    ts.forEachChild(node, calls);
  };
  calls(source);
  return reads;
}

function codeNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'server', 'src'))]) {
    for (const read of readVariables(relative(ROOT, file), readFileSync(file, 'utf8'))) if (!names.has(read.name)) names.set(read.name, read.where);
  }
  return names;
}

/** README's table in "## Server": name and default of each row. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Server\n'), readme.indexOf('\n## ', readme.indexOf('\n## Server\n') + 1));
  const lines = section.split('\n');
  const header = lines.findIndex((line) => /^\| Variable \| Default \| Meaning \|$/.test(line));
  expect(header).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [name, fallback] = line.split(' | ').map((cell) => cell.replace(/^\| /, '').trim());
    const match = /^`([A-Z][A-Z0-9_]*)`$/.exec(name ?? '');
    if (match === null || match[1] === undefined) throw new Error(`README table row without one variable name: ${line}`);
    expect(rows.has(match[1])).toBe(false);
    rows.set(match[1], fallback ?? '');
  }
  return rows;
}

/** .env.example: every name, and the value of those set (not commented out). */
function envExample(): { names: Set<string>; values: Map<string, string> } {
  const names = new Set<string>();
  const values = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match === null || match[2] === undefined) continue;
    names.add(match[2]);
    if (match[1] === undefined) values.set(match[2], match[3] ?? '');
  }
  return { names, values };
}

const sorted = (names: Iterable<string>) => [...names].sort();

describe('the server environment variables', () => {
  const code = codeNames();

  it('finds every kind of read it claims to, and refuses reads it cannot see through', () => {
    const text = [
      'function number(env: NodeJS.ProcessEnv, name: string) { return env[name]; }',
      "export function read(env: NodeJS.ProcessEnv) { const { ALPHA, beta: BETA } = env; return [env.GAMMA, env['DELTA'], process.env.EPSILON, number(env, 'ZETA'), ALPHA, BETA]; }",
    ].join('\n');
    expect(sorted(readVariables('sample.ts', text).map((read) => read.name))).toEqual(['ALPHA', 'DELTA', 'EPSILON', 'GAMMA', 'ZETA', 'beta']);
    expect(() => readVariables('sample.ts', "function f(env: NodeJS.ProcessEnv) { return env['A' + 'B']; }")).toThrow(/computed at run time/);
    expect(() => readVariables('sample.ts', 'function g(env: NodeJS.ProcessEnv, n: string) { return env[n]; }\ng(process.env, String(1));')).toThrow(/not a literal/);
    expect(() => readVariables('sample.ts', 'function h(vars: NodeJS.ProcessEnv) { return vars.PORT; }')).toThrow(/not named env/);
  });

  it('finds the settings server-config.ts reads, directly and through its helpers', () => {
    expect(code.get('PORT')).toMatch(/^server\/src\/server\/server-config\.ts:/);
    expect(code.get('ASSERTION_TTL_SECONDS')).toMatch(/^server\/src\/server\/server-config\.ts:/);
    expect(code.size).toBeGreaterThan(30);
  });

  it('README lists in its table exactly the variables the code reads', () => {
    expect(sorted(readmeTable().keys())).toEqual(sorted(code.keys()));
  });

  it('.env.example names exactly the variables the code reads', () => {
    expect(sorted(envExample().names)).toEqual(sorted(code.keys()));
  });

  it('gives in README the default .env.example sets', () => {
    const table = readmeTable();
    for (const [name, value] of envExample().values) expect({ name, fallback: table.get(name) }).toEqual({ name, fallback: `\`${value}\`` });
  });

  it('changes nothing when a variable is set to the default README gives for it', () => {
    const unset = readServerConfig({});
    for (const [name, fallback] of readmeTable()) {
      const value = /^`([^`]*)`$/.exec(fallback)?.[1];
      if (value === undefined) {
        expect({ name, fallback }).toEqual({ name, fallback: expect.stringMatching(/^unset\b/) });
        continue;
      }
      expect({ name, config: readServerConfig({ [name]: value }) }).toEqual({ name, config: unset });
    }
  });
});
