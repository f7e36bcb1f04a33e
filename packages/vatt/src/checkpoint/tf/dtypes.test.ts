// Half and bfloat16 conversions, exact where they can be, round-to-nearest-even where they cannot.
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16, toFloat32 } from './dtypes.js';

test('float16 <-> float32: every one of the 65536 half values survives the round trip', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const f = float16ToFloat32(all);
  const back = float32ToFloat16(f);
  const wrong: number[] = [];
  for (let i = 0; i < 65536; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN ? !Number.isNaN(f[i]) : back[i] !== i) wrong.push(i);
  }
  expect(wrong).toEqual([]);
  expect(Array.from(float16ToFloat32(Uint16Array.of(0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff)))).toEqual([1, -2, Infinity, 2 ** -24, 65504]);
});

test('float32 -> float16 rounds to nearest even, overflows to infinity, underflows through subnormals', () => {
  const h = (x: number): number => float32ToFloat16(Float32Array.of(x))[0];
  expect(h(1 + 2 ** -11)).toBe(0x3c00); // a tie: to even (down)
  expect(h(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie: to even (up)
  expect(h(65520)).toBe(0x7c00); // halfway above the largest half: infinity
  expect(h(65519)).toBe(0x7bff);
  expect(h(2 ** -25)).toBe(0); // a tie between 0 and the smallest subnormal: to even, 0
  expect(h(1.5 * 2 ** -25)).toBe(1);
  expect(h(-(2 ** -26))).toBe(0x8000);
  expect(h(NaN) & 0x7e00).toBe(0x7e00);
});

test('bfloat16: the upper half of a float32; rounding to nearest even', () => {
  expect(Array.from(bfloat16ToFloat32(Uint16Array.of(0x3f80, 0x4049, 0xff80)))).toEqual([1, 3.140625, -Infinity]);
  expect(Array.from(float32ToBfloat16(Float32Array.of(1, 3.14159, 1 + 2 ** -8, 1 + 3 * 2 ** -8)))).toEqual([0x3f80, 0x4049, 0x3f80, 0x3f82]);
  expect(float32ToBfloat16(Float32Array.of(NaN))[0] & 0x7fc0).toBe(0x7fc0);
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((i) => (i & 0x7f80) !== 0x7f80 || (i & 0x7f) === 0);
  expect(float32ToBfloat16(bfloat16ToFloat32(all))).toEqual(all);
});

test('toFloat32: no copy for float32, conversions for the rest', () => {
  const data = Float32Array.of(1, 2);
  expect(toFloat32({ dtype: 'float32', shape: [2], data })).toBe(data);
  expect(toFloat32({ dtype: 'int64', shape: [2], data: BigInt64Array.of(-3n, 5n) })).toEqual(Float32Array.of(-3, 5));
  expect(toFloat32({ dtype: 'float16', shape: [1], data: Uint16Array.of(0x3800) })).toEqual(Float32Array.of(0.5));
  expect(toFloat32({ dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) })).toEqual(Float32Array.of(1, 0));
  expect(() => toFloat32({ dtype: 'string', shape: [], data: [''], bytes: [new Uint8Array(0)] })).toThrow(/no numeric values/);
});
