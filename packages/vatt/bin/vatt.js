#!/usr/bin/env node
// The `vatt` command. It lives outside dist/ so that `npm ci` links it into node_modules/.bin even before the
// first build (a bin whose target is missing at install time is not linked): `npx vatt` then works as soon
// as the package is built, in a fresh clone as in an installed package.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('vatt: the package is not built yet (dist/cli.js is missing): run `npm run build` (or `npm start`) first\n');
  process.exit(1);
}
const { runCli } = await import(cli.href);
await runCli(process.argv);
