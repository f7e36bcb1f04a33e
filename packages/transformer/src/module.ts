import * as tf from '@tensorflow/tfjs-core';
import type { Initializer } from './initializers.js';

/** A flat map from hierarchical parameter name (`tx/layers/0/mha/q/kernel`) to tensor. */
export type NamedTensors = Record<string, tf.Tensor>;

export interface ParamOptions {
  /** Frozen weights (e.g. VATT's word2vec table, BatchNorm moving statistics) are not trained. */
  trainable?: boolean;
}

export interface LoadOptions {
  /** Throw when a name of this module is missing from the map (default true). */
  strict?: boolean;
  /** Throw when the map has names this module does not own (default true when strict). */
  allowUnexpected?: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * The base of every trainable piece. A module owns `tf.Variable`s and child modules, each under
 * a stable name, so `namedParameters()` yields the official VATT checkpoint paths
 * (docs/numerics.md §10.2) and weights can be exchanged with any source by name.
 *
 * Modules are stateful like PyTorch's: `train()` / `eval()` switch dropout, DropToken and
 * BatchNorm behaviour for the whole subtree.
 */
export abstract class Module {
  readonly name: string;
  training = false;
  private readonly params = new Map<string, { v: tf.Variable; trainable: boolean }>();
  private readonly children = new Map<string, Module>();
  private parent: Module | undefined;

  constructor(name: string) {
    if (!NAME_RE.test(name)) throw new Error(`Module name must be a relative path of [A-Za-z0-9_.-] parts, got "${name}"`);
    this.name = name;
  }

  /** Creates and registers a weight. Variable names are left to tfjs (they must be globally unique). */
  protected param(name: string, shape: number[], init: Initializer, opts: ParamOptions = {}): tf.Variable {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`${this.name}: duplicate parameter "${name}"`);
    const trainable = opts.trainable ?? true;
    const value = init(shape);
    if (value.shape.join(',') !== shape.join(',')) throw new Error(`${this.name}/${name}: initialiser returned ${value.shape}, expected ${shape}`);
    const v = tf.variable(value, trainable);
    value.dispose();
    this.params.set(name, { v, trainable });
    return v;
  }

  /** Registers a child module under its own `name`. */
  protected child<M extends Module>(m: M): M {
    if (this.children.has(m.name) || this.params.has(m.name)) throw new Error(`${this.name}: duplicate child "${m.name}"`);
    this.children.set(m.name, m);
    m.parent = this;
    return m;
  }

  /** The full hierarchical path of this module from its root (`tx/layers/0/mha`), for error messages. */
  get path(): string {
    return this.parent ? `${this.parent.path}/${this.name}` : this.name;
  }

  /** This module and every module below it, depth first. */
  *modules(): Generator<Module> {
    yield this;
    for (const c of this.children.values()) yield* c.modules();
  }

  /** Every weight of the subtree with its hierarchical name, in a stable order. */
  namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [n, { v }] of this.params) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}/`));
    return out;
  }

  /** Trainable weights of the subtree, with names. */
  namedTrainableParameters(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [n, { v, trainable }] of this.params) if (trainable) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedTrainableParameters(`${prefix}${n}/`));
    return out;
  }

  /** Trainable variables of the subtree (for optimizers and `tf.variableGrads`). */
  trainableVariables(): tf.Variable[] {
    return this.namedTrainableParameters().map(([, v]) => v);
  }

  /** Number of scalar weights (all, or trainable only). */
  countParams(trainableOnly = false): number {
    const list = trainableOnly ? this.namedTrainableParameters() : this.namedParameters();
    return list.reduce((s, [, v]) => s + v.size, 0);
  }

  /** The weights by name. The tensors are the live variables: read them, do not dispose them. */
  namedWeights(): NamedTensors {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Assigns weights by name (the inverse of `namedWeights`). Shapes must match exactly; with
   * `strict` (default) every weight of this module must be present and no unknown name may appear,
   * and the error lists the offending names.
   */
  loadWeights(weights: NamedTensors, opts: LoadOptions = {}): void {
    const strict = opts.strict ?? true;
    const allowUnexpected = opts.allowUnexpected ?? !strict;
    const own = this.namedParameters();
    const ownNames = new Set(own.map(([n]) => n));
    const missing = own.filter(([n]) => !(n in weights)).map(([n]) => n);
    const unexpected = Object.keys(weights).filter((n) => !ownNames.has(n));
    if (strict && missing.length)
      throw new Error(`loadWeights: ${missing.length} weight(s) missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
    if (!allowUnexpected && unexpected.length)
      throw new Error(`loadWeights: ${unexpected.length} unexpected weight(s): ${unexpected.slice(0, 10).join(', ')}${unexpected.length > 10 ? ', ...' : ''}`);
    for (const [n, v] of own) {
      const w = weights[n];
      if (!w) continue;
      if (w.shape.join(',') !== v.shape.join(',')) throw new Error(`loadWeights: "${n}" has shape [${w.shape}], expected [${v.shape}]`);
    }
    for (const [n, v] of own) {
      const w = weights[n];
      if (w) v.assign(w.dtype === v.dtype ? w : tf.cast(w, v.dtype));
    }
  }

  /** Switches the subtree to training behaviour (dropout, DropToken, BatchNorm batch statistics). */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  /** Switches the subtree to inference behaviour. */
  eval(): this {
    return this.train(false);
  }

  /** Frees every variable of the subtree. */
  dispose(): void {
    for (const { v } of this.params.values()) v.dispose();
    for (const c of this.children.values()) c.dispose();
  }
}
