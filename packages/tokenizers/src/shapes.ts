import * as tf from '@tensorflow/tfjs-core';

/** Plain numbers accepted wherever raw media comes in as an array (decoded pixels, PCM samples). */
export type NumericArray = Float32Array | Float64Array | Int32Array | Int16Array | Uint16Array | Uint8Array | Uint8ClampedArray | readonly number[];

/** A typed array with its row-major shape: what the array (non-tensor) paths of every tokenizer return. */
export interface ShapedArray<T extends Float32Array | Float64Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

/**
 * Wraps a {@link ShapedArray} in a tensor (float32 for float data, int32 for ids), e.g. the word ids
 * of {@link WordTokenizer.tokenize} or the patches of {@link SpectrogramTokenizer.tokenize}.
 *
 * @example
 * const ids = toTensor(wordTokenizer.tokenize(['cut the onion'])); // int32 [1, 16]
 */
export function toTensor(array: ShapedArray<Float32Array | Float64Array | Int32Array>): tf.Tensor {
  const dtype = array.data instanceof Int32Array ? 'int32' : 'float32';
  return tf.tensor(array.data, array.shape, dtype);
}

/** `[a, b, c]` for error messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless `data` holds exactly the number of elements `shape` describes. */
export function checkArrayShape(owner: string, name: string, data: NumericArray, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${owner}: ${name} needs a shape of non-negative integers; got ${String(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new Error(`${owner}: ${name} has ${data.length} values but its shape ${shapeText(shape)} needs ${size}`);
  }
}

/** Throws unless `value` is an integer >= 1. */
export function checkPositiveInteger(owner: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${owner}: ${name} must be an integer >= 1; got ${String(value)}`);
  }
}

/**
 * Non-overlapping patches of a channels-last array, the typed-array twin of {@link patchifyTensor}.
 *
 * `shape = [B, D1, ..., Dn, C]` with every `Di` a multiple of `patch[i]` (the caller checks and words the
 * error). Output `[B, N, p1*...*pn*C]`: tokens row-major over the grid `(D1/p1, ..., Dn/pn)` (first axis
 * outermost), each patch flattened in `(p1, ..., pn, C)` order — exactly what a Conv with kernel = stride =
 * `patch` and `valid` padding multiplies by its kernel (docs/numerics.md §1.1, §1.2).
 */
export function patchifyArray(data: ArrayLike<number>, shape: readonly number[], patch: readonly number[]): ShapedArray<Float32Array> {
  const n = patch.length;
  const batch = shape[0];
  const dims = shape.slice(1, 1 + n);
  const channels = shape[1 + n];
  const grid = dims.map((d, i) => d / patch[i]);
  const numTokens = grid.reduce((a, b) => a * b, 1);
  const patchDim = patch.reduce((a, b) => a * b, 1) * channels;
  // Strides of the source along each spatial axis, in elements.
  const strides = new Array<number>(n);
  let stride = channels;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= dims[i];
  }
  const exampleSize = stride;
  // The innermost patch row (p_n * C values) is contiguous in the source: copy it in one run.
  const run = patch[n - 1] * channels;
  const rowsPerPatch = patchDim / run;
  const out = new Float32Array(batch * numTokens * patchDim);
  const gridIndex = new Array<number>(n).fill(0);
  const inPatch = new Array<number>(n).fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    gridIndex.fill(0);
    for (let token = 0; token < numTokens; token++) {
      let origin = b * exampleSize;
      for (let i = 0; i < n; i++) origin += gridIndex[i] * patch[i] * strides[i];
      inPatch.fill(0);
      for (let row = 0; row < rowsPerPatch; row++) {
        let start = origin;
        for (let i = 0; i < n - 1; i++) start += inPatch[i] * strides[i];
        for (let k = 0; k < run; k++) out[o++] = data[start + k];
        // Odometer over the patch's outer axes (all but the last).
        for (let i = n - 2; i >= 0; i--) {
          if (++inPatch[i] < patch[i]) break;
          inPatch[i] = 0;
        }
      }
      for (let i = n - 1; i >= 0; i--) {
        if (++gridIndex[i] < grid[i]) break;
        gridIndex[i] = 0;
      }
    }
  }
  return { data: out, shape: [batch, numTokens, patchDim] };
}

/**
 * Non-overlapping patches of a channels-last tensor `[B, D1, ..., Dn, C]` -> `[B, N, p1*...*pn*C]`, same
 * layout as {@link patchifyArray}, with one reshape/transpose/reshape. B is merged with the first grid axis
 * and the last patch axis with C, so a 3-D video patch needs a rank-6 transpose (the most that the wasm and
 * WebGPU kernels accept) instead of rank 8. Every `Di` must be a multiple of `patch[i]`.
 */
export function patchifyTensor(x: tf.Tensor, patch: readonly number[]): tf.Tensor3D {
  const n = patch.length;
  const [batch, ...rest] = x.shape;
  const dims = rest.slice(0, n);
  const channels = rest[n];
  const grid = dims.map((d, i) => d / patch[i]);
  const numTokens = grid.reduce((a, b) => a * b, 1);
  const patchDim = patch.reduce((a, b) => a * b, 1) * channels;
  return tf.tidy(() => {
    // [B*g1, p1, g2, p2, ..., gn, pn*C]
    const split: number[] = [batch * grid[0], patch[0]];
    for (let i = 1; i < n; i++) split.push(grid[i], patch[i]);
    split[split.length - 1] *= channels;
    // -> [B*g1, g2, ..., gn, p1, ..., pn*C]
    const perm = [0];
    for (let i = 1; i < n; i++) perm.push(2 * i);
    for (let i = 0; i < n; i++) perm.push(2 * i + 1);
    const blocks = tf.reshape(x, split);
    const ordered = n === 1 ? blocks : tf.transpose(blocks, perm);
    return tf.reshape(ordered, [batch, numTokens, patchDim]) as tf.Tensor3D;
  });
}
