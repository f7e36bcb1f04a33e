// A long run of the tiny model (default 1,000 steps on the embedded data, checkpoints every 100): tensors
// alive and the process RSS, sampled every 25 steps, must stay flat. Prints a JSON line with the least-squares
// RSS slope after warm-up (MB per 1,000 steps) and the tensors-alive range; `npm run bench` runs it.
//
//   node bench/soak.mjs [--steps 1000] [--backend wasm] [--json out.json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { applyOverrides, getExperiment, pretrain, setupBackend } from 'vatt';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const steps = Number(flag('steps', 1000));
const backend = await setupBackend(flag('backend', 'wasm'));
const out = mkdtempSync(join(os.tmpdir(), 'vatt-soak-'));
const samples = [];
const t0 = Date.now();
try {
  const config = applyOverrides(getExperiment('tiny'), [`training.steps=${steps}`, 'training.checkpointEvery=100', 'training.keep=2']);
  const result = await pretrain(
    { config, outDir: out },
    {
      onStep: (r) => {
        if (r.step % 25 !== 0 && r.step !== 1) return;
        const m = process.memoryUsage();
        // The wasm heap only grows (WebAssembly memory cannot shrink): its size says whether tfjs keeps more.
        const wasm = tf.backend()?.wasm?.HEAPU8?.length;
        samples.push({ step: r.step, tensors: r.tensors, rssMB: m.rss / 2 ** 20, jsHeapMB: m.heapUsed / 2 ** 20, wasmHeapMB: wasm ? wasm / 2 ** 20 : null });
      },
    },
  );
  result.model.dispose();
} finally {
  rmSync(out, { recursive: true, force: true });
}
// After warm-up (the first 20% of the run: Adam's slots, the wasm heap growing to its working size).
const steady = samples.filter((s) => s.step >= steps * 0.2);
const n = steady.length;
const mx = steady.reduce((a, s) => a + s.step, 0) / n;

const slopeOf = (key) => {
  const mean = steady.reduce((a, s) => a + s[key], 0) / n;
  return steady.reduce((a, s) => a + (s.step - mx) * (s[key] - mean), 0) / steady.reduce((a, s) => a + (s.step - mx) ** 2, 0);
};
const slope = slopeOf('rssMB');

const tensors = steady.map((s) => s.tensors);
const report = {
  bench: 'soak',
  backend: backend.name,
  steps,
  seconds: +((Date.now() - t0) / 1000).toFixed(1),
  rssSlopeMBPer1000Steps: +(slope * 1000).toFixed(2),
  rssMB: { first: +steady[0].rssMB.toFixed(1), last: +steady[n - 1].rssMB.toFixed(1), max: +Math.max(...steady.map((s) => s.rssMB)).toFixed(1) },
  jsHeapSlopeMBPer1000Steps: +(slopeOf('jsHeapMB') * 1000).toFixed(2),
  wasmHeapMB: { first: steady[0].wasmHeapMB, last: steady[n - 1].wasmHeapMB },
  tensorsAlive: { min: Math.min(...tensors), max: Math.max(...tensors) },
  flat: Math.min(...tensors) === Math.max(...tensors),
};
console.log(JSON.stringify(report));
const json = flag('json');
if (json) writeFileSync(json, `${JSON.stringify({ report, samples }, null, 1)}\n`);
