#!/usr/bin/env node
// The `twake-app-auth` command: this package's CLI and server, with this package's drivers.
'use strict';

require('../dist/cli/start').startCli(process.argv.slice(2));
