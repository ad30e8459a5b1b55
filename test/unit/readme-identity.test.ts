// The README's description of req.twake lists every field of TwakeIdentity, read from src/core/types.ts.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const HEADING = '### The identity: `req.twake`';

/** The interface's own fields, in declaration order, with their types as written. */
function interfaceFields(file: string, name: string): Array<{ name: string; type: string }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const declaration = source.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === name);
  if (declaration === undefined) throw new Error(`interface ${name} not found in ${file}`);
  // Inherited fields would not be listed below: read them too if the interface ever extends another.
  expect(declaration.heritageClauses).toBeUndefined();
  return declaration.members.map((member) => {
    if (!ts.isPropertySignature(member) || member.type === undefined || !(ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) {
      throw new Error(`${name} has a member this test cannot read: ${member.getText(source)}`);
    }
    return { name: member.name.text, type: member.type.getText(source) };
  });
}

/** The README's section under HEADING, up to the next heading. */
function readmeSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  if (start === -1) throw new Error(`README has no "${HEADING}" section`);
  const end = readme.slice(start + HEADING.length + 2).search(/^#/m);
  return end === -1 ? readme.slice(start) : readme.slice(start, start + HEADING.length + 2 + end);
}

/** The rows of the section's table: its first two cells, backquotes removed. */
function tableRows(section: string): Array<{ name: string; type: string }> {
  return section
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const [name = '', type = ''] = line.split(/(?<!\\)\|/).slice(1, 3).map((cell) => cell.trim().replace(/^`|`$/g, '').replace(/\\\|/g, '|'));
      return { name, type };
    });
}

describe('README: req.twake', () => {
  const fields = interfaceFields(join(ROOT, 'src', 'core', 'types.ts'), 'TwakeIdentity');
  const section = readmeSection();

  it('reads the interface (the test itself works)', () => {
    expect(fields.map((field) => field.name)).toEqual(expect.arrayContaining(['applicationId', 'companyId', 'capabilities', 'privileges']));
  });

  it.each(fields.map((field) => [field.name]))('names the field %s', (name) => {
    expect(section).toContain(`\`${name}\``);
  });

  it('has one table row per field, in the interface order, with its type', () => {
    expect(tableRows(section)).toEqual(fields);
  });
});
