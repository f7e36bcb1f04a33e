/**
 * Whole-model parity with scripts/golden/vatt_model.py: an independent PyTorch float64 implementation of
 * a micro VATT written from docs/numerics.md (ViT-3D and WaT towers, T5 text tower, code-style FAC head with
 * BatchNorm in inference mode, NCE + MIL-NCE loss). Weights go in strictly BY NAME, so the test also pins
 * the parameter names, and every output (the three [AGG] features, the four common-space embeddings and
 * the loss terms) must agree within a per-backend bound about 3x what it measures (the README states them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expectNoLeak, forEachBackend, maxAbsDiff, testBackends } from '@vatt-testing/backends';
import type { NamedTensors } from '@vatt/transformer';
import { getPreset, type VattConfig } from '../src/config/index.js';
import { VATT, type PretrainBatch } from '../src/model/vatt.js';

// Measured max abs error (worst output: the text [AGG] features): cpu 7.1e-7, wasm 1.9e-6.
const BOUNDS: Record<string, number> = { cpu: 2e-6, wasm: 6e-6 };

// tfjs's own test mode: silences its one-off "install tfjs-node" notice and checks every kernel for leaks.
tf.env().set('IS_TEST', true);

interface Size {
  numLayers: number;
  dModel: number;
  dFF: number;
  numHeads: number;
  dKv: number;
}
interface BinRef {
  shape: number[];
  /** Offset in float32 values into the .bin file. */
  offset: number;
}
interface GoldenTensor {
  shape: number[];
  data: number[];
}
interface GoldenLoss {
  videoAudio: number;
  videoText: number;
  total: number;
}
interface GoldenModel {
  config: {
    video: Size & { input: { frames: number; height: number; width: number; patchSize: number[]; buckets: number[]; channels: number } };
    audio: Size & { input: { samples: number; patchSize: number; buckets: number } };
    text: Size & { numRelativeBuckets: number; maxRelativeDistance: number; input: { vocabSize: number; embeddingDim: number; maxTokens: number } };
    head: { dVa: number; dVt: number; style: 'code'; bnEps: number };
    temperature: number;
    batch: number;
    numCandidates: number;
  };
  bin: string;
  weights: Record<string, BinRef>;
  inputs: { videoPatches: BinRef; audioPatches: BinRef; videoGrid: [number, number, number]; textIds: number[][]; textMask: number[] };
  outputs: {
    videoFeatures: GoldenTensor;
    audioFeatures: GoldenTensor;
    textFeatures: GoldenTensor;
    videoVa: GoldenTensor;
    videoVt: GoldenTensor;
    audioVa: GoldenTensor;
    textVt: GoldenTensor;
    loss: GoldenLoss;
    lossTextMasked: GoldenLoss;
  };
}

const goldenPath = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const golden = JSON.parse(readFileSync(goldenPath('vatt_model.json'), 'utf8')) as GoldenModel;
const bin = readFileSync(goldenPath(golden.bin));
const floats = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);

function binValues(ref: BinRef): Float32Array {
  const size = ref.shape.reduce((a, b) => a * b, 1);
  return floats.subarray(ref.offset, ref.offset + size);
}

const sizeOf = (s: Size): Size => ({ numLayers: s.numLayers, dModel: s.dModel, dFF: s.dFF, numHeads: s.numHeads, dKv: s.dKv });

/** The golden micro config as overrides of the `tiny` preset (DropToken stays configured; eval disables it). */
function goldenConfig(): VattConfig {
  const base = getPreset('tiny').model;
  const g = golden.config;
  const v = g.video.input;
  return {
    ...base,
    video: {
      ...base.video,
      ...sizeOf(g.video),
      input: {
        ...base.video.input,
        frames: v.frames,
        height: v.height,
        width: v.width,
        patchSize: [v.patchSize[0], v.patchSize[1], v.patchSize[2]],
        buckets: [v.buckets[0], v.buckets[1], v.buckets[2]],
        channels: v.channels,
      },
    },
    audio: { ...base.audio, ...sizeOf(g.audio), input: { ...g.audio.input } },
    text: {
      ...base.text,
      ...sizeOf(g.text),
      numRelativeBuckets: g.text.numRelativeBuckets,
      maxRelativeDistance: g.text.maxRelativeDistance,
      trainableEmbeddings: false,
      input: { ...g.text.input },
    },
    head: { ...base.head, dVa: g.head.dVa, dVt: g.head.dVt, style: g.head.style, bnEps: g.head.bnEps },
    temperature: g.temperature,
    lossWeighting: 'code',
  };
}

function goldenWeights(): NamedTensors {
  return Object.fromEntries(Object.entries(golden.weights).map(([name, ref]) => [name, tf.tensor(binValues(ref), ref.shape, 'float32')]));
}

