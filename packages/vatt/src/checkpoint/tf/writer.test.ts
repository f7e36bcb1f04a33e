// The writer: TensorFlow's own bytes reproduced from what the reader decoded, round trips of every
// dtype, fresh object graphs, atomic finish.
import { crc32c } from '@vatt/data';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { openTfCheckpoint } from './bundle-reader.js';
import { TfCheckpointWriter, writeTfCheckpoint, type TfTensorInput } from './bundle-writer.js';
import { stringLengthsCrc } from './coding.js';
import { bytesOf, type TfTensor } from './dtypes.js';
import { readTable } from './table.js';
import { buildObjectGraph, decodeObjectGraph, encodeObjectGraph, OBJECT_GRAPH_KEY, walkObjectGraph, type TfObjectGraph } from './object-graph.js';
import { describeFixtures, FIXTURE_NAMES, fixturePrefix, tempDir, type FixtureName } from './test-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('writer');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The tensors of a checkpoint in data-file order, the object graph apart (as a caller would hold them). */
async function load(prefix: string): Promise<{ tensors: [string, TfTensor][]; graph?: TfObjectGraph; graphBytes?: Uint8Array }> {
  const r = await openTfCheckpoint(prefix);
  try {
    const tensors: [string, TfTensor][] = [];
    let graph: TfObjectGraph | undefined;
    let graphBytes: Uint8Array | undefined;
    for await (const { name, tensor } of r) {
      if (name === OBJECT_GRAPH_KEY && tensor.dtype === 'string') {
        graphBytes = tensor.bytes[0];
        graph = decodeObjectGraph(graphBytes);
      } else tensors.push([name, tensor]);
    }
    return { tensors, graph, graphBytes };
  } finally {
    await r.close();
  }
}

function rawBytes(t: TfTensor): Uint8Array[] {
  return t.dtype === 'string' ? t.bytes : [bytesOf(t.data)];
}

describeFixtures('writer against TensorFlow', () => {
  test.each(FIXTURE_NAMES)("%s: the writer reproduces TensorFlow's .index and data file byte for byte", async (name: FixtureName) => {
    // Given the tensors in the order TensorFlow wrote them (BundleWriter appends in Add order) and the
    // parsed object graph, which the writer re-serializes and appends last, as TensorFlow does.
    const { tensors, graph } = await load(fixturePrefix(name));
    const out = path.join(dir, 'variables');
    await writeTfCheckpoint(out, tensors, { objectGraph: graph });
    for (const suffix of ['.index', '.data-00000-of-00001']) {
      const theirs = readFileSync(fixturePrefix(name) + suffix);
      const ours = readFileSync(out + suffix);
      const differing: number[] = [];
      for (let i = 0; i < Math.max(theirs.length, ours.length); i++) if (theirs[i] !== ours[i]) differing.push(i);
      expect({ file: suffix, length: ours.length, differing }).toEqual({ file: suffix, length: theirs.length, differing: [] });
    }
  });

  test.each(FIXTURE_NAMES)('%s: read -> write -> read keeps every tensor bit-identical, object graph included', async (name: FixtureName) => {
    const first = await load(fixturePrefix(name));
    const out = path.join(dir, 'copy');
    // Written in key order this time (not TensorFlow's order): the bytes move, the values must not.
    const sorted = [...first.tensors].sort(([a], [b]) => (a < b ? -1 : 1));
    await writeTfCheckpoint(out, sorted, { objectGraph: first.graph });
    const second = await load(out); // reading verifies every block and tensor CRC
    expect(second.tensors.map(([n]) => n).sort()).toEqual(first.tensors.map(([n]) => n).sort());
    const again = new Map(second.tensors);
    for (const [n, t] of first.tensors) {
      const u = again.get(n)!;
      expect([u.dtype, u.shape]).toEqual([t.dtype, t.shape]);
      expect(rawBytes(u).map((b) => Buffer.from(b).toString('hex'))).toEqual(rawBytes(t).map((b) => Buffer.from(b).toString('hex')));
    }
    expect(second.graph).toEqual(first.graph);
    if (first.graphBytes) expect(Buffer.from(second.graphBytes!).equals(Buffer.from(first.graphBytes))).toBe(true);
  });
});

