// Bad input: every case fails with an error that names the variable (or the file and offset) and what
// was expected, and never leaves a checkpoint behind (nor touches an existing one).
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getPreset } from '../../config/index.js';
import { VideoClassifier } from '../../finetune/classifier.js';
import { VATT } from '../../model/vatt.js';
import { loadCheckpoint, saveCheckpoint } from '../store.js';
import {
  bfloat16ToFloat32,
  buildObjectGraph,
  encodeObjectGraph,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  OBJECT_GRAPH_KEY,
  openTfCheckpoint,
  writeTfCheckpoint,
  type TfTensor,
  type TfTensorInput,
} from '../tf/index.js';
import { describeFixtures, fixturePrefix, flipByte } from '../tf/test-fixtures.js';
import { OfficialCheckpointError } from './errors.js';
import { exportOfficialVatt } from './export.js';
import { importOfficialVatt } from './import.js';
import { inspectTfCheckpoint } from './inspect.js';
import { saveRandomVatt, tempDir, testVocab, withoutLeaks } from './test-helpers.js';

let dir: string;
let tiny: string; // official-layout export of a tiny model (no optimizer state)
let tinyMa: string;
const V = 'model/layer_with_weights-0/_base_layer/vid_backbone/_base';

beforeAll(async () => {
  await useBackend('cpu');
  dir = await tempDir('bad');
  for (const name of ['tiny', 'tiny-ma'] as const) {
    const { model, preprocessing } = getPreset(name);
    await saveRandomVatt(path.join(dir, `${name}-ours`), model, preprocessing, { seed: 4 });
    await exportOfficialVatt(path.join(dir, `${name}-ours`), path.join(dir, name, 'ckpt-1'));
  }
  tiny = path.join(dir, 'tiny', 'ckpt-1');
  tinyMa = path.join(dir, 'tiny-ma', 'ckpt-1');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

let n = 0;
const fresh = (tag: string) => path.join(dir, `${tag}-${n++}`);

/** The tensors of a checkpoint by object path (the graph left out). */
async function tensorsOf(prefix: string): Promise<Map<string, TfTensor>> {
  const r = await openTfCheckpoint(prefix);
  const out = new Map<string, TfTensor>();
  for await (const { name, tensor } of r) if (name !== OBJECT_GRAPH_KEY) out.set(name.replace(/\/\.ATTRIBUTES\/VARIABLE_VALUE$/, ''), tensor);
  await r.close();
  return out;
}

/** Writes a copy of `prefix` edited by `edit` (paths -> tensors), with a fresh object graph; returns the new prefix. */
async function edited(prefix: string, edit: (t: Map<string, TfTensorInput>) => void, opts: { graphFirst?: boolean } = {}): Promise<string> {
  const t = (await tensorsOf(prefix)) as Map<string, TfTensorInput>;
  edit(t);
  const out = path.join(fresh('edited'), 'ckpt-1');
  const graph = buildObjectGraph([...t.keys()]).graph;
  const tensors = [...t].map(([p, x]) => [`${p}/.ATTRIBUTES/VARIABLE_VALUE`, x] as const);
  // TensorFlow writes the object graph last; first, a truncated data file loses tensors and keeps the graph.
  if (opts.graphFirst) await writeTfCheckpoint(out, [[OBJECT_GRAPH_KEY, { dtype: 'string', shape: [], data: [encodeObjectGraph(graph)] }], ...tensors]);
  else await writeTfCheckpoint(out, tensors, { objectGraph: graph });
  await fs.copyFile(`${prefix}.vocab.txt`, `${out}.vocab.txt`);
  return out;
}

/** Runs an import that must fail: returns the error; checks nothing was written and no temporary directory is left. */
async function failedImport(prefix: string, preset: Parameters<typeof importOfficialVatt>[1]['preset'], extra: object = {}): Promise<OfficialCheckpointError> {
  const out = fresh('out');
  const e = await importOfficialVatt(prefix, { preset, out, ...extra }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(Error);
  expect(existsSync(out)).toBe(false);
  expect((await fs.readdir(path.dirname(out))).filter((f) => f.startsWith(`${path.basename(out)}.tmp-`))).toEqual([]);
  return e as OfficialCheckpointError;
}

describeFixtures('checkpoints of other models', () => {
  test('a Keras model (Sequential + Adam) is not VATT: its variables are listed', async () => {
    const e = await failedImport(fixturePrefix('keras_sequential_adam'), 'bbs');
    expect(e.code).toBe('NOT_VATT');
    expect(e.message).toMatch(/is not a VATT checkpoint: none of its \d+ tensors lies under model\/layer_with_weights-0\//);
    expect(e.message).toMatch(/layer_with_weights-0\/kernel\/\.ATTRIBUTES\/VARIABLE_VALUE float32 \[5, 5\]/);
  });

  test('a TF1 checkpoint (no object graph) is not VATT either', async () => {
    const e = await failedImport(fixturePrefix('tf1_regression'), 'tiny');
    expect(e.code).toBe('NOT_VATT');
    expect(e.message).toMatch(/no object graph: a TF1 name-based checkpoint/);
  });

  test('inspect reports a foreign checkpoint without failing', async () => {
    const r = await inspectTfCheckpoint(fixturePrefix('keras_functional_nested'));
    expect(r.family).toBeUndefined();
    expect(r.matches).toBe(false);
    expect(r.tensors.every((t) => t.role === 'unmapped' || t.role === 'slot' || t.role === 'object-graph')).toBe(true);
  });
});

describe('layout mismatches name the variable and what was expected', () => {
  test('a missing variable', async () => {
    const p = await edited(tiny, (t) => t.delete(`${V}/tx/layers/1/mha/q/kernel`));
    const e = await failedImport(p, 'tiny');
    expect(e.code).toBe('LAYOUT_MISMATCH');
    expect(e.message).toContain(`missing ${V}/tx/layers/1/mha/q/kernel (our video/tx/layers/1/mha/q/kernel): expected float32 [64, 64]`);
    expect(e.problems).toEqual([
      { kind: 'missing', official: `${V}/tx/layers/1/mha/q/kernel`, ours: 'video/tx/layers/1/mha/q/kernel', expected: 'float32 [64, 64]' },
    ]);
  });

  test('an extra variable (a third layer the preset does not have)', async () => {
    const p = await edited(tiny, (t) => t.set(`${V}/tx/layers/2/mha/q/kernel`, { dtype: 'float32', shape: [64, 64], data: new Float32Array(64 * 64) }));
    const e = await failedImport(p, 'tiny');
    expect(e.message).toContain(`unexpected ${V}/tx/layers/2/mha/q/kernel float32 [64, 64]: maps to no parameter of the preset`);
  });

  test('a shape that does not match the preset, and a dtype', async () => {
    const p = await edited(tiny, (t) => {
      t.set(`${V}/voxel_to_patch/kernel`, { dtype: 'float32', shape: [4, 8, 8, 3, 32], data: new Float32Array(4 * 8 * 8 * 3 * 32) });
      t.set(`${V}/agg_embedding`, { dtype: 'int32', shape: [64], data: new Int32Array(64) });
    });
    const e = await failedImport(p, 'tiny');
    expect(e.message).toContain(`${V}/voxel_to_patch/kernel (our video/voxel_to_patch/kernel) is float32 [4, 8, 8, 3, 32], expected float32 [4, 8, 8, 3, 64]`);
    expect(e.message).toContain(`${V}/agg_embedding (our video/agg_embedding) is int32 [64], expected a floating-point tensor`);
  });

  test('a wrong --preset: another family, another size, an unknown name', async () => {
    const ma = await failedImport(tinyMa, 'tiny');
    expect(ma.code).toBe('WRONG_FAMILY');
    expect(ma.message).toMatch(/is a modality-agnostic VATT-MA .* checkpoint, but preset tiny is a modality-specific VATT .*; use --preset tiny-ma$/);
    const big = await failedImport(tiny, 'bbs');
    expect(big.code).toBe('LAYOUT_MISMATCH');
    expect(big.message).toMatch(/does not fit preset bbs \(\d+ missing, \d+ of another shape\)/);
    expect(big.message).toMatch(/is float32 \[4, 8, 8, 3, 64\], expected float32 \[4, 16, 16, 3, 768\]/);
    expect(big.message).toMatch(/hint: it matches --preset tiny$/);
    const unknown = await failedImport(tiny, 'huge');
    expect(unknown.code).toBe('BAD_PRESET');
    expect(unknown.message).toMatch(/unknown preset "huge", expected one of tiny, tiny-ma, .*, vit-base-k400, .*wat-medium-ma-audioset/);
  });

  test('a classifier fine-tuned at another geometry: the hint names the input that fits', () =>
    withoutLeaks(async (own) => {
      const { model: config, preprocessing } = getPreset('tiny');
      random.setSeed(6);
      const vatt = own(new VATT(config));
      const v = config.video.input;
      const clf = own(VideoClassifier.fromVatt(vatt, { numClasses: 3, input: { ...v, frames: 16, buckets: [4, v.buckets[1], v.buckets[2]] } }));
      vatt.dispose();
      const ours = fresh('clf');
      await saveCheckpoint(ours, {
        modelConfig: clf.config,
        preprocessing: { ...preprocessing, video: { ...preprocessing.video, frames: 16 } },
        weights: clf.namedWeights(),
      });
      clf.dispose();
      const p = path.join(fresh('clf-tf'), 'ckpt-1');
      await exportOfficialVatt(ours, p);
      const e = await failedImport(p, { classifier: 'video', preset: 'tiny' });
      expect(e.message).toMatch(
        /temporal_position_embeddings\/embeddings \(our video\/pos_embedding_lookup\/.*\) is float32 \[4, 64\], expected float32 \[2, 64\]/,
      );
      expect(e.message).toMatch(/hint: its positional tables are 4 x 4 x 4: it was fine-tuned on 16 frames of 32x32; .*--frames 16 --size 32/);
      const r = await importOfficialVatt(p, { preset: { classifier: 'video', preset: 'tiny', input: { frames: 16 } }, out: fresh('clf-ok') });
      expect(r.family).toBe('video-classifier');
    }));
});

test('tensors stored as bfloat16 / float16 are widened to float32, with a note', () =>
  withoutLeaks(async (own) => {
    let kernel: Float32Array = new Float32Array(0);
    let bias: Float32Array = new Float32Array(0);
    const p = await edited(tiny, (t) => {
      const k = `${V}/tx/layers/0/mha/q/kernel`;
      kernel = (t.get(k) as { data: Float32Array }).data;
      t.set(k, { dtype: 'bfloat16', shape: [64, 64], data: float32ToBfloat16(kernel) });
      const b = `${V}/tx/layers/0/mha/q/bias`;
      bias = (t.get(b) as { data: Float32Array }).data;
      t.set(b, { dtype: 'float16', shape: [64], data: float32ToFloat16(bias) });
    });
    const out = fresh('bf16');
    const r = await importOfficialVatt(p, { preset: 'tiny', out });
    expect(r.notes).toEqual(
      expect.arrayContaining(['1 tensor(s) stored as bfloat16 were converted to float32', '1 tensor(s) stored as float16 were converted to float32']),
    );
    const c = await loadCheckpoint(out);
    own(c.weights);
    expect(c.weights['video/tx/layers/0/mha/q/kernel'].dtype).toBe('float32');
    // Exactly the stored bfloat16 / float16 values, widened (not the float32 originals, not zeros).
    expect(c.weights['video/tx/layers/0/mha/q/kernel'].dataSync()).toEqual(bfloat16ToFloat32(float32ToBfloat16(kernel)));
    expect(c.weights['video/tx/layers/0/mha/q/bias'].dataSync()).toEqual(float16ToFloat32(float32ToFloat16(bias)));
    // The originals are not exactly representable in 16 bits, so the comparison above tells the paths apart.
    expect(bfloat16ToFloat32(float32ToBfloat16(kernel))).not.toEqual(kernel);
    expect(float16ToFloat32(float32ToFloat16(bias))).not.toEqual(bias);
  }));

describe('damaged files: the error names the file and offset; nothing is written', () => {
  test('a truncated data shard: the object graph (written last) is the first casualty', async () => {
    const p = await edited(tiny, () => undefined);
    const data = `${p}.data-00000-of-00001`;
    await fs.truncate(data, Math.floor((await fs.stat(data)).size / 2));
    const e = await failedImport(p, 'tiny');
    expect(e.code).toBe('DATA');
    expect(e.message).toMatch(/truncated data file .*data-00000-of-00001: tensor "_CHECKPOINTABLE_OBJECT_GRAPH" needs \d+ bytes at offset \d+/);
    expect(e.message).toMatch(/; nothing was written to /);
  });

  test('a truncated data shard: the tensor it cuts is named with our parameter', async () => {
    const p = await edited(tiny, () => undefined, { graphFirst: true });
    const data = `${p}.data-00000-of-00001`;
    const { size } = await fs.stat(data);
    await fs.truncate(data, Math.floor(size / 2));
    const e = await failedImport(p, 'tiny');
    expect(e.code).toBe('DATA');
    expect(e.message).toMatch(/truncated data file .*data-00000-of-00001: tensor ".*" needs \d+ bytes at offset \d+, but the file ends after \d+ bytes/);
    expect(e.message).toMatch(/\[official model\/layer_with_weights-0\/.*, our .*\]; nothing was written to/);
    expect(e.file).toBe(data);
    expect(e.offset).toBeGreaterThan(0);
  });

  test('a flipped byte in a tensor', async () => {
    const p = await edited(tiny, () => undefined);
    const r = await openTfCheckpoint(p);
    const entry = r.entry(`${V}/tx/layers/0/mha/k/kernel/.ATTRIBUTES/VARIABLE_VALUE`);
    await r.close();
    await flipByte(`${p}.data-00000-of-00001`, entry.offset + 17);
    const e = await failedImport(p, 'tiny');
    expect(e.message).toContain(`Checksum mismatch for tensor "${entry.name}"`);
    expect(e.message).toContain(`(offset ${entry.offset}, ${entry.size} bytes)`);
    expect(e.message).toContain('our video/tx/layers/0/mha/k/kernel');
    expect(e.tensor).toBe(entry.name);
  });

  test('a failed import leaves an existing checkpoint at --out as it was', async () => {
    const out = fresh('existing');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'model.json'), '{"marker":1}');
    const p = await edited(tiny, (t) => t.delete(`${V}/agg_embedding`));
    await expect(importOfficialVatt(p, { preset: 'tiny', out })).rejects.toThrow(/missing .*agg_embedding/);
    expect(await fs.readFile(path.join(out, 'model.json'), 'utf8')).toBe('{"marker":1}');
    expect((await fs.readdir(dir)).filter((f) => f.startsWith(`${path.basename(out)}.tmp-`))).toEqual([]);
  });
});

describe('export tf reads only what the checkpoint directory holds', () => {
  const tampered = async (edit: (json: { weightsManifest: Array<{ paths: string[] }> }) => void, text?: string) => {
    const src = fresh('tampered');
    await fs.cp(path.join(dir, 'tiny-ours'), src, { recursive: true });
    const file = path.join(src, 'model.json');
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    edit(json);
    await fs.writeFile(file, text ?? JSON.stringify(json));
    return src;
  };

  test('a shard path leading out of the checkpoint is refused, nothing is written', async () => {
    await fs.writeFile(path.join(dir, 'outside.bin'), Buffer.alloc(16));
    for (const bad of ['../outside.bin', path.join(dir, 'outside.bin')]) {
      const src = await tampered((j) => (j.weightsManifest[0].paths[0] = bad));
      const out = fresh('export-out');
      const err = await exportOfficialVatt(src, out).catch((e) => e);
      expect(err).toBeInstanceOf(OfficialCheckpointError);
      expect(err.message).toMatch(/must be a file name inside the checkpoint directory/);
      expect(err.message).toContain(path.join(src, 'model.json'));
      expect(existsSync(out)).toBe(false);
    }
  });

  test('a shard that is a symbolic link out of the checkpoint is refused', async () => {
    const src = await tampered(() => undefined);
    const json = JSON.parse(await fs.readFile(path.join(src, 'model.json'), 'utf8'));
    const shard = path.join(src, json.weightsManifest[0].paths[0]);
    await fs.rm(shard);
    await fs.symlink(path.join(dir, 'outside.bin'), shard);
    await expect(exportOfficialVatt(src, fresh('export-out'))).rejects.toThrow(/leads outside the checkpoint directory/);
  });

  test('a model.json that is not JSON names the file', async () => {
    const src = await tampered(() => undefined, '{"format": ');
    const err = await exportOfficialVatt(src, fresh('export-out')).catch((e) => e);
    expect(err).toBeInstanceOf(OfficialCheckpointError);
    expect(err.message).toMatch(/model\.json is not valid JSON/);
  });
});

describe('text files', () => {
  test('no vocabulary: the error says which file to pass', async () => {
    const p = await edited(tiny, () => undefined);
    await fs.rm(`${p}.vocab.txt`);
    const e = await failedImport(p, 'tiny');
    expect(e.code).toBe('TEXT_FILES');
    expect(e.message).toMatch(/needs its vocabulary, which TensorFlow checkpoints do not hold: pass vocab \(CLI --vocab FILE\), e\.g\. howto100m_en\.txt/);
    const big = await failedImport(p, 'tiny', { vocab: testVocab(600) });
    expect(big.message).toMatch(/the vocabulary has 600 words but the word table of preset tiny has 512 rows/);
  });

  test('a checkpoint without its word table takes it from a .npy word file', () =>
    withoutLeaks(async (own) => {
      const T = 'model/layer_with_weights-0/_base_layer/txt_backbone/embedding/embeddings';
      const original = await tensorsOf(tiny);
      const table = original.get(T)!.data as Float32Array;
      const p = await edited(tiny, (t) => t.delete(T));
      const missing = await failedImport(p, 'tiny');
      expect(missing.message).toContain(`missing ${T} (our text/embedding/embeddings): expected float32 [512, 32]`);
      const npy = path.join(dir, 'words.npy');
      const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (512, 32), }";
      const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
      const head = Buffer.concat([
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
        Buffer.from(Uint16Array.of(padded.length).buffer),
        Buffer.from(padded, 'latin1'),
      ]);
      await fs.writeFile(npy, Buffer.concat([head, Buffer.from(table.buffer, table.byteOffset, table.byteLength)]));
      const out = fresh('words');
      const r = await importOfficialVatt(p, { preset: 'tiny', out, wordEmbeddings: npy });
      expect(r.notes).toContain(`the checkpoint has no ${T}; the word table comes from ${npy}`);
      const c = await loadCheckpoint(out);
      own(c.weights);
      expect(c.weights['text/embedding/embeddings'].dataSync()).toEqual(table);
      // The same file with a checkpoint that has the table: compared, the checkpoint's used.
      const both = await importOfficialVatt(tiny, { preset: 'tiny', out: fresh('both'), wordEmbeddings: npy });
      expect(both.notes.filter((x) => x.includes('differ'))).toEqual([]);
      const wrong = path.join(dir, 'wrong.npy');
      await fs.writeFile(wrong, Buffer.concat([head, Buffer.alloc(512 * 32 * 4)]));
      const differs = await importOfficialVatt(tiny, { preset: 'tiny', out: fresh('differs'), wordEmbeddings: wrong });
      expect(differs.notes.some((x) => /differ from the checkpoint's .*; the checkpoint's table is used/.test(x))).toBe(true);
    }));

  test('a word file of the wrong shape names both shapes', async () => {
    const npy = path.join(dir, 'small.npy');
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    await fs.writeFile(
      npy,
      Buffer.concat([
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
        Buffer.from(Uint16Array.of(padded.length).buffer),
        Buffer.from(padded, 'latin1'),
        Buffer.alloc(48),
      ]),
    );
    const e = await failedImport(tiny, 'tiny', { wordEmbeddings: npy });
    expect(e.message).toMatch(/small\.npy: shape \[4, 3\], but the text tower of preset tiny needs \[512, 32\] \(text\/embedding\/embeddings\)/);
  });
});

describe('export of a damaged checkpoint', () => {
  test('an unknown or a missing weight is named', () =>
    withoutLeaks(async (own) => {
      const { model, preprocessing } = getPreset('tiny');
      const ours = fresh('exp');
      await saveRandomVatt(ours, model, preprocessing, { seed: 8 });
      const c = await loadCheckpoint(ours);
      own(c.weights);
      const extra = fresh('exp-extra');
      const z = own(tf.zeros([2, 2]));
      await saveCheckpoint(extra, { ...c, weights: { ...c.weights, 'video/new_thing/kernel': z } });
      await expect(exportOfficialVatt(extra, path.join(fresh('x'), 'ckpt'))).rejects.toThrow(
        /weight "video\/new_thing\/kernel" \[2, 2\] has no place in the official layout/,
      );
      const fewer = fresh('exp-fewer');
      const w = { ...c.weights };
      delete w['head/vid_to_hid/kernel'];
      await saveCheckpoint(fewer, { ...c, weights: w });
      await expect(exportOfficialVatt(fewer, path.join(fresh('x'), 'ckpt'))).rejects.toThrow(/lacks 1 weight\(s\) of its model: head\/vid_to_hid\/kernel/);
    }));
});
