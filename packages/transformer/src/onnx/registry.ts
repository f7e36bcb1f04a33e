/**
 * ONNX export rules, one per module type, kept in a registry keyed by class. `ctx.apply(module, x)` finds
 * the rule of the module's class (or of its nearest registered ancestor: `PatchProjection` uses `Dense`'s,
 * `VideoTransformer` the `PatchTransformer` one) and emits the module's eval-mode forward pass (no
 * dropout, no DropToken, BatchNorm with its moving statistics) into the graph. A rule composes its
 * children through `ctx.apply` again, so a model is exported by the rules of its parts, never by a
 * hand-written graph per model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';
import { OnnxGraphBuilder, type OnnxValue } from './graph.js';

/** What a rule may get besides its main input. */
export interface OnnxRuleArgs {
  /** `[B, N]` float padding mask, 1 = valid (attention, encoders, backbones). */
  mask?: OnnxValue;
  /** Additive attention score bias `[1|B, H, N, N]` (T5's relative bias with the mask folded in). */
  bias?: OnnxValue;
  /** Static patch grid of a backbone / positional module (video `[t, h, w]`, spectrogram `[time, mel]`). */
  grid?: readonly number[];
  /** Rule-specific selector (the FAC head's `video` / `audio` / `text` path). */
  path?: string;
}

/** A rule's result: one value, or named values (a backbone's `pooled` and `tokens`, the head's `va` / `vt`). */
export type OnnxRuleResult = OnnxValue | Record<string, OnnxValue>;

/** Emits `module`'s eval forward pass on input `x`; returns the output value(s). */
export type OnnxExportRule<M extends Module = Module> = (ctx: OnnxExportContext, module: M, x: OnnxValue, args: OnnxRuleArgs) => OnnxRuleResult;

/** A module class (abstract or with a protected constructor too) as a registry key. */
export type ModuleClass<M extends Module = Module> = { readonly prototype: M; readonly name: string };

/**
 * Export rules by module class. Lookup walks the prototype chain, so a subclass without its own rule uses
 * its parent's. `defaultOnnxRegistry` holds the rules of every @vatt/transformer module; other packages
 * register their own modules (vatt's FAC head) in it or in a `derive()`d copy.
 *
 * @example
 * const registry = defaultOnnxRegistry.derive();
 * registry.register(MyLayer, (ctx, m, x) => ctx.graph.op('Relu', [x]));
 */
export class OnnxExportRegistry {
  private readonly rules = new Map<ModuleClass, OnnxExportRule>();

  constructor(private readonly parent?: OnnxExportRegistry) {}

  /** Registers (or replaces) the rule of a module class. */
  register<M extends Module>(cls: ModuleClass<M>, rule: OnnxExportRule<M>): this {
    this.rules.set(cls, rule as OnnxExportRule);
    return this;
  }

  /** A registry that starts with this one's rules and can add its own without changing this one. */
  derive(): OnnxExportRegistry {
    return new OnnxExportRegistry(this);
  }

  /** The rule for `module`, from its class or the nearest ancestor class with one; undefined when none. */
  ruleFor(module: Module): OnnxExportRule | undefined {
    for (
      let proto = Object.getPrototypeOf(module) as object | null;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      const cls = (proto as { constructor: ModuleClass }).constructor;
      const rule = this.lookupOwn(cls);
      if (rule) return rule;
    }
    return undefined;
  }

  private lookupOwn(cls: ModuleClass): OnnxExportRule | undefined {
    return this.rules.get(cls) ?? this.parent?.lookupOwn(cls);
  }

  /** The registered classes' names (this registry and its parents). */
  classNames(): string[] {
    const own = [...this.rules.keys()].map((c) => c.name);
    return [...new Set([...(this.parent?.classNames() ?? []), ...own])];
  }
}

/** The registry with every @vatt/transformer rule (filled by rules.ts). */
export const defaultOnnxRegistry = new OnnxExportRegistry();

/** Options of an export context. */
export interface OnnxExportContextOptions {
  registry?: OnnxExportRegistry;
  /**
   * Names of the weights: the exported root module's `namedParameters()` (plus `prefix`), so initializers
   * carry checkpoint names (docs/numerics.md §10.2). Modules outside it (a shared encoder used by a
   * tower) are named by their scope path when first met.
   */
  root?: Module;
  prefix?: string;
  /** Longest sequence a T5 relative-position bias is prepared for (default 512). */
  maxRelativeLength?: number;
}