describe('writer', () => {
  const cases: [string, TfTensorInput][] = [
    ['f32', { dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, NaN, Infinity, -0) }],
    ['f64', { dtype: 'float64', shape: [2], data: Float64Array.of(Math.PI, -1e300) }],
    ['f16', { dtype: 'float16', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x7e00) }],
    ['bf16', { dtype: 'bfloat16', shape: [2], data: Uint16Array.of(0x3f80, 0x4049) }],
    ['i8', { dtype: 'int8', shape: [3], data: Int8Array.of(-128, 0, 127) }],
    ['i16', { dtype: 'int16', shape: [2], data: [-32768, 32767] }],
    ['i32', { dtype: 'int32', shape: [], data: Int32Array.of(-7) }],
    ['i64', { dtype: 'int64', shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 62n) }],
    ['u8', { dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 255) }],
    ['u16', { dtype: 'uint16', shape: [1], data: [65535] }],
    ['u32', { dtype: 'uint32', shape: [1], data: Uint32Array.of(0xffffffff) }],
    ['u64', { dtype: 'uint64', shape: [1], data: [2n ** 64n - 1n] }],
    ['bool', { dtype: 'bool', shape: [3], data: [true, false, true] }],
    ['str', { dtype: 'string', shape: [2, 2], data: ['', 'héllo', 'x'.repeat(300), new Uint8Array([0, 255, 1])] }],
    ['str0', { dtype: 'string', shape: [0, 3], data: [] }],
    ['empty', { dtype: 'float32', shape: [0], data: new Float32Array(0) }],
  ];

  test('every dtype round-trips with its CRC verified', async () => {
    const prefix = path.join(dir, 'all');
    await writeTfCheckpoint(prefix, cases);
    const r = await openTfCheckpoint(prefix);
    try {
      expect(r.keys()).toEqual(cases.map(([n]) => n).sort());
      const get = async (n: string): Promise<TfTensor> => r.readTensor(n);
      expect((await get('f32')).data).toEqual(Float32Array.of(1, -2, 3.5, NaN, Infinity, -0));
      expect((await get('f64')).data).toEqual(Float64Array.of(Math.PI, -1e300));
      expect((await get('f16')).data).toEqual(Uint16Array.of(0x3c00, 0xc000, 0x7e00));
      expect((await get('bf16')).data).toEqual(Uint16Array.of(0x3f80, 0x4049));
      expect((await get('i8')).data).toEqual(Int8Array.of(-128, 0, 127));
      expect((await get('i16')).data).toEqual(Int16Array.of(-32768, 32767));
      const i32 = await get('i32');
      expect([i32.shape, i32.data]).toEqual([[], Int32Array.of(-7)]);
      expect((await get('i64')).data).toEqual(BigInt64Array.of(-(2n ** 63n), 2n ** 62n));
      expect((await get('u8')).data).toEqual(Uint8Array.of(0, 255));
      expect((await get('u16')).data).toEqual(Uint16Array.of(65535));
      expect((await get('u32')).data).toEqual(Uint32Array.of(0xffffffff));
      expect((await get('u64')).data).toEqual(BigUint64Array.of(2n ** 64n - 1n));
      expect((await get('bool')).data).toEqual(Uint8Array.of(1, 0, 1));
      const s = await get('str');
      if (s.dtype !== 'string') throw new Error('string expected');
      expect(s.shape).toEqual([2, 2]);
      expect(s.data.slice(0, 3)).toEqual(['', 'héllo', 'x'.repeat(300)]);
      expect(Array.from(s.bytes[3])).toEqual([0, 255, 1]);
      const s0 = await get('str0');
      expect([s0.shape, s0.data]).toEqual([[0, 3], []]);
      expect((await get('empty')).data).toEqual(new Float32Array(0));
      expect(r.entry('str0').size).toBe(4); // just the length checksum, as WriteStringTensor writes it
    } finally {
      await r.close();
    }
  });

  test('rejects bad input: wrong byte length, duplicate key, the header key', async () => {
    const prefix = path.join(dir, 'bad');
    await expect(writeTfCheckpoint(prefix, { a: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).rejects.toThrow(
      /8 data bytes, but float32 \[3\] needs 12/,
    );
    await expect(
      writeTfCheckpoint(prefix, [
        ['a', { dtype: 'int32', shape: [], data: [1] }],
        ['a', { dtype: 'int32', shape: [], data: [1] }],
      ] as [string, TfTensorInput][]),
    ).rejects.toThrow(/duplicate key: a/);
    await expect(writeTfCheckpoint(prefix, { '': { dtype: 'int32', shape: [], data: [1] } })).rejects.toThrow(/reserved/);
    // A failed write leaves nothing behind.
    expect(await fs.readdir(dir)).toEqual([]);
  });

  test('finish is atomic: temporary names until the end, the index renamed last, no temp file left', async () => {
    const prefix = path.join(dir, 'ckpt');
    const w = await TfCheckpointWriter.create(prefix);
    await w.add('a', { dtype: 'float32', shape: [1], data: [1] });
    // A write killed here leaves only a temporary data file: nothing that looks like a checkpoint.
    const during = await fs.readdir(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^ckpt\.data-00000-of-00001\.tempstate\d+$/);
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(/ckpt\.index does not exist/);
    await w.finish();
    expect((await fs.readdir(dir)).sort()).toEqual(['ckpt.data-00000-of-00001', 'ckpt.index']);

    // abort() removes its temporary file.
    const w2 = await TfCheckpointWriter.create(path.join(dir, 'other'));
    await w2.add('a', { dtype: 'float32', shape: [1], data: [1] });
    await w2.abort();
    expect((await fs.readdir(dir)).sort()).toEqual(['ckpt.data-00000-of-00001', 'ckpt.index']);

    // Overwriting a checkpoint replaces both files.
    await writeTfCheckpoint(prefix, { b: { dtype: 'int64', shape: [], data: [5n] } });
    const r = await openTfCheckpoint(prefix);
    expect(r.keys()).toEqual(['b']);
    expect((await r.readTensor('b')).data).toEqual(BigInt64Array.of(5n));
    await r.close();
  });

  test('keys are sorted by UTF-8 bytes, as the table requires', async () => {
    // U+FF5E sorts before U+1F600 in UTF-16 code units but after it in UTF-8 bytes... and both after ASCII.
    const names = ['z', '\u{1F600}', '\uFF5E', 'a/b', 'a.b', 'A'];
    const prefix = path.join(dir, 'utf8');
    await writeTfCheckpoint(
      prefix,
      names.map((n, i) => [n, { dtype: 'int32', shape: [], data: [i] }] as const),
    );
    const r = await openTfCheckpoint(prefix);
    expect(r.keys()).toEqual(['A', 'a.b', 'a/b', 'z', '\uFF5E', '\u{1F600}']);
    for (const [i, n] of names.entries()) expect((await r.readTensor(n)).data).toEqual(Int32Array.of(i));
    await r.close();
  });

  test('thousands of entries: a multi-block index with restart points reads back', async () => {
    const prefix = path.join(dir, 'many');
    const n = 12000;
    const tensors = Array.from(
      { length: n },
      (_, i) => [`vatt/layer_${String(i % 97).padStart(3, '0')}/w_${i}/.ATTRIBUTES/VARIABLE_VALUE`, { dtype: 'float32', shape: [1], data: [i] }] as const,
    );
    await writeTfCheckpoint(prefix, tensors);
    const blocks = new Set(readTable(readFileSync(prefix + '.index'), 'many.index').map((e) => e.block));
    expect(blocks.size).toBeGreaterThanOrEqual(3); // data blocks of ~256 KiB each
    const r = await openTfCheckpoint(prefix);
    expect(r.keys().length).toBe(n);
    for (const i of [0, 1, 15, 16, 17, 2999, 7777, n - 1]) expect((await r.readTensor(tensors[i][0])).data).toEqual(Float32Array.of(i));
    await r.close();
  });
});

