/**
 * The README's command lines, as a newcomer types them: every `npx vatt ...` line of the root README names a
 * real command with options it accepts, and the quick ones run through the `vatt` bin that `npm ci` links.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildCli } from '../src/cli/main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const lines = readme
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.startsWith('npx vatt '))
  .map((l) => l.replace(/\s+#.*$/, ''));

/** The words of a shell line (no quoting beyond "..." needed in the README). */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

function commandFor(program: Command, args: string[]): { command: Command; rest: string[] } {
  let command = program;
  let i = 0;
  for (; i < args.length; i++) {
    const sub = command.commands.find((c) => c.name() === args[i]);
    if (!sub) break;
    command = sub;
  }
  return { command, rest: args.slice(i) };
}

test('the README shows vatt commands', () => {
  expect(lines.length).toBeGreaterThan(10);
});

test.each(lines)('%s: a real command with options it takes', (line) => {
  const args = words(line).slice(2);
  const cut = args.indexOf('>');
  const { command, rest } = commandFor(buildCli(), cut >= 0 ? args.slice(0, cut) : args);
  expect(command.name()).not.toBe('vatt');
  // A leaf: a misspelled subcommand would stop the walk at its parent, which has subcommands of its own.
  expect({ line, subcommands: command.commands.map((c) => c.name()) }).toEqual({ line, subcommands: [] });
  const known = new Set(command.options.flatMap((o) => [o.long, o.short].filter(Boolean)));
  for (const w of rest.filter((x) => x.startsWith('-'))) expect({ line, option: w, known: known.has(w) }).toEqual({ line, option: w, known: true });
});

test('the quick README commands run through the bin npm links (npx vatt)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-readme-'));
  try {
    const run = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', TMPDIR: tmp } });
    const help = run('npx vatt --help');
    expect(help.stderr.replace(/npm warn[^\n]*\n/g, '')).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: vatt/);
    const config = run(`npx vatt config tiny > ${tmp}/my.json && cat ${tmp}/my.json`);
    expect(config.status).toBe(0);
    expect(JSON.parse(config.stdout).model.variant).toBe('modality-specific');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
