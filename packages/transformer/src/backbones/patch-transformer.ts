import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { TransformerEncoder } from '../encoders/transformer.js';
import { fmtShape } from '../nn/validate.js';
import { PatchProjection } from '../embeddings/patch-projection.js';
import { FactorisedPositionEmbeddings } from '../embeddings/positions.js';
import { aggTokenInit, prependAggMask, prependAggToken } from '../embeddings/agg-token.js';
import { dropTokenSelection, selectTokens } from '../embeddings/drop-token.js';
import type { EncoderOptions, TransformerSize } from '../presets.js';

/** What every backbone returns. */
export type BackboneOutput = {
  /** The output at the [AGG] position (index 0), `[B, d]` -- the modality representation. */
  pooled: tf.Tensor2D;
  /** Every output token, [AGG] first, `[B, 1 + N, d]` (N = kept tokens in training with DropToken). */
  tokens: tf.Tensor3D;
};

/** Per-call inputs of the patch backbones. */
export interface PatchBackboneInputs {
  /** The patch grid (video [t, h, w], spectrogram [time, mel]); defaults to the configured buckets. */
  grid?: readonly number[];
  /** `[B, N]` padding mask over the patches (1 = valid). The [AGG] position is always valid. */
  mask?: tf.Tensor;
}

/** Token sequence ready for a Transformer: [AGG] + kept tokens, and the matching mask if any. */
export type EmbeddedTokens = {
  tokens: tf.Tensor3D;
  mask?: tf.Tensor2D;
};

/** Construction options shared by the backbones. */
export interface BackboneOptions {
  /** Root module name (default 'video' / 'audio' / 'text'); checkpoint names are relative to it. */
  name?: string;
  /**
   * A Transformer owned elsewhere (the modality-agnostic model's SHARED encoder, docs/numerics.md §3.3).
   * It is used but not registered, so it is absent from this backbone's `namedParameters()`, and
   * its `train()` / `eval()` state follows its owner, not this backbone.
   */
  encoder?: TransformerEncoder;
}

interface PatchTransformerParts {
  /** Official tokenizer name (`voxel_to_patch`, `wave_to_patch`, `spectrum_to_patch`). */
  projectionName: string;
  patchValues: number;
  /** Builds `pos_embedding_lookup`. */
  positions: (dim: number) => FactorisedPositionEmbeddings;
  /** DropToken keep rate in training, or null. */
  dropTokenKeepRate: number | null;
  dropTokenPerSample: boolean;
  /** How the input is described in errors ('video patches', ...). */
  inputLabel: string;
}

/**
 * The shared shape of the pre-LN patch backbones (ViT-3D video, WaT / SpT audio; docs/numerics.md §2.5,
 * 14): patch projection -> [pre_proj] -> x + LN(positions) -> DropToken (training) -> prepend
 * [AGG] -> `tx` -> [post_proj] -> index 0. Children: `<projection>`, `pre_proj`,
 * `pos_embedding_lookup`, `tx`, `post_proj`; weight `agg_embedding`.
 *
 * `embed()` and `readout()` are public so a model can run several modalities' tokens through one
 * shared encoder (pass it as `encoder`).
 */
export abstract class PatchTransformer extends Module {
  readonly config: TransformerSize & EncoderOptions;
  readonly aggEmbedding: tf.Variable;
  readonly projection: PatchProjection;
  readonly preProj: Dense | undefined;
  readonly posEmbeddingLookup: FactorisedPositionEmbeddings;
  readonly tx: TransformerEncoder;
  readonly postProj: Dense | undefined;
  private readonly parts: PatchTransformerParts;

  protected constructor(name: string, cfg: TransformerSize & EncoderOptions, parts: PatchTransformerParts, opts: BackboneOptions) {
    super(name);
    this.config = cfg;
    this.parts = parts;
    const d = cfg.dModel;
    this.aggEmbedding = this.param('agg_embedding', [d], aggTokenInit);
    this.projection = this.child(new PatchProjection(parts.projectionName, parts.patchValues, d));
    this.preProj = cfg.preProjection ? this.child(new Dense('pre_proj', d, d, { activation: 'gelu' })) : undefined;
    this.posEmbeddingLookup = this.child(parts.positions(d));
    if (opts.encoder) {
      if (opts.encoder.dModel !== d) throw new Error(`${name}: shared encoder has dModel ${opts.encoder.dModel}, expected ${d}`);
      this.tx = opts.encoder;
    } else {
      this.tx = this.child(
        new TransformerEncoder('tx', {
          numLayers: cfg.numLayers,
          dModel: d,
          numHeads: cfg.numHeads,
          dKv: cfg.dKv,
          dFF: cfg.dFF,
          dropout: cfg.dropout,
          attnDropout: cfg.attnDropout,
          lnEps: cfg.lnEps,
          useBias: cfg.useBias,
          preNorm: true,
        }),
      );
    }
    this.postProj = cfg.postProjectionDim ? this.child(new Dense('post_proj', d, cfg.postProjectionDim, { activation: 'gelu' })) : undefined;
  }

