// Streaming: a 64 MB checkpoint is written from a generator and read back one positioned read per
// tensor; no read (or write) ever covers the whole data file.
import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openTfCheckpoint } from './bundle-reader.js';
import { writeTfCheckpoint, type TfTensorInput } from './bundle-writer.js';
import type { TfTensor } from './dtypes.js';
import { tempDir } from './test-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('stream');
});
afterEach(async () => {
  jest.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

test('a 64 MB checkpoint is read one tensor at a time, with positioned reads of each tensor only', async () => {
  const count = 40;
  const elements = 409600; // 1.6 MB per tensor
  const base = new Float32Array(elements);
  for (let i = 0; i < elements; i++) base[i] = Math.sin(i);
  function* tensors(): Generator<[string, TfTensorInput]> {
    for (let t = 0; t < count; t++) {
      const data = base.slice();
      data[0] = t; // tell them apart
      yield [`layer_${String(t).padStart(2, '0')}/kernel`, { dtype: 'float32', shape: [640, 640], data }];
    }
  }
  const prefix = path.join(dir, 'big');
  const handle = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(handle) as { read: (...a: unknown[]) => unknown; write: (...a: unknown[]) => unknown };
  await handle.close();
  const writes = jest.spyOn(proto, 'write');
  const res = await writeTfCheckpoint(prefix, tensors());
  const dataBytes = count * elements * 4;
  expect(res.dataBytes).toBe(dataBytes);
  const writeSizes = writes.mock.calls.map((c) => (c[2] as number | undefined) ?? (c[0] as Uint8Array).length);
  expect(Math.max(...writeSizes)).toBeLessThanOrEqual(8 << 20); // at most the 8 MiB write buffer at a time

  const reads = jest.spyOn(proto, 'read');
  const readFile = jest.spyOn(fs, 'readFile');
  const r = await openTfCheckpoint(prefix);
  let seen = 0;
  for await (const { name, tensor } of r) {
    expect(tensor.shape).toEqual([640, 640]);
    expect((tensor.data as Float32Array)[0]).toBe(Number(name.slice(6, 8)));
    expect((tensor.data as Float32Array)[1]).toBe(base[1]);
    seen++;
  }
  await r.close();
  expect(seen).toBe(count);
  // Only the index is read whole.
  expect(readFile.mock.calls.map((c) => String(c[0]))).toEqual([`${prefix}.index`]);
  // One positioned read per tensor, of exactly that tensor.
  const calls = reads.mock.calls.map((c) => ({ length: c[2] as number, position: c[3] as number }));
  expect(calls).toHaveLength(count);
  expect(calls.map((c) => c.length)).toEqual(new Array(count).fill(elements * 4));
  expect(calls.map((c) => c.position)).toEqual(Array.from({ length: count }, (_, i) => i * elements * 4));
  expect(Math.max(...calls.map((c) => c.length))).toBeLessThan(dataBytes / 20);
}, 5000);

test('stopping early: read-ahead stays within its window and closing leaves nothing running', async () => {
  const prefix = path.join(dir, 'early');
  const mk = (i: number): [string, TfTensorInput] => [
    `t${String(i).padStart(2, '0')}`,
    { dtype: 'float32', shape: [1024], data: new Float32Array(1024).fill(i) },
  ];
  await writeTfCheckpoint(
    prefix,
    Array.from({ length: 50 }, (_, i) => mk(i)),
  );
  const handle = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(handle) as { read: (...a: unknown[]) => unknown };
  await handle.close();
  const reads = jest.spyOn(proto, 'read');
  const r = await openTfCheckpoint(prefix);
  let first: TfTensor | undefined;
  for await (const { tensor } of r.tensors({ readAheadBytes: 4096 * 3 })) {
    first = tensor;
    break;
  }
  await r.close();
  expect(first!.data).toEqual(new Float32Array(1024).fill(0));
  // The first tensor, then a window of three 4 KiB tensors ahead of the consumer; never all 50.
  expect(reads.mock.calls.length).toBeLessThanOrEqual(5);
});

test('entries: only the tensors given, in data-file order whatever order they come in, one read each', async () => {
  const prefix = path.join(dir, 'some');
  await writeTfCheckpoint(
    prefix,
    Array.from({ length: 6 }, (_, i): [string, TfTensorInput] => [`t${i}`, { dtype: 'int32', shape: [2], data: Int32Array.of(i, -i) }]),
  );
  const handle = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(handle) as { read: (...a: unknown[]) => unknown };
  await handle.close();
  const r = await openTfCheckpoint(prefix);
  try {
    const reads = jest.spyOn(proto, 'read');
    const wanted = ['t4', 't1', 't3'].map((k) => r.entry(k));
    const got: Array<[string, number[]]> = [];
    for await (const { name, entry, tensor } of r.tensors({ entries: wanted, readAheadBytes: 8 })) {
      expect(entry).toBe(r.entry(name));
      got.push([name, Array.from(tensor.data as Int32Array)]);
    }
    expect(got).toEqual([
      ['t1', [1, -1]],
      ['t3', [3, -3]],
      ['t4', [4, -4]],
    ]);
    expect(reads.mock.calls.map((c) => c[3])).toEqual([r.entry('t1').offset, r.entry('t3').offset, r.entry('t4').offset]);
  } finally {
    await r.close();
  }
});