/**
 * The state of one export: the graph, the rule registry, and the tfjs variable -> initializer map (a
 * weight used twice, like VATT-MA's shared encoder, becomes one initializer).
 *
 * @example
 * const ctx = new OnnxExportContext({ root: dense });
 * const x = ctx.graph.input({ name: 'x', dtype: 'float32', shape: ['batch', dense.inDim] });
 * ctx.graph.output(ctx.apply(dense, x) as string, { name: 'y', dtype: 'float32', shape: ['batch', dense.outDim] });
 */
export class OnnxExportContext {
  readonly graph = new OnnxGraphBuilder();
  readonly registry: OnnxExportRegistry;
  readonly maxRelativeLength: number;
  private readonly names = new Map<tf.Variable, string>();
  private readonly emitted = new Map<string, OnnxValue>();

  constructor(opts: OnnxExportContextOptions = {}) {
    this.registry = opts.registry ?? defaultOnnxRegistry;
    this.maxRelativeLength = opts.maxRelativeLength ?? 512;
    if (opts.root) this.nameParameters(opts.root, opts.prefix ?? '');
  }

  private nameParameters(m: Module, prefix: string): void {
    for (const [n, v] of m.namedParameters(prefix)) if (!this.names.has(v)) this.names.set(v, n);
  }

  /**
   * Emits `module` on `x` through its registered rule, with value names scoped by the module's name.
   * Throws naming the class when no rule is registered for it.
   */
  apply(module: Module, x: OnnxValue, args: OnnxRuleArgs = {}): OnnxRuleResult {
    const rule = this.registry.ruleFor(module);
    if (!rule) {
      throw new Error(
        `ONNX export: no rule for ${module.constructor.name} (${module.path}); registered: ${this.registry.classNames().join(', ')}. ` +
          'Register one with defaultOnnxRegistry.register(Class, rule).',
      );
    }
    if (!module.namedParameters().every(([, v]) => this.names.has(v)))
      this.nameParameters(module, this.graph.scope ? `${this.graph.scope}/${module.name}/` : `${module.name}/`);
    return this.graph.scoped(module.name, () => rule(this, module, x, args));
  }

  /** `apply` for rules that return one value. */
  value(module: Module, x: OnnxValue, args: OnnxRuleArgs = {}): OnnxValue {
    const r = this.apply(module, x, args);
    if (typeof r !== 'string')
      throw new Error(`ONNX export: ${module.constructor.name} returned named outputs (${Object.keys(r).join(', ')}), expected one value`);
    return r;
  }

  /** `apply` for rules that return named values. */
  values(module: Module, x: OnnxValue, args: OnnxRuleArgs = {}): Record<string, OnnxValue> {
    const r = this.apply(module, x, args);
    if (typeof r === 'string') throw new Error(`ONNX export: ${module.constructor.name} returned one value, expected named outputs`);
    return r;
  }

  /** The checkpoint name of a weight (its parameter path), or a scoped fallback. */
  nameOf(v: tf.Variable, fallback: string): string {
    return this.names.get(v) ?? (this.graph.scope ? `${this.graph.scope}/${fallback}` : fallback);
  }

  /** The initializer of a tfjs weight (added once, named by its parameter path). */
  weight(v: tf.Variable | tf.Tensor, fallback = 'weight'): OnnxValue {
    const name = this.nameOf(v as tf.Variable, fallback);
    const known = this.emitted.get(name);
    if (known) return known;
    const data = v.dataSync();
    const typed = v.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
    const value = this.graph.initializer(name, typed, v.shape);
    this.emitted.set(name, value);
    return value;
  }

  /**
   * An initializer derived from a weight at export time (a folded scale, a transposed table), cached under
   * `<weight name>/<suffix>`.
   */
  derivedWeight(v: tf.Variable, suffix: string, make: (values: Float32Array) => { data: Float32Array; dims: number[] }): OnnxValue {
    const name = `${this.nameOf(v, 'weight')}/${suffix}`;
    const known = this.emitted.get(name);
    if (known) return known;
    const { data, dims } = make(Float32Array.from(v.dataSync()));
    const value = this.graph.initializer(name, data, dims);
    this.emitted.set(name, value);
    return value;
  }
}
