// The Express 4 package installed under an alias, typed like Express (the parts the tests use match).
declare module 'express4' {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the only way to re-export a CommonJS module's type
  import express = require('express');
  export = express;
}
