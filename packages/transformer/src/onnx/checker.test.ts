/**
 * @jest-environment ./src/onnx/ort-test-environment.cjs
 */
/**
 * onnx.checker (Debian's python3-onnx 1.12, full check with strict shape inference) on the graphs of every
 * module type: an independent reading of the ONNX spec, not onnxruntime's. Skipped with a note where
 * python3-onnx is missing, except under CI=true, where that fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AudioTransformer,
  ModalityAgnosticText,
  TextTransformer,
  TINY,
  TINY_AUDIO_INPUT,
  TINY_TEXT_INPUT,
  TINY_VIDEO_INPUT,
  T5_TINY,
  TransformerEncoder,
  VideoTransformer,
  audioConfig,
  textConfig,
  videoConfig,
} from '../index.js';
import { exportModuleOnnx } from './index.js';
import { checkWithOnnxChecker, pythonOnnxAvailable } from './test-helpers.js';

const available = pythonOnnxAvailable();
let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'vatt-onnx-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

(available ? test : test.skip)('onnx.checker accepts the backbones, encoders and text paths', async () => {
  const f32 = (name: string, shape: Array<number | string>) => ({ name, dtype: 'float32' as const, shape });
  const ids = { name: 'ids', dtype: 'int32' as const, shape: ['batch', 8] };
  const shared = new TransformerEncoder('tx', { numLayers: 1, dModel: 64, numHeads: 4, dKv: 16, dFF: 256 });
  const cases = [
    {
      m: new VideoTransformer({ ...videoConfig(TINY, TINY_VIDEO_INPUT), preProjection: true, postProjectionDim: 64 }),
      input: f32('patches', ['batch', 32, 768]),
    },
    { m: new AudioTransformer(audioConfig(TINY, TINY_AUDIO_INPUT)), input: f32('patches', ['batch', 32, 128]) },
    { m: new AudioTransformer(audioConfig(TINY, { patchSize: [4, 5], buckets: [3, 4] })), input: f32('patches', ['batch', 12, 20]) },
    { m: new TextTransformer(textConfig(T5_TINY, TINY_TEXT_INPUT)), input: ids },
    { m: new ModalityAgnosticText(textConfig(T5_TINY, TINY_TEXT_INPUT), shared), input: ids },
  ];
  const files: string[] = [];
  for (const [i, c] of cases.entries()) {
    const bytes = await exportModuleOnnx(c.m, { inputs: [c.input], outputs: [f32('pooled', ['batch', 64])] });
    const file = path.join(dir, `${i}-${c.m.constructor.name}.onnx`);
    writeFileSync(file, bytes);
    files.push(file);
    c.m.dispose();
  }
  shared.dispose();
  expect(checkWithOnnxChecker(files)).toMatch(/^1\.\d+/);
});

if (!available) test('python3-onnx is missing: onnx.checker was skipped (install python3-onnx; CI=true makes this an error)', () => undefined);
