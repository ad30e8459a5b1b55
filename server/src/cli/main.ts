#!/usr/bin/env node
// Entry point of the `twake-app-auth` command from this repository (`npm start`, `npm run cli`, the tests).
import { startCli } from './start';

startCli(process.argv.slice(2));
