/**
 * Test-only helpers (not exported from the package): runs exported graphs on onnxruntime-node (a root
 * dev dependency) and compares them with the tfjs modules.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';

/** An input of a test run: a tfjs tensor, fed as float32 or int32. */
export type Feeds = Record<string, tf.Tensor>;

/** Creates a session on the exported bytes (2 intra-op threads, all graph optimisations). */
export function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
}

/** Runs `s` on tfjs tensors; returns the outputs as Float32Arrays with their dims. */
export async function runOnnx(s: ort.InferenceSession, feeds: Feeds): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    const data = t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync());
    ortFeeds[k] = new ort.Tensor(t.dtype === 'int32' ? 'int32' : 'float32', data, t.shape);
  }
  const out = await s.run(ortFeeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, dims: v.dims }]));
}

/** Max abs difference between a tfjs tensor and an ONNX output (shapes must agree). */
export function maxError(expected: tf.Tensor, got: { data: Float32Array; dims: readonly number[] }): number {
  if (expected.shape.join(',') !== got.dims.join(',')) throw new Error(`shape [${got.dims}] vs tfjs [${expected.shape}]`);
  const e = expected.dataSync();
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(e[i] - got.data[i]));
  if (Number.isNaN(got.data.reduce((a, b) => a + b, 0))) return Infinity;
  return m;
}

/** Where Debian's python3-onnx lives; its `onnx.checker` is an independent check of exported graphs. */
export const PYTHON = '/usr/bin/python3';

/**
 * Whether `import onnx` works. Under CI (`CI=true`) a missing python3-onnx is an error, so the check cannot
 * be skipped silently there; elsewhere the caller skips with a note.
 */
export function pythonOnnxAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  if (process.env.CI === 'true') throw new Error(`python3-onnx is required under CI (apt-get install python3-onnx): ${r.stderr || r.error?.message}`);
  return false;
}

/** Runs `onnx.checker.check_model(path, full_check=True)` (with strict shape inference) on each file; returns onnx's version. */
export function checkWithOnnxChecker(files: readonly string[]): string {
  const script = ['import sys, onnx', 'for p in sys.argv[1:]:', '    onnx.checker.check_model(p, full_check=True)', 'print(onnx.__version__)'].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`onnx.checker rejected the export:\n${r.stderr}`);
  return r.stdout.trim();
}
