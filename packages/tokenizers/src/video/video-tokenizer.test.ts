import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, forEachBackend, maxAbsDiff, testBackends } from '@vatt-testing/backends';
import { normalizeFrames, VideoTokenizer } from '../index.js';

/**
 * Frames [B, T, H, W, 3] whose value encodes its own coordinates: b*10^4 + t*10^3 + h*10^2 + w*10 + c
 * (all coordinates < 10), given as 'unit' input so the tokenizer maps v -> 2v - 1.
 */
function codedFrames(shape: [number, number, number, number, number]): Float32Array {
  const [B, T, H, W, C] = shape;
  const out = new Float32Array(B * T * H * W * C);
  let i = 0;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) out[i++] = b * 1e4 + t * 1e3 + h * 100 + w * 10 + c;
  return out;
}

/** What patch value [b, token, k] must be for `codedFrames` with patch [pt, ph, pw] on grid [gt, gh, gw]. */
function expectedCoded(shape: [number, number, number, number, number], patch: [number, number, number]): Float32Array {
  const [B, T, H, W] = shape;
  const [pt, ph, pw] = patch;
  const [gt, gh, gw] = [T / pt, H / ph, W / pw];
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let it = 0; it < gt; it++)
      for (let ih = 0; ih < gh; ih++)
        for (let iw = 0; iw < gw; iw++)
          for (let t = 0; t < pt; t++)
            for (let h = 0; h < ph; h++)
              for (let w = 0; w < pw; w++)
                for (let c = 0; c < 3; c++) {
                  const v = b * 1e4 + (it * pt + t) * 1e3 + (ih * ph + h) * 100 + (iw * pw + w) * 10 + c;
                  out.push(2 * v - 1);
                }
  return Float32Array.from(out);
}

describe('normalizeFrames', () => {
  test('maps uint8 0..255 to [-1, 1] as x*2/255 - 1', () => {
    const out = normalizeFrames(new Uint8Array([0, 51, 127, 255]), 'uint8');
    expect(maxAbsDiff(out, [-1, 51 * (2 / 255) - 1, 127 * (2 / 255) - 1, 1])).toBeLessThan(1e-7);
  });

  test('maps unit floats 0..1 to [-1, 1] as x*2 - 1', () => {
    expect(Array.from(normalizeFrames([0, 0.25, 1], 'unit'))).toEqual([-1, -0.5, 1]);
  });

  test('rejects an unknown input range by name', () => {
    expect(() => normalizeFrames([0], 'percent' as never)).toThrow(/inputRange must be 'uint8' or 'unit'; got percent/);
  });
});

