// The built `vatt` CLI as the integration tests in packages/vatt/test run it: in a child process, from
// packages/vatt/dist/cli.js (`npm test` builds every package before testing).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/vatt/dist/cli.js. */
export const VATT_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/vatt/dist/cli.js');

/** Throws, saying how to build it, unless the CLI is built (for a beforeAll). */
export function requireBuiltCli(): void {
  if (!existsSync(VATT_CLI)) throw new Error(`${VATT_CLI} is missing: run \`npm run build\` (npm test builds first)`);
}

export interface VattRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `vatt <args>` to the end (or until `timeout` ms, then SIGTERM); `env` is added to this process's environment. */
export function runVatt(args: string[], { timeout = 300_000, env = {} }: { timeout?: number; env?: Record<string, string> } = {}): VattRun {
  const r = spawnSync(process.execPath, [VATT_CLI, ...args], { encoding: 'utf8', timeout, env: { ...process.env, ...env } });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}