function goldenBatch(): PretrainBatch {
  const { inputs } = golden;
  return {
    videoPatches: tf.tensor3d(binValues(inputs.videoPatches), inputs.videoPatches.shape as [number, number, number], 'float32'),
    videoGrid: inputs.videoGrid,
    audioPatches: tf.tensor3d(binValues(inputs.audioPatches), inputs.audioPatches.shape as [number, number, number], 'float32'),
    textIds: tf.tensor2d(inputs.textIds, undefined, 'int32'),
  };
}

const disposeBatch = (x: PretrainBatch) => tf.dispose([x.videoPatches, x.audioPatches, x.textIds, ...(x.textMask ? [x.textMask] : [])]);

type OutputName = 'videoFeatures' | 'audioFeatures' | 'textFeatures' | 'videoVa' | 'videoVt' | 'audioVa' | 'textVt';

/** Max abs error of every embedding output, and the loss terms, against the golden file. */
async function measure(model: VATT, batch: PretrainBatch): Promise<Record<string, number>> {
  const out = tf.tidy(() => {
    const v = model.embedVideo(batch.videoPatches, batch.videoGrid);
    const a = model.embedAudio(batch.audioPatches);
    const t = model.embedText(batch.textIds);
    const loss = model.pretrainLoss(batch);
    const masked = model.pretrainLoss({ ...batch, textMask: tf.tensor1d(golden.inputs.textMask, 'float32') });
    return {
      tensors: {
        videoFeatures: v.features,
        audioFeatures: a.features,
        textFeatures: t.features,
        videoVa: v.va,
        videoVt: v.vt,
        audioVa: a.va,
        textVt: t.vt,
      } as Record<OutputName, tf.Tensor>,
      loss: tf.stack([loss.lossVa, loss.lossVt, loss.total, masked.lossVa, masked.lossVt, masked.total]),
    };
  });
  const err: Record<string, number> = {};
  for (const [name, t] of Object.entries(out.tensors) as Array<[OutputName, tf.Tensor]>) {
    const want = golden.outputs[name];
    expect(t.shape).toEqual(want.shape);
    err[name] = maxAbsDiff(await t.data(), want.data);
  }
  const [va, vt, total, mva, mvt, mtotal] = Array.from(await out.loss.data());
  const { loss, lossTextMasked } = golden.outputs;
  err.lossVideoAudio = Math.abs(va - loss.videoAudio);
  err.lossVideoText = Math.abs(vt - loss.videoText);
  err.lossTotal = Math.abs(total - loss.total);
  err.maskedLossVideoAudio = Math.abs(mva - lossTextMasked.videoAudio);
  err.maskedLossVideoText = Math.abs(mvt - lossTextMasked.videoText);
  err.maskedLossTotal = Math.abs(mtotal - lossTextMasked.total);
  tf.dispose([...Object.values(out.tensors), out.loss]);
  return err;
}

forEachBackend(testBackends(), (backend) => {
  describe('VATT matches the independent PyTorch reference model (scripts/golden/vatt_model.py)', () => {
    let model: VATT;
    let batch: PretrainBatch;

    beforeAll(() => {
      model = new VATT(goldenConfig());
      const weights = goldenWeights();
      model.loadWeights(weights); // strict: every name must match both ways
      tf.dispose(Object.values(weights));
      model.eval();
      batch = goldenBatch();
    });

    afterAll(() => {
      disposeBatch(batch);
      model.dispose();
    });

    test('the golden weights cover exactly the model parameter names, and namedWeights() returns them bit for bit', async () => {
      const own = model.namedWeights();
      expect(Object.keys(own).sort()).toEqual(Object.keys(golden.weights).sort());
      for (const [name, ref] of Object.entries(golden.weights)) {
        const w = own[name];
        expect({ name, shape: w.shape }).toEqual({ name, shape: ref.shape });
        expect({ name, max: maxAbsDiff(await w.data(), binValues(ref)) }).toEqual({ name, max: 0 });
      }
    });

    test(`[AGG] features, S_va / S_vt embeddings and both loss terms agree within ${BOUNDS[backend]} in eval mode`, async () => {
      const err = await measure(model, batch);
      for (const [name, e] of Object.entries(err))
        expect({ output: name, maxAbsError: e <= BOUNDS[backend] ? 'ok' : e }).toEqual({ output: name, maxAbsError: 'ok' });
      if (process.env.VATT_GOLDEN_REPORT) process.stdout.write(`${backend} ${JSON.stringify(err)}\n`);
    });

    test('inference through the whole model leaves no tensor behind', async () => {
      await expectNoLeak(async () => {
        await measure(model, batch);
      }, 1);
    });
  });
});