describe('VideoTokenizer on typed arrays', () => {
  test('defaults to 4x16x16 voxels of 3072 values and the VATT pre-training grid 8x14x14', () => {
    const tokenizer = new VideoTokenizer();
    expect(tokenizer.patchSize).toEqual([4, 16, 16]);
    expect(tokenizer.patchDim).toBe(3072);
    expect(tokenizer.gridFor([32, 224, 224, 3])).toEqual([8, 14, 14]);
    expect(tokenizer.gridFor([2, 32, 320, 320, 3])).toEqual([8, 20, 20]);
  });

  test('flattens each voxel in (t, h, w, c) order, tokens t outermost then h then w', () => {
    const shape: [number, number, number, number, number] = [2, 4, 4, 6, 3];
    const patch: [number, number, number] = [2, 2, 3];
    const tokenizer = new VideoTokenizer({ patchSize: patch, inputRange: 'unit' });
    const { patches, grid } = tokenizer.tokenize(codedFrames(shape), shape);
    expect(grid).toEqual([2, 2, 2]);
    expect(patches.shape).toEqual([2, 8, 2 * 2 * 3 * 3]);
    expect(Array.from(patches.data)).toEqual(Array.from(expectedCoded(shape, patch)));
  });

  test('accepts unbatched [T, H, W, 3] frames as a batch of one', () => {
    const tokenizer = new VideoTokenizer({ patchSize: [1, 2, 2] });
    const { patches, grid } = tokenizer.tokenize(new Uint8Array(2 * 4 * 2 * 3).fill(255), [2, 4, 2, 3]);
    expect(grid).toEqual([2, 2, 1]);
    expect(patches.shape).toEqual([1, 4, 12]);
    expect(patches.data.every((v) => v === 1)).toBe(true);
  });

  test('puts uint8 frames in [-1, 1] with 0 -> -1 and 255 -> 1', () => {
    const data = Uint8Array.from({ length: 4 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
    data[0] = 0;
    data[1] = 255;
    const { patches } = new VideoTokenizer({ patchSize: [2, 2, 2] }).tokenize(data, [4, 4, 4, 3]);
    expect(Math.min(...patches.data)).toBe(-1);
    expect(Math.max(...patches.data)).toBe(1);
  });

  describe('errors name the input, the dimension and what was expected', () => {
    const tokenizer = new VideoTokenizer();
    test.each([
      ['frame count', [30, 224, 224, 3], /frames frame count \(T\) 30 is not a multiple of the patch size t=4/],
      ['height', [32, 200, 224, 3], /frames height \(H\) 200 is not a multiple of the patch size h=16/],
      ['width', [1, 32, 224, 100, 3], /frames width \(W\) 100 is not a multiple of the patch size w=16/],
      ['channel count', [32, 224, 224, 4], /frames must have 3 \(RGB\) channels in the last axis; got 4/],
      ['rank', [224, 224, 3], /frames must have shape \[T, H, W, 3\] or \[B, T, H, W, 3\]; got rank 3/],
    ])('a wrong %s', (_name, shape, message) => {
      expect(() => tokenizer.gridFor(shape)).toThrow(message);
    });

    test('a data length that does not match the shape', () => {
      expect(() => tokenizer.tokenize(new Uint8Array(10), [4, 16, 16, 3])).toThrow(/frames has 10 values but its shape \[4, 16, 16, 3\] needs 3072/);
    });

    test('an array without its shape', () => {
      expect(() => tokenizer.tokenize(new Uint8Array(3072), undefined as unknown as number[])).toThrow(/need their shape/);
    });

    test('a bad patch size', () => {
      expect(() => new VideoTokenizer({ patchSize: [4, 0, 16] })).toThrow(/patchSize h must be an integer >= 1; got 0/);
    });
  });
});

forEachBackend(testBackends({ webgpu: true }), (backend) => {
  describe('VideoTokenizer on tensors', () => {
    test(`runs on the ${backend} backend`, () => {
      expect(tf.getBackend()).toBe(backend);
    });

    test('gives the same (t, h, w, c)-ordered patches as the array path', async () => {
      const shape: [number, number, number, number, number] = [2, 4, 4, 6, 3];
      const patch: [number, number, number] = [2, 2, 3];
      const tokenizer = new VideoTokenizer({ patchSize: patch, inputRange: 'unit' });
      const frames = tf.tensor(codedFrames(shape), shape);
      const { patches, grid } = tokenizer.tokenize(frames);
      expect(grid).toEqual([2, 2, 2]);
      expect(patches.shape).toEqual([2, 8, 36]);
      expect(patches.dtype).toBe('float32');
      expect(Array.from(await patches.data())).toEqual(Array.from(expectedCoded(shape, patch)));
      tf.dispose([frames, patches]);
    });

    test('maps int32 pixel tensors (from uint8 data) into [-1, 1] and unbatched frames to B = 1', async () => {
      const data = Int32Array.from({ length: 4 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
      data[5] = 0;
      data[6] = 255;
      const frames = tf.tensor(data, [4, 4, 4, 3], 'int32');
      const tokenizer = new VideoTokenizer({ patchSize: [2, 2, 2] });
      const { patches } = tokenizer.tokenize(frames);
      expect(patches.shape).toEqual([1, 8, 24]);
      const values = await patches.data();
      const expected = tokenizer.tokenize(data, [4, 4, 4, 3]).patches.data;
      expect(maxAbsDiff(values, expected)).toBeLessThan(1e-6);
      expect(Math.min(...values)).toBeCloseTo(-1, 6);
      expect(Math.max(...values)).toBeCloseTo(1, 6);
      tf.dispose([frames, patches]);
    });

    test('leaves no tensors behind', async () => {
      const frames = tf.zeros([1, 4, 32, 32, 3]);
      const tokenizer = new VideoTokenizer();
      await expectNoLeak(() => tf.dispose(tokenizer.tokenize(frames).patches));
      frames.dispose();
    });

    test('rejects a tensor with a wrong shape before doing any work', () => {
      const frames = tf.zeros([4, 16, 15, 3]);
      const before = tf.memory().numTensors;
      expect(() => new VideoTokenizer().tokenize(frames)).toThrow(/width \(W\) 15 is not a multiple of the patch size w=16/);
      expect(tf.memory().numTensors).toBe(before);
      frames.dispose();
    });
  });
});
