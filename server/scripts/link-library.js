// Links server/node_modules/twake-app-auth to the repository's root, so that server/dist requires the
// library built beside it (through its exports map) the way an installed server requires its dependency.
'use strict';
const { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } = require('node:fs');
const { join, relative } = require('node:path');

const SERVER = join(__dirname, '..');
const link = join(SERVER, 'node_modules', 'twake-app-auth');
const target = relative(join(SERVER, 'node_modules'), join(SERVER, '..'));

let current;
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a link';
} catch {
  current = undefined;
}
if (current !== target) {
  if (current !== undefined) rmSync(link, { recursive: true, force: true });
  mkdirSync(join(SERVER, 'node_modules'), { recursive: true });
  symlinkSync(target, link, 'dir');
}
