#!/usr/bin/env node
// PACKAGING TEST (slow-ish, ~1 min; needs the npm registry or its cache for tfjs-core and third-party deps).
//
// Packs every library package with `npm pack` (after `npm run build`), installs the tarballs into an
// empty project in a temporary folder OUTSIDE the monorepo, then runs example.mjs (import) and
// example.cjs (require) there: each builds a tiny VATT from its preset, embeds a caption, makes one gradient
// step, compares a ReplicaPool's gradients with one thread's, trains two steps of the tiny experiment into a run
// directory and loads its checkpoint with `loadVatt` and, through a tf.io handler, with `vatt/browser`.
// Also checks each tarball's contents and the installed `vatt` bin (`vatt config`). Exits non-zero on any failure.
//
//   npm run build && node test/consumer/run.mjs          (KEEP=1 keeps the scratch project)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const PACKAGES = ['tokenizers', 'transformer', 'losses', 'data', 'vatt'];
const t0 = Date.now();
const log = (s) => console.log(`[consumer ${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
  });
const fail = (msg) => {
  console.error(`PACKAGING TEST FAILED: ${msg}`);
  process.exit(1);
};

const scratch = mkdtempSync(path.join(os.tmpdir(), 'vatt-consumer-'));
if (scratch.startsWith(root)) fail(`the scratch project ${scratch} must lie outside the monorepo`);
try {
  const tarballs = [];
  for (const p of PACKAGES) {
    const dir = path.join(root, 'packages', p);
    if (!existsSync(path.join(dir, 'dist', 'index.js'))) fail(`packages/${p}/dist is missing: run \`npm run build\` first`);
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], dir));
    const files = info.files.map((f) => f.path);
    for (const need of ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      if (!files.includes(need)) fail(`${info.name}: the tarball lacks ${need}`);
    }
    const stray = files.filter((f) => /(^|\/)(src|test)\/|\.test\./.test(f));
    if (stray.length) fail(`${info.name}: the tarball ships sources or tests: ${stray.slice(0, 5).join(', ')}`);
    tarballs.push(path.join(scratch, info.filename));
    log(`packed ${info.filename} (${files.length} files, ${(info.size / 1024).toFixed(0)} KiB)`);
  }

  const app = path.join(scratch, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'vatt-consumer', version: '1.0.0', private: true }, null, 1));
  const tfjs = JSON.parse(readFileSync(path.join(root, 'packages/vatt/package.json'), 'utf8')).peerDependencies['@tensorflow/tfjs-core'];
  run('npm', ['install', '--prefer-offline', '--no-package-lock', ...tarballs, `@tensorflow/tfjs-core@${tfjs}`], app);
  log(`installed the tarballs and @tensorflow/tfjs-core@${tfjs} into ${app}`);
  if (existsSync(path.join(app, 'node_modules', 'vatt', 'src'))) fail('the installed vatt package contains src/');

  for (const file of ['example.mjs', 'example.cjs']) {
    copyFileSync(path.join(here, file), path.join(app, file));
    const lines = run('node', [file], app).trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    if (!(Number.isFinite(result.loss) && result.loss > 0)) fail(`${file}: expected a finite positive loss, got ${result.loss}`);
    if (!result.moved) fail(`${file}: the gradient step left ${result.changed} unchanged`);
    if (result.textEmbedding[0] !== 1 || !(result.textEmbedding[1] > 0)) fail(`${file}: unexpected text embedding shape ${result.textEmbedding}`);
    if (!(result.replicaMaxDiff < 1e-5)) fail(`${file}: a ReplicaPool of the installed package embeds differently (max diff ${result.replicaMaxDiff})`);
    if (!(result.embeddedVocab > 0)) fail(`${file}: @vatt/data/embedded exports no vocabulary`);
    if (!Number.isFinite(result.lossVa)) fail(`${file}: the step logged no lossVa metric (got ${result.lossVa})`);
    if (!(result.lossDiff < 1e-6)) fail(`${file}: @vatt/losses and VATT.lossOnEmbeddings disagree by ${result.lossDiff}`);
    if (!(result.gradientMaxDiff < 1e-4)) fail(`${file}: pretrainGradients on a ReplicaPool and on one thread differ by ${result.gradientMaxDiff}`);
    if (result.runSteps !== 2 || !result.checkpointMatches) fail(`${file}: pretrain() / loadVatt / loadVattFrom gave ${JSON.stringify(result)}`);
    if (!result.transformerSizes?.includes('base')) fail(`${file}: @vatt/transformer's TRANSFORMER_SIZES is ${result.transformerSizes}`);
    if (!result.rngResumes) fail(`${file}: @vatt/tokenizers' Rng does not resume from its state`);
    log(`${file}: ${JSON.stringify(result)}`);
  }
  const help = run(path.join(app, 'node_modules', '.bin', 'vatt'), ['--help'], app);
  if (!/pretrain/.test(help) || !/plot/.test(help)) fail(`the installed vatt bin prints unexpected help:\n${help}`);
  const preset = JSON.parse(run(path.join(app, 'node_modules', '.bin', 'vatt'), ['config', 'tiny', '--set', 'training.steps=7'], app));
  if (preset.training?.steps !== 7 || preset.preprocessing?.video?.frames !== 8)
    fail(`\`vatt config tiny\` printed an unexpected config: ${JSON.stringify(preset)}`);
  log('the installed `vatt` bin runs (`vatt --help`, `vatt config tiny`)');
  log('PACKAGING TEST PASSED');
} finally {
  if (process.env.KEEP) log(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
