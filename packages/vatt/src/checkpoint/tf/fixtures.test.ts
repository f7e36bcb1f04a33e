// Reading the real checkpoints TensorFlow wrote (../shared/fixtures/tf-checkpoints): every block and
// tensor CRC verified, every entry decoded, the object graph walked to TensorFlow's own keys.
import { crc32c, unmaskCrc } from '@vatt/data';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { openTfCheckpoint, type TfCheckpointReader } from './bundle-reader.js';
import { encodeStringTensor } from './bundle-writer.js';
import { OBJECT_GRAPH_KEY, escapeLocalName, walkObjectGraph } from './object-graph.js';
import { readBlock, readFooter, readTable } from './table.js';
import { describeFixtures, FIXTURE_NAMES, FIXTURES, fixturePrefix, type FixtureName } from './test-fixtures.js';
import { compareBytes, decodeKey } from './coding.js';
import { dtypeName, itemSize, numElements, type TfTensor } from './dtypes.js';
import { decodeBundleEntry, decodeBundleHeader } from './proto.js';

const KEY = (path: string): string => `${path}/.ATTRIBUTES/VARIABLE_VALUE`;
const SLOT = (path: string, slot: string): string => `${path}/.OPTIMIZER_SLOT/optimizer/${slot}/.ATTRIBUTES/VARIABLE_VALUE`;

async function readAll(r: TfCheckpointReader): Promise<Map<string, TfTensor>> {
  const out = new Map<string, TfTensor>();
  for await (const { name, tensor } of r) out.set(name, tensor);
  return out;
}

