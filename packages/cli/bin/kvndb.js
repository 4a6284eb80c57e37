#!/usr/bin/env node
'use strict';
// The kvndb binary as npm links it. It is checked in, not built, because npm links a
// package's bin at install time, before `prepare` compiles dist/: a bin pointing into
// dist/ would not be linked on a fresh clone, and `npx kvndb` would ask the registry.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'bin.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    `kvndb: ${path.relative(process.cwd(), entry) || entry} is missing: the TypeScript is not compiled yet. ` +
      'Run `npm run build` at the repository root (npm ci and npm install run it too).\n',
  );
  process.exit(1);
}
require(entry);
