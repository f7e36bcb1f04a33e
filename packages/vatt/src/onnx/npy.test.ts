/** `.npy` files: byte layout of the v1.0 header, round trips, and numpy reading them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeNpy, encodeNpy } from './npy.js';

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
