/**
 * Running exported towers on onnxruntime (browser-safe): the caller hands in the runtime module
 * (onnxruntime-node in Node, loaded by `loadOnnxRuntime`; onnxruntime-web in a page) and a way to read the
 * tower files, so this file imports neither. Sessions are created on first use, one per tower.
 */
import type { Matrix } from '../model/encode.js';
import type { OnnxManifest, TowerName } from './manifest.js';

/** The part of an onnxruntime tensor used here (onnxruntime-common's `Tensor`). */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

/** The part of an onnxruntime `InferenceSession` used here. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The part of the onnxruntime module used here: onnxruntime-node and onnxruntime-web both fit. */
export interface OrtModuleLike {
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: readonly number[]) => OrtTensorLike;
}

/** How tower files are read: bytes, or a path / URL the runtime opens itself. */
export type TowerLoader = (file: string) => Promise<Uint8Array | string>;

/** Options of `OnnxTowers`. */
export interface OnnxTowersOptions {
  /** onnxruntime `SessionOptions` (threads, execution providers, graph optimisation level). */
  sessionOptions?: Record<string, unknown>;
  /** How the engine is described in logs (`onnxruntime-node cpu, 2 threads`). */
  description?: string;
}

/**
 * The exported towers of one ONNX folder on an onnxruntime module.
 *
 * @example
 * import * as ort from 'onnxruntime-web/webgpu';
 * const towers = new OnnxTowers(ort, manifest, async (f) => new Uint8Array(await (await fetch(`onnx/${f}`)).arrayBuffer()));
 * const { vt } = await towers.run('text', ids, [2, manifest.preprocessing.text.maxTokens]); // vt: Matrix [2, d_vt]
 */
export class OnnxTowers {
  private readonly sessions = new Map<TowerName, Promise<OrtSessionLike>>();
  readonly description: string;

  constructor(
    readonly ort: OrtModuleLike,
    readonly manifest: OnnxManifest,
    private readonly load: TowerLoader,
    private readonly opts: OnnxTowersOptions = {},
  ) {
    this.description = opts.description ?? 'onnxruntime';
  }

  /** The session of `tower`, created on first use. */
  session(tower: TowerName): Promise<OrtSessionLike> {
    let s = this.sessions.get(tower);
    if (!s) {
      const entry = this.manifest.towers[tower];
      if (!entry) return Promise.reject(new Error(`ONNX folder has no ${tower} tower (manifest towers: ${Object.keys(this.manifest.towers).join(', ')})`));
      s = this.load(entry.file).then((src) => this.ort.InferenceSession.create(src, this.opts.sessionOptions ?? {}));
      s.catch(() => this.sessions.delete(tower));
      this.sessions.set(tower, s);
    }
    return s;
  }

  /**
   * Runs `tower` on one batch (`data` row-major with `dims`, batch first) and returns every output as a
   * `Matrix` `[batch, dim]`.
   */
  async run(tower: TowerName, data: Float32Array | Int32Array, dims: readonly number[]): Promise<Record<string, Matrix>> {
    const entry = this.manifest.towers[tower]!;
    const s = await this.session(tower);
    const input = entry.inputs[0];
    const expected = input.shape.map((d, i) => (typeof d === 'number' ? d : dims[i]));
    if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
      throw new Error(`${tower} tower: input ${input.name} must have shape [${input.shape}], got [${dims}]`);
    }
    const out = await s.run({ [input.name]: new this.ort.Tensor(input.dtype, data, dims) });
    const result: Record<string, Matrix> = {};
    for (const o of entry.outputs) {
      const t = out[o.name];
      if (!t) throw new Error(`${tower} tower: output ${o.name} is missing`);
      const [rows, cols] = t.dims as [number, number];
      // A typed-array copy (one memcpy): the result must not alias memory the runtime may reuse.
      const data = t.data instanceof Float32Array ? t.data.slice() : Float32Array.from(t.data as ArrayLike<number>);
      result[o.name] = { data, rows, cols };
    }
    return result;
  }

  /** Releases every session. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}
