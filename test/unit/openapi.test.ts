// docs/openapi.yaml is a valid OpenAPI 3.1 description (checked against the specification's own schema),
// every schema in it compiles, and it describes the routes server/src/server/server.ts defines and the refusals
// src/core/errors.ts can give. test/integration/openapi.test.ts holds the real server's answers to it.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { createAjv, deref, isObject, loadOpenApi, METHODS, OPENAPI_FILE, schemasOf, type JsonObject } from '../helpers/openapi';

const ROOT = join(__dirname, '..', '..');
const VALIDATOR = join(ROOT, 'test', 'fixtures', 'validate-openapi.mjs');
// Refusals of trustForwardedIdentity(), the backend's middleware: the server never answers them.
const BACKEND_ONLY = ['untrusted_identity', 'identity_keys_unavailable'];

function validate(file: string): { valid: boolean; version: string; errors: unknown } {
  return JSON.parse(execFileSync(process.execPath, [VALIDATOR, file], { encoding: 'utf8' })) as { valid: boolean; version: string; errors: unknown };
}

/** The routes server/src/server/server.ts declares: `app.get(path)`, `app.post(path)` or `app.all(path | paths)`, as OpenAPI paths. */
function serverRoutes(): Map<string, 'get' | 'post' | 'all'> {
  const source = ts.createSourceFile('server.ts', readFileSync(join(ROOT, 'server', 'src', 'server', 'server.ts'), 'utf8'), ts.ScriptTarget.ES2022, true);
  const routes = new Map<string, 'get' | 'post' | 'all'>();
  // Each `route(pattern, methods, handler, withRest?)` call: methods null for every method, else one.
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'route') {
      const [first, methods, , withRest] = node.arguments;
      if (first === undefined || !ts.isStringLiteralLike(first)) throw new Error(`a route path that is not a literal: ${node.getText(source)}`);
      let method: 'get' | 'post' | 'all';
      if (methods !== undefined && methods.kind === ts.SyntaxKind.NullKeyword) method = 'all';
      else if (methods !== undefined && ts.isArrayLiteralExpression(methods) && methods.elements.length === 1 && ts.isStringLiteralLike(methods.elements[0] as ts.Expression)) {
        method = (methods.elements[0] as ts.StringLiteral).text.toLowerCase() as 'get' | 'post';
      } else throw new Error(`route methods that are not one literal or null: ${node.getText(source)}`);
      routes.set(first.text, method);
      if (withRest !== undefined && withRest.kind === ts.SyntaxKind.TrueKeyword) routes.set(`${first.text}/{path}`, method);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return routes;
}

/** Status and code of every refusal class in src/core/errors.ts (`super(status, 'code', …)`). */
function refusals(): Map<string, number> {
  const text = readFileSync(join(ROOT, 'src', 'core', 'errors.ts'), 'utf8');
  return new Map([...text.matchAll(/super\((\d{3}), '([a-z_]+)'/g)].map((match) => [match[2] ?? '', Number(match[1])]));
}

/** The codes a response of the document allows through its `code` enum or const (anywhere in its schema). */
function codesOf(schema: JsonObject): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const object = node as JsonObject;
    if (isObject(object.properties) && isObject(object.properties.code)) {
      const code = object.properties.code;
      if (Array.isArray(code.enum)) found.push(...code.enum.map(String));
      if (typeof code.const === 'string') found.push(code.const);
    }
    for (const value of Object.values(object)) visit(value);
  };
  visit(schema);
  return found;
}

describe('docs/openapi.yaml', () => {
  const document = loadOpenApi();

  it('is a valid OpenAPI 3.1 description', () => {
    expect(validate(OPENAPI_FILE)).toEqual({ valid: true, version: '3.1', errors: [] });
  });

  it('the validator refuses a description that breaks the specification (control)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const broken = join(folder, 'broken.yaml');
      writeFileSync(broken, readFileSync(OPENAPI_FILE, 'utf8').replace("'204':\n          $ref: '#/components/responses/Pass'", "'204':\n          summary: no description"));
      expect(validate(broken).valid).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('has the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(deref(document, document.info).version).toBe(version);
  });

  it('holds only schemas that compile in strict mode', () => {
    const ajv = createAjv(document);
    const schemas = schemasOf(document);
    expect(schemas.length).toBeGreaterThan(20);
    const failures = schemas.flatMap(({ where, schema }) => {
      try {
        ajv.compile(schema);
        return [];
      } catch (error) {
        return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
      }
    });
    expect(failures).toEqual([]);
  });

  it('describes exactly the routes server/src/server/server.ts defines, with their methods', () => {
    const routes = serverRoutes();
    const paths = deref(document, document.paths);
    expect(Object.keys(paths).sort()).toEqual([...routes.keys()].sort());
    for (const [path, method] of routes) {
      const operations = METHODS.filter((name) => isObject(paths[path]) && isObject((paths[path] as JsonObject)[name]));
      if (method === 'get' || method === 'post') expect({ path, operations }).toEqual({ path, operations: [method] });
      else expect({ path, operations }).toEqual({ path, operations: expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete']) });
    }
  });

  it('lists every refusal code the server can give, each under its own status', () => {
    const byCode = refusals();
    const schemas = deref(document, deref(document, document.components).schemas);
    const codes = deref(document, schemas.Code).enum;
    expect(Array.isArray(codes) ? [...codes].sort() : codes).toEqual([...byCode.keys()].filter((code) => !BACKEND_ONLY.includes(code)).sort());
    const responses = deref(document, deref(document, document.components).responses);
    for (const [name, response] of Object.entries(responses)) {
      const content = deref(document, response).content;
      const schema = isObject(content) ? deref(document, content['application/problem+json']).schema : undefined;
      if (!isObject(schema)) continue;
      for (const code of codesOf(schema).filter((found) => found !== 'bad_request')) {
        const status = byCode.get(code);
        // The status the component is listed under, read from its name in every operation that uses it.
        expect({ name, code, known: status !== undefined }).toEqual({ name, code, known: true });
        expect({ name, code, status, listedUnder: listedStatuses(document, name) }).toEqual({ name, code, status, listedUnder: [status] });
      }
    }
  });
});

/** The statuses under which operations list `#/components/responses/NAME`. */
function listedStatuses(document: JsonObject, name: string): Array<number | undefined> {
  const statuses = new Set<number>();
  for (const item of Object.values(deref(document, document.paths))) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      for (const [status, response] of Object.entries(deref(document, operation.responses))) {
        if (isObject(response) && response.$ref === `#/components/responses/${name}`) statuses.add(Number(status));
      }
    }
  }
  return [...statuses];
}
