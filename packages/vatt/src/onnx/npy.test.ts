/** `.npy` files: byte layout of the v1.0 header, round trips, and numpy reading them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeNpy, encodeNpy, NpyFormatError, parseNpyHeader } from './npy.js';

test('encodeNpy writes a 64-byte aligned v1.0 header that numpy reads; decodeNpy reads it back', () => {
  const data = Float32Array.from({ length: 15 }, (_, i) => i / 3 - 1);
  const bytes = encodeNpy(data, [5, 3]);
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes[8] + 256 * bytes[9];
  expect((10 + headerLen) % 64).toBe(0);
  expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLen))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(5, 3\), \} *\n$/);
  const back = decodeNpy(bytes);
  expect(back.shape).toEqual([5, 3]);
  expect(Array.from(back.data)).toEqual(Array.from(data));
  expect(decodeNpy(encodeNpy(Float32Array.of(1, 2), [2])).shape).toEqual([2]);
  expect(() => encodeNpy(data, [4, 3])).toThrow(/15 values for shape \[4,3\]/);
  expect(() => decodeNpy(new Uint8Array(16))).toThrow(/not a \.npy file/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vatt-npy-'));
  try {
    const file = path.join(dir, 'm.npy');
    writeFileSync(file, bytes);
    const r = spawnSync(
      '/usr/bin/python3',
      ['-c', `import numpy as np; a = np.load(${JSON.stringify(file)}); print(a.shape, a.dtype, round(float(a[4, 2]), 6))`],
      {
        encoding: 'utf8',
      },
    );
    if (r.status === 0)
      expect(r.stdout.trim()).toBe(
        `(5, 3) float32 ${Math.fround(14 / 3 - 1)
          .toFixed(6)
          .replace(/0+$/, '')}`,
      );
    else if (process.env.CI === 'true') throw new Error(`numpy is needed under CI: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A `.npy` file with `header` (padded to 64 bytes) at format version `major`, then `data`. */
function npyFile(major: number, header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const padded = header + ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const text = new TextEncoder().encode(padded);
  const out = new Uint8Array(pre + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, pre);
  out.set(data, pre + text.length);
  return out;
}

test('parseNpyHeader reads versions 1 to 3 and any element type; a bad file is named with its offset', () => {
  const h = parseNpyHeader(encodeNpy(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]));
  expect(h).toMatchObject({ version: [1, 0], descr: '<f4', fortranOrder: false, shape: [2, 3], dataOffset: 128 });
  const v2 = npyFile(2, "{'descr': '>f8', 'fortran_order': True, 'shape': (4,), }");
  expect(parseNpyHeader(v2)).toMatchObject({ version: [2, 0], descr: '>f8', fortranOrder: true, shape: [4], dataOffset: 128 });
  const v3 = npyFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
  expect(parseNpyHeader(v3)).toMatchObject({ version: [3, 0], shape: [] });
  const err = (b: Uint8Array) => {
    try {
      parseNpyHeader(b);
    } catch (e) {
      expect(e).toBeInstanceOf(NpyFormatError);
      return { message: (e as NpyFormatError).message, offset: (e as NpyFormatError).offset };
    }
    throw new Error('expected a NpyFormatError');
  };
  expect(err(new Uint8Array(16))).toEqual({ message: 'not a .npy file (no \\x93NUMPY magic)', offset: 0 });
  expect(err(npyFile(4, '{}'))).toEqual({ message: '.npy format version 4.0 is not 1, 2 or 3', offset: 6 });
  expect(err(npyFile(1, "{'descr': '<f4'}"))).toMatchObject({ message: expect.stringMatching(/^unreadable \.npy header "\{'descr': '<f4'\}"$/), offset: 10 });
});

test('decodeNpy reads a version 2 file; it refuses other element types, Fortran order and a wrong data size', () => {
  const data = new Uint8Array(Float32Array.of(1.5, -2).buffer);
  expect(decodeNpy(npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", data))).toEqual({ data: Float32Array.of(1.5, -2), shape: [1, 2] });
  expect(() => decodeNpy(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)))).toThrow(
    /decodeNpy: only little-endian float32 is supported, header \{'descr': '<f8'/,
  );
  expect(() => decodeNpy(npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data))).toThrow(/Fortran-order arrays are not supported/);
  expect(() => decodeNpy(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data))).toThrow(/8 data bytes for shape \[3\] of float32/);
});