describe('fresh object graphs', () => {
  test('buildObjectGraph numbers objects breadth-first and keys them as TensorFlow would', () => {
    const { graph, keys, slotKeys } = buildObjectGraph([
      { path: 'model/dense/kernel', slots: ['m', 'v'] },
      { path: 'model/dense/bias', slots: ['m', 'v'] },
      'step',
    ]);
    expect(keys).toEqual(
      new Map([
        ['model/dense/kernel', 'model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE'],
        ['model/dense/bias', 'model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE'],
        ['step', 'step/.ATTRIBUTES/VARIABLE_VALUE'],
      ]),
    );
    expect(slotKeys.get('model/dense/kernel|m')).toBe('model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE');
    // root, model, step, optimizer, dense, kernel, bias, then the four slot variables.
    expect(graph.nodes[0].children).toEqual([
      { nodeId: 1, localName: 'model' },
      { nodeId: 2, localName: 'step' },
      { nodeId: 3, localName: 'optimizer' },
    ]);
    expect(graph.nodes).toHaveLength(11);
    expect(graph.nodes[3].slotVariables).toEqual([
      { originalVariableNodeId: 5, slotName: 'm', slotVariableNodeId: 7 },
      { originalVariableNodeId: 5, slotName: 'v', slotVariableNodeId: 8 },
      { originalVariableNodeId: 6, slotName: 'm', slotVariableNodeId: 9 },
      { originalVariableNodeId: 6, slotName: 'v', slotVariableNodeId: 10 },
    ]);
    // Walking it gives back the same paths, keys and slots.
    const walk = walkObjectGraph(graph);
    expect(walk.variables.map((v) => [v.path, v.checkpointKey, v.slots.map((s) => s.checkpointKey)])).toEqual([
      ['step', 'step/.ATTRIBUTES/VARIABLE_VALUE', []],
      ['model/dense/kernel', keys.get('model/dense/kernel'), [slotKeys.get('model/dense/kernel|m'), slotKeys.get('model/dense/kernel|v')]],
      ['model/dense/bias', keys.get('model/dense/bias'), [slotKeys.get('model/dense/bias|m'), slotKeys.get('model/dense/bias|v')]],
    ]);
    expect(decodeObjectGraph(encodeObjectGraph(graph))).toEqual(graph);
  });

  test('escapes "." and "/" in local names; rejects duplicates and variables with children', () => {
    const { keys } = buildObjectGraph(['a.b/c']);
    expect(keys.get('a.b/c')).toBe('a..b/c/.ATTRIBUTES/VARIABLE_VALUE');
    expect(() => buildObjectGraph(['a/b', 'a/b'])).toThrow(/duplicate path "a\/b"/);
    expect(() => buildObjectGraph(['a/b', 'a/b/c'])).toThrow(/also has children/);
    expect(() => buildObjectGraph(['a//b'])).toThrow(/empty path segment/);
  });

  test('an exported checkpoint with a fresh graph reads back with every key linked', async () => {
    const vars = [
      { path: 'video/kernel', shape: [4, 3] },
      { path: 'video/bias', shape: [3] },
    ];
    const { graph, keys, slotKeys } = buildObjectGraph(vars.map((v) => ({ path: v.path, slots: ['m'] })));
    const tensors: [string, TfTensorInput][] = [];
    for (const v of vars) {
      const size = v.shape.reduce((a, b) => a * b, 1);
      tensors.push([keys.get(v.path)!, { dtype: 'float32', shape: v.shape, data: new Float32Array(size).fill(1) }]);
      tensors.push([slotKeys.get(`${v.path}|m`)!, { dtype: 'float32', shape: v.shape, data: new Float32Array(size) }]);
    }
    const prefix = path.join(dir, 'export');
    await writeTfCheckpoint(prefix, tensors, { objectGraph: graph });
    const r = await openTfCheckpoint(prefix);
    const l = await r.layout();
    if (!l.hasObjectGraph) throw new Error('expected an object graph');
    expect([l.missingKeys, l.unreferencedKeys]).toEqual([[], []]);
    expect(l.variables.map((v) => [v.path, v.slots.map((s) => s.slotName)])).toEqual([
      ['video/kernel', ['m']],
      ['video/bias', ['m']],
    ]);
    await r.close();
  });
});

test('the string length checksum: each length as 4 bytes (8 above 2^32-1) in the given byte order', () => {
  const le = Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);
  expect(stringLengthsCrc([2, 2 ** 32], true)).toBe(crc32c(le));
  const be = Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0);
  expect(stringLengthsCrc([2, 2 ** 32], false)).toBe(crc32c(be));
  expect(stringLengthsCrc([7], true, crc32c(le))).toBe(crc32c(Uint8Array.of(7, 0, 0, 0), crc32c(le)));
  expect(stringLengthsCrc([], true)).toBe(0);
});
