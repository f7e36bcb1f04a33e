#!/usr/bin/env node
// Import throughput of a released-VATT-sized TensorFlow checkpoint (`importOfficialVatt`,
// src/checkpoint/official/): seconds per GB read + converted, MB/s, and peak RSS against the model size.
//
//   node packages/vatt/bench/official-import.mjs [--preset bbs] [--dir /tmp] [--keep] [--src]
//
// Steps: write a checkpoint directory of ours with the preset's exact variables (the bbs preset: 213.5 M
// float32 parameters, 854 MB) and random values, straight from the layout table (no model is built);
// export it to the official layout (`exportOfficialVatt`, timed); then import it back in a child process
// (so its peak RSS is the import's alone), once with the data file dropped from the page cache
// (`dd iflag=nocache`, when available: a first import from disk) and once warm. Goal: >= 200 MB/s and a
// peak RSS below 2x the model size. Uses ../dist/index.js when it exports importOfficialVatt and ProjectCheckpointWriter (after
// `npx tsup`), else (or with --src) bundles the sources with esbuild. Prints one JSON line.
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCache, loadBenchApi } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const loadApi = () =>
  loadBenchApi({
    args,
    needs: ['importOfficialVatt', 'ProjectCheckpointWriter'],
    name: 'official-import',
    build: {
      stdin: {
        contents: "export * from './src/checkpoint/official/index.ts'; export { getPreset } from './src/config/index.ts';",
        resolveDir: path.resolve(here, '..'),
        loader: 'ts',
      },
      plugins: [
        {
          name: 'tfjs-external',
          // tfjs stays external (the repository's node_modules); @vatt/transformer's deep import of tfjs-core's
          // register_all_gradients cannot be loaded by Node's ESM loader, and conversion never differentiates,
          // so the bench replaces it with an empty module.
          setup(b) {
            b.onResolve({ filter: /^@tensorflow\// }, (r) =>
              r.path.endsWith('/register_all_gradients') ? { path: 'register-gradients', namespace: 'stub' } : { path: r.path, external: true },
            );
            b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: '', loader: 'js' }));
          },
        },
      ],
    },
  });

// Child mode: one import, then its timing and peak RSS as JSON on stdout.
if (args[0] === '--child-import') {
  const [, prefix, out, preset, module] = args;
  const api = await import(module);
  const t0 = performance.now();
  const r = await api.importOfficialVatt(prefix, { preset, out });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ seconds, bytes: r.bytes, tensors: r.tensors, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
  process.exit(0);
}

const preset = opt('preset', 'bbs');
const baseDir = opt('dir', os.tmpdir());
const { api, from, buildDir, moduleUrl } = await loadApi();
const work = await fs.mkdtemp(path.join(baseDir, 'vatt-official-bench-'));
try {
  const { model, preprocessing } = api.getPreset(preset);
  const vars = api.layoutVariables({ family: model.variant, config: model });
  const modelBytes = vars.reduce((s, v) => s + v.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const vocab = ['<pad>', '<bos>', '<eos>', '<unk>', ...Array.from({ length: 996 }, (_, i) => `w${i}`)];

  // Our checkpoint, random values from an LCG (the values do not matter to the converter).
  const ours = path.join(work, 'ours');
  const t0 = performance.now();
  const w = await api.ProjectCheckpointWriter.create(ours, { modelConfig: model, preprocessing, vocab }, modelBytes);
  let s = 12345;
  for (const v of vars) {
    const data = new Float32Array(v.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.1;
    await w.add(v.ours, 'float32', v.shape, data);
  }
  await w.finish();
  const writeSeconds = (performance.now() - t0) / 1000;

  const prefix = path.join(work, 'tf', 'ckpt-500000');
  const t1 = performance.now();
  const e = await api.exportOfficialVatt(ours, prefix, { vocabFile: true });
  const exportSeconds = (performance.now() - t1) / 1000;
  const dataFile = `${prefix}.data-00000-of-00001`;
  const checkpointBytes = (await fs.stat(dataFile)).size + (await fs.stat(`${prefix}.index`)).size;

  // Let the writes of the steps above reach the disk first, so that the import competes with no writeback.
  const settle = () => {
    try {
      execFileSync('sync');
    } catch {
      // No sync(1): the measurement includes some writeback.
    }
  };
  const runImport = (out) => {
    settle();
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-import', prefix, out, preset, moduleUrl], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`import child failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    return {
      seconds: +j.seconds.toFixed(3),
      secondsPerGB: +(j.seconds / (j.bytes / 1e9)).toFixed(3),
      MBps: +(j.bytes / 1e6 / j.seconds).toFixed(1),
      peakRssBytes: j.maxRssBytes,
      peakRssOverModel: +(j.maxRssBytes / modelBytes).toFixed(2),
    };
  };
  const cold = dropCache(dataFile);
  const first = runImport(path.join(work, 'imported-1'));
  await fs.rm(path.join(work, 'imported-1'), { recursive: true, force: true });
  const warm = runImport(path.join(work, 'imported-2'));
  const best = Math.max(first.MBps, warm.MBps);
  process.stdout.write(
    JSON.stringify({
      bench: 'official-import',
      api: from,
      node: process.version,
      cpus: os.cpus().length,
      preset,
      tensors: vars.length,
      modelBytes,
      checkpointBytes,
      writeOurs: { seconds: +writeSeconds.toFixed(3) },
      export: { seconds: +exportSeconds.toFixed(3), MBps: +(e.dataBytes / 1e6 / exportSeconds).toFixed(1) },
      import: { [cold ? 'cold' : 'first']: first, warm },
      goal: { MBps: 200, met: first.MBps >= 200, peakRssUnder2xModel: Math.max(first.peakRssOverModel, warm.peakRssOverModel) < 2, bestMBps: best },
    }) + '\n',
  );
} finally {
  if (!args.includes('--keep')) await fs.rm(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
  if (buildDir) await fs.rm(buildDir, { recursive: true, force: true });
}
