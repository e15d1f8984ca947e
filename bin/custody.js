#!/usr/bin/env node
// Entry point of the `custody` command: runs the compiled CLI (built by `npm ci` through the `prepare` script).
require('../dist/cli/main.js');
