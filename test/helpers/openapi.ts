// docs/openapi.yaml as the tests read it: its local $refs followed, its schemas compiled by Ajv (JSON
// Schema 2020-12, the dialect of OpenAPI 3.1), and a check of one real answer against the operation.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.yaml');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The description, parsed. */
export function loadOpenApi(): JsonObject {
  return parse(readFileSync(OPENAPI_FILE, 'utf8'), { maxAliasCount: -1 }) as JsonObject;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value`, or what its `$ref` (a local JSON pointer) names, followed until it is no reference. */
export function deref(document: JsonObject, value: Json | undefined): JsonObject {
  let current = value;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 10 || !current.$ref.startsWith('#/')) throw new Error(`cannot follow ${current.$ref}`);
    current = current.$ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<Json | undefined>((node, part) => (isObject(node) ? node[part] : undefined), document);
  }
  if (!isObject(current)) throw new Error(`not an object: ${JSON.stringify(value)}`);
  return current;
}

/** Every schema of the document, where it is, with `#/components/schemas/X` made resolvable by Ajv. */
export function schemasOf(document: JsonObject): Array<{ where: string; schema: JsonObject }> {
  const found: Array<{ where: string; schema: JsonObject }> = [];
  const visit = (node: Json | undefined, where: string, inSchema: boolean): void => {
    if (Array.isArray(node)) node.forEach((item, index) => visit(item, `${where}/${index}`, false));
    if (!isObject(node) || inSchema) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'schema' && isObject(value)) found.push({ where: `${where}/schema`, schema: value });
      else if (key === 'schemas' && where === '#/components' && isObject(value)) {
        for (const [name, schema] of Object.entries(value)) if (isObject(schema)) found.push({ where: `${where}/schemas/${name}`, schema });
      } else visit(value, `${where}/${key}`, false);
    }
  };
  visit(document, '#', false);
  return found;
}

const COMPONENTS = 'urn:twake-app-auth:openapi';

function rewriteRefs(schema: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS}#/$defs/`)) as JsonObject;
}

/** An Ajv (strict) that knows the document's component schemas. */
export function createAjv(document: JsonObject): { compile(schema: JsonObject): ValidateFunction } {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
  const components = deref(document, document.components);
  ajv.addSchema({ $id: COMPONENTS, $defs: rewriteRefs(deref(document, components.schemas)) });
  const compiled = new Map<JsonObject, ValidateFunction>();
  return {
    compile(schema) {
      const known = compiled.get(schema);
      if (known !== undefined) return known;
      const validate = ajv.compile(rewriteRefs(schema));
      compiled.set(schema, validate);
      return validate;
    },
  };
}

/** One real answer. */
export interface Observed {
  method: string;
  /** Path and query as requested. */
  target: string;
  status: number;
  headers: Headers;
  body: string;
}

/** The path template of the document that `path` falls under (`{path}` may hold slashes), or null. */
export function templateOf(document: JsonObject, path: string): string | null {
  for (const template of Object.keys(deref(document, document.paths))) {
    const pattern = template
      .split(/(\{[^}]+\})/)
      .map((part) => (part === '{path}' ? '(.+)' : part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    if (new RegExp(`^${pattern}$`).test(path)) return template;
  }
  return null;
}

/** What differs between `observed` and the operation the document describes for it; empty when it fits. */
export function mismatches(document: JsonObject, ajv: ReturnType<typeof createAjv>, observed: Observed): string[] {
  const label = `${observed.method} ${observed.target} → ${observed.status}`;
  const template = templateOf(document, observed.target.split('?')[0] ?? '');
  if (template === null) return [`${label}: no path of the document matches`];
  const operation = deref(document, document.paths)[template];
  const described = isObject(operation) ? operation[observed.method.toLowerCase()] : undefined;
  if (!isObject(described)) return [`${label}: ${template} has no ${observed.method.toLowerCase()} operation`];
  const responses = deref(document, described.responses);
  const listed = responses[String(observed.status)] ?? responses.default;
  if (listed === undefined) return [`${label}: status not listed for ${template}`];
  const response = deref(document, listed);
  const problems: string[] = [];
  for (const [name, header] of Object.entries(isObject(response.headers) ? response.headers : {})) {
    const spec = deref(document, header);
    const value = observed.headers.get(name);
    if (value === null) {
      if (spec.required === true) problems.push(`${label}: header ${name} missing`);
      continue;
    }
    const validate = ajv.compile(deref(document, spec.schema));
    if (!validate(value)) problems.push(`${label}: header ${name}: ${JSON.stringify(value)} ${ajv2text(validate)}`);
  }
  const content = isObject(response.content) ? response.content : null;
  if (content === null) {
    if (observed.body !== '') problems.push(`${label}: a body where the document lists none`);
    return problems;
  }
  // A refusal nginx asked for with X-Twake-Status-Mapping: its problem in X-Twake-Problem, no body.
  const inHeader = observed.body === '' && observed.headers.has('x-twake-problem') && isObject(response.headers) && 'X-Twake-Problem' in response.headers;
  if (inHeader) observed = { ...observed, body: observed.headers.get('x-twake-problem') ?? '' };
  const type = inHeader ? 'application/problem+json' : ((observed.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '');
  const media = content[type];
  if (!isObject(media)) return [...problems, `${label}: content type ${JSON.stringify(type)} not listed`];
  let body: Json;
  try {
    body = type === 'application/json' || type.endsWith('+json') ? (JSON.parse(observed.body) as Json) : observed.body;
  } catch {
    return [...problems, `${label}: body is not JSON`];
  }
  const validate = ajv.compile(deref(document, media.schema));
  if (!validate(body)) problems.push(`${label}: body ${observed.body.slice(0, 300)} ${ajv2text(validate)}`);
  return problems;
}

function ajv2text(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`).join('; ');
}
