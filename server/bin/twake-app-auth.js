#!/usr/bin/env node
// The `twake-app-auth` command: the CLI and server compiled inside the library, run with this package's drivers.
'use strict';

require('twake-app-auth/server-internals').startCli(process.argv.slice(2));
