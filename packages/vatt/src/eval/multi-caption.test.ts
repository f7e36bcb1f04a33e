/** The `.npy` export of a similarity matrix: the bytes of `encodeNpy`, read back by `npyToMatrix`, other arrays refused. */
import { encodeNpy } from '../onnx/npy.js';
import { npyToMatrix, similarityToNpy } from './multi-caption.js';

test('similarityToNpy writes what encodeNpy writes for [rows, cols]; npyToMatrix reads it back', () => {
  const m = { data: Float32Array.from({ length: 6 }, (_, i) => i / 7 - 0.25), rows: 2, cols: 3 };
  const bytes = similarityToNpy(m);
  expect(Buffer.from(bytes).equals(Buffer.from(encodeNpy(m.data, [2, 3])))).toBe(true);
  expect(new TextDecoder().decode(bytes.subarray(10, 10 + bytes[8] + 256 * bytes[9]))).toMatch(
    /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/,
  );
  const back = npyToMatrix(bytes);
  expect([back.rows, back.cols]).toEqual([2, 3]);
  expect(Array.from(back.data)).toEqual(Array.from(m.data));
});

test('npyToMatrix refuses a file that is not a 2-D float32 array', () => {
  expect(() => npyToMatrix(new Uint8Array(64))).toThrow(/^npyToMatrix: not a \.npy file/);
  expect(() => npyToMatrix(encodeNpy(Float32Array.of(1, 2, 3), [3]))).toThrow(/npyToMatrix: expected a C-order 2-D '<f4' array, header .*'shape': \(3,\)/);
  expect(() => npyToMatrix(encodeNpy(Float32Array.of(1, 2), [1, 1, 2]))).toThrow(/expected a C-order 2-D '<f4' array/);
});
