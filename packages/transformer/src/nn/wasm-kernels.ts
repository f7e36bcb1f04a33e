import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels that make tfjs-backend-wasm (4.x) fast for Transformers, measured on the encoder benchmark of
 * bench/workload.mjs (6 layers x 512, batch 8 x 256 tokens, one core): forward 6.3 s -> 3.1 s, and training memory
 * about halved. Two problems in the stock backend, two fixes:
 *
 * 1. Batched matMuls (`[S,M,K]·[S,K,N]`, S > 1) run a scalar triple loop at ~2 GFLOP/s; only batch-1
 *    products reach XNNPACK (~20–30 GFLOP/s). {@link WASM_BATCH_MATMUL} runs one XNNPACK product per
 *    batch entry on views into wasm memory (no copies). `matMul` in this package uses it on wasm.
 * 2. `Identity` (and `Cast` to the same dtype) copy the whole buffer on wasm, and tfjs clones every
 *    tensor it saves for backprop through `Identity`: training kept a copy of each weight per use
 *    and of every saved activation. {@link installWasmKernels} replaces both with the reference-counted
 *    sharing that the wasm backend's own `Reshape` (and the cpu backend's `Identity`) already use.
 *    tfjs kernels never write into their inputs, so sharing is safe; values are identical.
 */

/** Name of the batched-matMul kernel registered for the wasm backend. */
export const WASM_BATCH_MATMUL = 'VattBatchMatMul';

/** The parts of tfjs-backend-wasm's `BackendWasm` (4.x) these kernels use. */
interface WasmBackendInternals {
  wasm: {
    cwrap: (name: string, ret: null, args: string[]) => (...a: unknown[]) => void;
    tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
  };
  dataIdMap: { get: (dataId: object) => { memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput: (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
  incRef: (dataId: object) => void;
  typedArrayFromHeap: (t: tf.TensorInfo) => Float32Array | Int32Array | Uint8Array;
}

function hasInternals(backend: unknown): backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | undefined;
  return (
    typeof b?.wasm?.cwrap === 'function' &&
    typeof b.wasm.tfjs?.registerTensor === 'function' &&
    typeof b.wasm.tfjs.disposeData === 'function' &&
    typeof b.dataIdNextNumber === 'number' &&
    typeof b.makeOutput === 'function' &&
    typeof b.incRef === 'function' &&
    typeof b.typedArrayFromHeap === 'function' &&
    typeof b.dataIdMap?.get === 'function'
  );
}

const entryPoints = new WeakMap<object, (...a: unknown[]) => void>();

function int32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(values).buffer);
}

/** Runs tfjs-backend-wasm's own kernel `name` (the one this module registered over, or the stock one). */
function stockKernel(name: string, args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const kernel = stock.get(name) ?? tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`${name}: the wasm backend has no ${name} kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return kernel.kernelFunc({ inputs: args.inputs, backend: args.backend as tf.KernelBackend, attrs: args.attrs ?? {} }) as tf.TensorInfo;
}

/**
 * `[S, M, K]·[S, K, N]`: for each batch entry, registers tensor ids that point into the operands' and
 * the output's wasm memory and calls the backend's own `BatchMatMul` entry point on that batch-1
 * view, so every product takes the XNNPACK path. Attention's `Q·Kᵀ` and `P·V` (64 products of
 * 256×64×256 in the issue's workload) go from 274 ms to 28 ms. Falls back to the stock kernel when
 * the backend's internals are not the ones this was written for.
 */
function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const backend = args.backend;
  if (!hasInternals(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return stockKernel(tf.BatchMatMul, { ...args, attrs: { transposeA: false, transposeB: false } });
  }
  const [s, m, k] = a.shape;
  const n = b.shape[2];
  let run = entryPoints.get(backend);
  if (!run) {
    run = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    entryPoints.set(backend, run);
  }
  const out = backend.makeOutput([s, m, n], 'float32');
  const offset = (t: tf.TensorInfo): number => {
    const info = backend.dataIdMap.get(t.dataId);
    if (!info) throw new Error(`${WASM_BATCH_MATMUL}: tensor data not found on the wasm backend`);
    return info.memoryOffset;
  };
  const [aOffset, bOffset, outOffset] = [offset(a), offset(b), offset(out)];
  const aShape = int32Bytes([1, m, k]);
  const bShape = int32Bytes([1, k, n]);
  const { registerTensor, disposeData } = backend.wasm.tfjs;
  for (let i = 0; i < s; i++) {
    const ids = [backend.dataIdNextNumber++, backend.dataIdNextNumber++, backend.dataIdNextNumber++];
    registerTensor(ids[0], m * k, aOffset + i * m * k * 4);
    registerTensor(ids[1], k * n, bOffset + i * k * n * 4);
    registerTensor(ids[2], m * n, outOffset + i * m * n * 4);
    run(ids[0], aShape, 3, ids[1], bShape, 3, 0, 0, ids[2]);
    // Forgets the views (and the XNNPACK operator cached on ids[1]); frees no memory.
    for (const id of ids) disposeData(id);
  }
  return out;
}

/** `Identity` as a new reference to the same buffer (the wasm `Reshape` does the same). */
function sharedIdentity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!hasInternals(args.backend) || x.dtype === 'string') return stockKernel(tf.Identity, args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * `Cast` to the tensor's own dtype shares the buffer; a cast to bool maps non-zero values to 1 (the
 * stock wasm kernel copies them unchanged: 2 stayed 2); other conversions go to the stock kernel.
 */
function sharedCast(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend;
  if (x.dtype === 'string' || !hasInternals(backend)) return stockKernel(tf.Cast, args);
  if (args.attrs.dtype === x.dtype) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }
  if (args.attrs.dtype === 'bool') {
    const out = backend.makeOutput(x.shape, 'bool');
    const from = backend.typedArrayFromHeap(x);
    const to = backend.typedArrayFromHeap(out);
    for (let i = 0; i < from.length; i++) to[i] = from[i] !== 0 ? 1 : 0;
    return out;
  }
  return stockKernel(tf.Cast, args);
}

/** The stock wasm kernels this module replaced, by name (the fallbacks above call them). */
const stock = new Map<string, tf.KernelConfig>();

if (!tf.getKernel(WASM_BATCH_MATMUL, 'wasm')) {
  tf.registerKernel({ kernelName: WASM_BATCH_MATMUL, backendName: 'wasm', kernelFunc: batchMatMul as unknown as tf.KernelFunc });
}

const REPLACEMENTS: Array<[string, (args: never) => tf.TensorInfo]> = [
  [tf.Identity, sharedIdentity],
  [tf.Cast, sharedCast],
];

/**
 * Replaces the wasm backend's copying `Identity` and same-dtype `Cast` with buffer-sharing versions
 * (see the module comment). Call it after `@tensorflow/tfjs-backend-wasm` is imported; idempotent;
 * returns false (and changes nothing) while the wasm backend's kernels are not registered yet.
 * `setupBackend('wasm')` in `vatt` and this package's `matMul` call it.
 */
export function installWasmKernels(): boolean {
  let installed = true;
  for (const [name, kernelFunc] of REPLACEMENTS) {
    const current = tf.getKernel(name, 'wasm');
    if (!current) {
      installed = false;
      continue;
    }
    if (current.kernelFunc === (kernelFunc as unknown as tf.KernelFunc)) continue;
    stock.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...current, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  return installed;
}