  /** The grid of `n` patch tokens: `grid` if given (checked), else the table sizes when they match. */
  protected resolveGrid(n: number, grid: readonly number[] | undefined): number[] {
    const buckets = this.posEmbeddingLookup.buckets;
    const g = grid ? [...grid] : buckets;
    const cells = g.reduce((a, b) => a * b, 1);
    if (g.length !== buckets.length || cells !== n) {
      const hint = grid ? `grid [${g}] (${cells} cells)` : `no grid given and the configured buckets [${buckets}] hold ${cells} cells`;
      throw new Error(
        `${this.path}: ${this.parts.inputLabel} has ${n} tokens but ${hint}; pass inputs.grid with ${buckets.length} sizes whose product is ${n}`,
      );
    }
    return g;
  }

  /**
   * Patches `[B, N, patchValues]` -> [AGG] + (kept) tokens `[B, 1 + N', d]` ready for `tx`, and the
   * extended mask when one was given.
   */
  embed(patches: tf.Tensor, inputs: PatchBackboneInputs = {}): EmbeddedTokens {
    const expected = fmtShape(['B', 'N', this.parts.patchValues]);
    if (patches.rank !== 3 || patches.shape[2] !== this.parts.patchValues) {
      throw new Error(`${this.path}: ${this.parts.inputLabel} must have shape ${expected}, got ${fmtShape(patches.shape)}`);
    }
    const [b, n] = patches.shape as [number, number, number];
    const grid = this.resolveGrid(n, inputs.grid);
    if (inputs.mask && (inputs.mask.rank !== 2 || inputs.mask.shape[0] !== b || inputs.mask.shape[1] !== n)) {
      throw new Error(`${this.path}: mask must have shape [${b},${n}] to match ${this.parts.inputLabel}, got ${fmtShape(inputs.mask.shape)}`);
    }
    return tf.tidy(() => {
      let x: tf.Tensor = this.projection.apply(patches);
      if (this.preProj) x = this.preProj.apply(x);
      x = this.posEmbeddingLookup.apply(x, grid);
      let mask = inputs.mask;
      const keepRate = this.parts.dropTokenKeepRate;
      if (this.training && keepRate !== null) {
        const configuredTokens = this.posEmbeddingLookup.buckets.reduce((a, c) => a * c, 1);
        const sel = dropTokenSelection(b, n, { keepRate, configuredTokens, perSample: this.parts.dropTokenPerSample });
        x = selectTokens(x, sel);
        if (mask) mask = selectTokens(mask, sel);
      }
      const tokens = prependAggToken(x, this.aggEmbedding);
      return mask ? { tokens, mask: prependAggMask(mask) } : { tokens };
    });
  }

  /** Encoder output `[B, 1 + N, d]` -> `post_proj` (if any) on every token, pooled = index 0. */
  readout(hidden: tf.Tensor): BackboneOutput {
    return tf.tidy(() => {
      const out = (this.postProj ? this.postProj.apply(hidden) : hidden) as tf.Tensor3D;
      const [b, , d] = out.shape;
      const pooled = tf.reshape(tf.slice(out, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D;
      return { pooled, tokens: out };
    });
  }

  /**
   * Patches `[B, N, patchValues]` (+ grid, mask) -> `{ pooled [B, d], tokens [B, 1 + N', d] }`.
   * DropToken runs only in training (`train()`).
   */
  apply(patches: tf.Tensor, inputs: PatchBackboneInputs = {}): BackboneOutput {
    return tf.tidy(() => {
      const { tokens, mask } = this.embed(patches, inputs);
      return this.readout(this.tx.apply(tokens, mask ? { mask } : {}));
    });
  }
}
