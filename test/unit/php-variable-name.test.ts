// The top-level name PHP files a form field under, as PHP 8.2's parse_str and $_GET / $_POST read it
// (every expected value below was read from a real PHP 8.2; test/integration/php-names.test.ts checks the
// validator against a running PHP).
import { describe, expect, it } from '@jest/globals';
import { phpVariableName } from '../../src/twake/php-variable-name';

describe('phpVariableName', () => {
  it.each([
    // [decoded field name, top-level name in PHP ('' when PHP drops the field)]
    ['group_id', 'group_id'],
    ['group.id', 'group_id'],
    ['group id', 'group_id'],
    [' group_id', 'group_id'],
    ['   group_id', 'group_id'],
    ['  group.id', 'group_id'],
    ['group[id', 'group_id'],
    ['group_id\u0000x', 'group_id'],
    ['group_id\u0000', 'group_id'],
    ['group.id\u0000[x]', 'group_id'],
    ['group.id[x]', 'group_id'],
    ['group id[]', 'group_id'],
    ['group_id[ ]', 'group_id'],
    ['group_id[x]y', 'group_id'],
    ['group_id[]]', 'group_id'],
    ['group_id[', 'group_id_'],
    ['group.id[', 'group_id_'],
    ['group[id.x', 'group_id_x'],
    ['group[id x', 'group_id_x'],
    ['group[i[d', 'group_i_d'],
    ['group_id[ x', 'group_id__x'],
    ['group[id]', 'group'],
    ['group[i]d', 'group'],
    ['group[_id', 'group__id'],
    ['group_id]', 'group_id]'],
    ['.group_id', '_group_id'],
    ['group_id.', 'group_id_'],
    ['[group_id]', ''],
    ['\u0000group_id', ''],
    ['   ', ''],
    ['', ''],
    ['group_id\t', 'group_id\t'],
    ['\tgroup_id', '\tgroup_id'],
    ['group\u0000.id', 'group'],
    ['Group_id', 'Group_id'],
    ['gr.up_id', 'gr_up_id'],
  ])('%j is read as %j', (name, expected) => {
    expect(phpVariableName(name)).toBe(expected);
  });

  it('stays linear on long names full of brackets, dots and spaces', () => {
    const long = `${' '.repeat(100_000)}${'[.'.repeat(100_000)}`;
    const started = process.hrtime.bigint();
    expect(phpVariableName(long)).toBe('_'.repeat(200_000));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });
});