describeFixtures('real TensorFlow checkpoints', () => {
  test('the fixture folder exists', () => {
    expect(existsSync(FIXTURES)).toBe(true);
  });

  test.each(FIXTURE_NAMES)('%s: every index block passes its CRC and every entry decodes', (name: FixtureName) => {
    const file = fixturePrefix(name) + '.index';
    const bytes = readFileSync(file);
    const footer = readFooter(bytes, file);
    // The metaindex block TensorFlow writes is empty: just the restart array [0] and its count 1.
    expect(Array.from(readBlock(bytes, footer.metaindex, file))).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    const entries = readTable(bytes, file);
    expect(entries[0].key.length).toBe(0); // the header comes first
    expect(decodeBundleHeader(entries[0].value, file)).toEqual({
      numShards: 1,
      endianness: 'little',
      version: { producer: 1, minConsumer: 0, badConsumers: [] },
    });
    const dataSize = statSync(`${fixturePrefix(name)}.data-00000-of-00001`).size;
    expect(entries.length).toBeGreaterThan(1);
    for (let i = 1; i < entries.length; i++) {
      const { key, value } = entries[i];
      expect(compareBytes(entries[i - 1].key, key)).toBeLessThan(0); // strictly increasing keys
      const name = decodeKey(key);
      const e = decodeBundleEntry(value, name, file);
      const dtype = dtypeName(e.dtype);
      expect([name, dtype]).toEqual([name, expect.any(String)]);
      expect([name, e.unknownRank, e.shape.every((d) => Number.isInteger(d) && d >= 0), e.slices, e.shardId]).toEqual([name, false, true, [], 0]);
      expect(e.offset + e.size).toBeLessThanOrEqual(dataSize);
      if (dtype === 'string') expect(e.size).toBeGreaterThanOrEqual(numElements(e.shape) + 4);
      else expect([name, e.size]).toEqual([name, numElements(e.shape) * itemSize(dtype!)]);
    }
  });

  test.each(FIXTURE_NAMES)('%s: every tensor passes its CRC; sizes and dtypes agree with the entries', async (name: FixtureName) => {
    const r = await openTfCheckpoint(fixturePrefix(name));
    try {
      expect(r.header).toEqual({ numShards: 1, endianness: 'little', version: { producer: 1, minConsumer: 0, badConsumers: [] } });
      const data = readFileSync(r.dataFile(0));
      let end = 0;
      for await (const { entry, tensor } of r) {
        expect(tensor.dtype).toBe(entry.dtype);
        expect(tensor.shape).toEqual(entry.shape);
        const stored = data.subarray(entry.offset, entry.offset + entry.size);
        if (tensor.dtype === 'string') {
          // Not a CRC of the stored bytes: of the lengths as uint32, the length checksum, the elements.
          const again = encodeStringTensor(tensor.bytes);
          expect(Buffer.from(again.bytes).equals(stored)).toBe(true);
          expect(again.crc).toBe(unmaskCrc(entry.crc32c));
        } else {
          // The reader checked the CRC; check it independently over the file's own bytes too.
          expect(crc32c(stored)).toBe(unmaskCrc(entry.crc32c));
        }
        // Densely packed in write order: TensorFlow's default data_alignment of 1.
        expect(entry.offset).toBe(end);
        end += entry.size;
      }
      expect(end).toBe(data.length);
    } finally {
      await r.close();
    }
  });

  test('keras_sequential_adam: kernels, biases, Adam slots, int64 iter, metrics', async () => {
    const r = await openTfCheckpoint(fixturePrefix('keras_sequential_adam'));
    try {
      const t = await readAll(r);
      const shapes: Record<string, number[]> = {
        'layer_with_weights-0/kernel': [5, 5],
        'layer_with_weights-0/bias': [5],
        'layer_with_weights-1/kernel': [5, 5],
        'layer_with_weights-1/bias': [5],
        'layer_with_weights-2/kernel': [5, 1],
        'layer_with_weights-2/bias': [1],
      };
      for (const [p, shape] of Object.entries(shapes)) {
        for (const key of [KEY(p), SLOT(p, 'm'), SLOT(p, 'v')]) {
          const x = t.get(key)!;
          expect(x).toBeDefined();
          expect(x.dtype).toBe('float32');
          expect(x.shape).toEqual(shape);
          expect(x.data).toBeInstanceOf(Float32Array);
        }
        // Adam's v is a running mean of squares: never negative.
        expect(Array.from(t.get(SLOT(p, 'v'))!.data as Float32Array).every((x) => x >= 0)).toBe(true);
      }
      const iter = t.get(KEY('optimizer/iter'))!;
      expect(iter.dtype).toBe('int64');
      expect(iter.shape).toEqual([]);
      expect(iter.data).toEqual(BigInt64Array.of(1n)); // fitted for one step
      expect((t.get(KEY('optimizer/beta_1'))!.data as Float32Array)[0]).toBeCloseTo(0.9, 6);
      expect((t.get(KEY('optimizer/beta_2'))!.data as Float32Array)[0]).toBeCloseTo(0.999, 6);
      expect((t.get(KEY('optimizer/learning_rate'))!.data as Float32Array)[0]).toBeCloseTo(0.001, 8);
      expect((t.get(KEY('keras_api/metrics/0/count'))!.data as Float32Array)[0]).toBe(1);
      // Adam's first step moves each weight by at most the learning rate: the biases started at 0.
      const bias0 = t.get(KEY('layer_with_weights-0/bias'))!.data as Float32Array;
      expect(Math.max(...Array.from(bias0, Math.abs))).toBeLessThanOrEqual(0.001 + 1e-7);
      const graph = t.get(OBJECT_GRAPH_KEY)!;
      expect(graph.dtype).toBe('string');
      expect(graph.shape).toEqual([]);
    } finally {
      await r.close();
    }
  });

  test('keras_sequential_adam: the object graph walks to every key, with m/v slots on every kernel and bias', async () => {
    const r = await openTfCheckpoint(fixturePrefix('keras_sequential_adam'));
    try {
      const l = await r.layout();
      if (!l.hasObjectGraph) throw new Error('expected an object graph');
      expect(l.missingKeys).toEqual([]);
      expect(l.unreferencedKeys).toEqual([]);
      const byPath = new Map(l.variables.map((v) => [v.path, v]));
      expect([...byPath.keys()]).toEqual([
        'layer_with_weights-0/kernel',
        'layer_with_weights-0/bias',
        'layer_with_weights-1/kernel',
        'layer_with_weights-1/bias',
        'layer_with_weights-2/kernel',
        'layer_with_weights-2/bias',
        'optimizer/iter',
        'optimizer/beta_1',
        'optimizer/beta_2',
        'optimizer/decay',
        'optimizer/learning_rate',
        'keras_api/metrics/0/total',
        'keras_api/metrics/0/count',
        'keras_api/metrics/1/total',
        'keras_api/metrics/1/count',
      ]);
      for (const [p, v] of byPath) {
        expect(v.checkpointKey).toBe(KEY(p));
        const hasSlots = p.startsWith('layer_with_weights-');
        expect(v.slots.map((s) => [s.slotName, s.optimizerPath, s.checkpointKey])).toEqual(
          hasSlots
            ? [
                ['m', 'optimizer', SLOT(p, 'm')],
                ['v', 'optimizer', SLOT(p, 'v')],
              ]
            : [],
        );
        // A slot has the shape of its variable.
        for (const s of v.slots) expect(r.entry(s.checkpointKey).shape).toEqual(r.entry(v.checkpointKey).shape);
      }
      // Keras' layer names survive as full_name (the TF1-style names).
      expect(byPath.get('layer_with_weights-0/kernel')!.fullName).toBe('test_in/kernel');
      expect(byPath.get('layer_with_weights-2/bias')!.fullName).toBe('test_out/bias');
      // A Sequential's layers appear twice: as layer_with_weights-N and as layer-N.
      expect(byPath.get('layer_with_weights-1/kernel')!.aliases).toContain('layer-1/kernel');
    } finally {
      await r.close();
    }
  });

  test("keras_functional_nested: the nested model's variables are keyed by their shortest path, trainable_variables/N", async () => {
    const r = await openTfCheckpoint(fixturePrefix('keras_functional_nested'));
    try {
      const l = await r.layout();
      if (!l.hasObjectGraph) throw new Error('expected an object graph');
      expect(l.missingKeys).toEqual([]);
      expect(l.unreferencedKeys).toEqual([]);
      const byPath = new Map(l.variables.map((v) => [v.path, v]));
      const nestedKernel = byPath.get('trainable_variables/0')!;
      expect(nestedKernel.fullName).toBe('dense/kernel');
      expect(r.entry(nestedKernel.checkpointKey).shape).toEqual([5, 3]); // Flatten of 5 values -> Dense(3)
      expect(r.entry(byPath.get('trainable_variables/1')!.checkpointKey).shape).toEqual([3]);
      // ...and reachable through the nested model's own layer too.
      expect(nestedKernel.aliases.some((a) => a.startsWith('layer_with_weights-0/'))).toBe(true);
      const out = byPath.get('layer_with_weights-1/kernel')!;
      expect(out.fullName).toBe('test_out/kernel');
      expect(r.entry(out.checkpointKey).shape).toEqual([6, 1]); // concat of two Dense(3) outputs -> Dense(1)
      for (const p of ['trainable_variables/0', 'trainable_variables/1', 'layer_with_weights-1/kernel', 'layer_with_weights-1/bias']) {
        expect(byPath.get(p)!.slots.map((s) => s.checkpointKey)).toEqual([SLOT(p, 'm'), SLOT(p, 'v')]);
      }
    } finally {
      await r.close();
    }
  });

  test('module_sgd: plain attribute paths w and b, SGD scalars', async () => {
    const r = await openTfCheckpoint(fixturePrefix('module_sgd'));
    try {
      const l = await r.layout();
      if (!l.hasObjectGraph) throw new Error('expected an object graph');
      expect(l.variables.map((v) => v.path)).toEqual(['w', 'b', 'optimizer/iter', 'optimizer/decay', 'optimizer/learning_rate', 'optimizer/momentum']);
      expect(l.variables.every((v) => v.slots.length === 0)).toBe(true); // plain SGD keeps no slots
      const w = await r.readTensor(KEY('w'));
      expect(w.dtype).toBe('float32');
      expect(w.shape).toEqual([1]);
      expect((await r.readTensor(KEY('b'))).shape).toEqual([1]);
      expect((await r.readTensor(KEY('optimizer/learning_rate'))).data).toEqual(Float32Array.of(0.5));
      expect((await r.readTensor(KEY('optimizer/iter'))).data).toEqual(BigInt64Array.of(0n));
    } finally {
      await r.close();
    }
  });

  test('tf1_regression: no object graph, bare variable names', async () => {
    const r = await openTfCheckpoint(fixturePrefix('tf1_regression'));
    try {
      expect(r.keys()).toEqual(['b', 'w']);
      const l = await r.layout();
      expect(l.hasObjectGraph).toBe(false);
      if (l.hasObjectGraph) return;
      expect(l.reason).toMatch(/TF1/);
      expect(l.variables).toEqual([
        { path: 'b', checkpointKey: 'b' },
        { path: 'w', checkpointKey: 'w' },
      ]);
      const w = await r.readTensor('w');
      expect(w.shape).toEqual([1]);
      expect((w.data as Float32Array)[0]).toBeCloseTo(-0.8578622, 6);
      expect((await r.readTensor('b')).data).toEqual(Float32Array.of(0));
    } finally {
      await r.close();
    }
  });

  test.each(FIXTURE_NAMES.filter((n) => n !== 'tf1_regression'))('%s: each key is the breadth-first path + /.ATTRIBUTES/ + attribute name', async (name) => {
    const r = await openTfCheckpoint(fixturePrefix(name));
    try {
      const l = await r.layout();
      if (!l.hasObjectGraph) throw new Error('expected an object graph');
      // TensorFlow computed these keys from its own traversal; recomputing them from the graph checks ours.
      for (const a of walkObjectGraph(l.graph).attributes) expect(a.checkpointKey).toBe(`${a.path}/.ATTRIBUTES/${escapeLocalName(a.name)}`);
      expect(l.attributes.length).toBe(r.keys().length - 1);
    } finally {
      await r.close();
    }
  });
});
