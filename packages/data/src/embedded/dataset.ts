/**
 * The embedded dataset: procedurally generated clips whose video, audio and captions truly correspond,
 * so `npm start` can pre-train and evaluate a tiny VATT with nothing downloaded. Clips are generated on
 * demand from (seed, split, index), identical on every run and every machine.
 */
import { Rng, hashSeed } from '../augment/random.js';
import {
  EMBEDDED_HELDOUT_COMBINATIONS,
  allCombinations,
  checkAttributes,
  combinationKey,
  type EmbeddedAttributes,
} from './attributes.js';
import { synthesizeAudio } from './audio.js';
import { clipCaptions } from './captions.js';
import { resolveEmbeddedFormat, sampleNuisance, type EmbeddedFormat, type EmbeddedFormatOptions, type EmbeddedNuisance } from './scene.js';
import { renderVideo } from './video.js';

/** One generated clip. */
export interface EmbeddedClip {
  /** "embedded/train/000042" inside a dataset, "embedded/<seed>" for a lone clip. */
  id: string;
  attributes: EmbeddedAttributes;
  /** "red circle left": the attribute triple, usable as a class label (linear probes). */
  label: string;
  /** uint8 RGB frames, [T, H, W, 3] row-major. */
  video: Uint8Array;
  videoShape: [number, number, number, 3];
  /** Mono float32 waveform in [-1, 1], numSamples long, spanning the same time as the frames. */
  audio: Float32Array;
  /** The description, "a red circle moving left" (= captions[0]): the zero-shot retrieval query. */
  caption: string;
  /** K captions: the description then K-1 narration-style candidates (MIL-NCE positives, vatt-spec.md section 6.3). */
  captions: string[];
  /** The random variation that no caption mentions (start position, speed, size, background, distractor, audio gain...). */
  nuisance: EmbeddedNuisance;
}

export interface EmbeddedClipOptions extends EmbeddedFormatOptions {
  /** Seed of the clip's nuisance, noise and caption choice (default 0). */
  seed?: number;
  /** Chance of a static grey distractor shape (default 0.5). */
  distractorProbability?: number;
  /** Overrides the clip id. */
  id?: string;
}

/** Independent random streams per part, so e.g. asking for more captions does not change the pixels. */
const STREAM = { scene: 1, video: 2, audio: 3, captions: 4 } as const;

function checkProbability(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`embedded dataset: distractorProbability must be in [0, 1]; got ${p}`);
  return p;
}

function checkSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new Error(`embedded dataset: seed must be a finite number; got ${seed}`);
  return seed;
}

function generate(a: EmbeddedAttributes, f: EmbeddedFormat, seed: number, distractorProbability: number, id: string): EmbeddedClip {
  const stream = (s: number) => new Rng(hashSeed(seed, s));
  const nuisance = sampleNuisance(a, f, stream(STREAM.scene), distractorProbability);
  const captions = clipCaptions(a, f.numCaptions, stream(STREAM.captions));
  return {
    id,
    attributes: { shape: a.shape, color: a.color, motion: a.motion },
    label: combinationKey(a),
    video: renderVideo(a, nuisance, f, stream(STREAM.video)),
    videoShape: [f.numFrames, f.height, f.width, 3],
    audio: synthesizeAudio(a, nuisance, f, stream(STREAM.audio)),
    caption: captions[0],
    captions,
    nuisance,
  };
}

/**
 * Generates one clip with the given attributes; everything else comes from `opts.seed`.
 *
 * @example
 * const clip = generateEmbeddedClip({ shape: 'circle', color: 'red', motion: 'left' }, { seed: 7 });
 * clip.videoShape;    // [8, 32, 32, 3]
 * clip.audio.length;  // 4096 (0.8 s at 5120 Hz)
 * clip.captions[0];   // 'a red circle moving left'
 */
export function generateEmbeddedClip(attributes: EmbeddedAttributes, opts: EmbeddedClipOptions = {}): EmbeddedClip {
  checkAttributes(attributes);
  const seed = checkSeed(opts.seed ?? 0);
  return generate(attributes, resolveEmbeddedFormat(opts), seed, checkProbability(opts.distractorProbability ?? 0.5), opts.id ?? `embedded/${seed}`);
}

export type EmbeddedSplit = 'train' | 'heldout';

export interface EmbeddedDatasetOptions extends EmbeddedFormatOptions {
  /** Which split (default 'train'). */
  split?: EmbeddedSplit;
  /** Number of clips (default 512 for train, 96 for heldout). Clips are generated on demand, so large sizes cost nothing up front. */
  size?: number;
  /** Dataset seed (default 0): with split and index it fixes every clip. */
  seed?: number;
  /** Chance of a static grey distractor shape per clip (default 0.5). */
  distractorProbability?: number;
  /** Triples kept out of the train split (default EMBEDDED_HELDOUT_COMBINATIONS). */
  heldoutCombinations?: readonly EmbeddedAttributes[];
}

/** A batch of clips stacked along a new leading axis B. */
export interface EmbeddedBatch {
  ids: string[];
  /** uint8 RGB, [B, T, H, W, 3]. */
  video: Uint8Array;
  videoShape: [number, number, number, number, 3];
  /** float32, [B, numSamples]. */
  audio: Float32Array;
  audioShape: [number, number];
  /** [B][K] captions. */
  captions: string[][];
  /** [B] descriptions (captions[b][0]). */
  caption: string[];
  attributes: EmbeddedAttributes[];
  labels: string[];
}

const SPLIT_CODE: Record<EmbeddedSplit, number> = { train: 1, heldout: 2 };
const ORDER_STREAM = 0x0dde;

/**
 * One split of the embedded dataset.
 *
 * - `train` cycles through the 84 attribute triples not held out, each cycle in a fresh seeded order
 *   (so any 84 consecutive clips cover every training triple once).
 * - `heldout` cycles through the held-out triples (never in train) followed by the other triples, each part
 *   shuffled per cycle; its nuisance comes from a different seed stream than train's, so every held-out clip
 *   is a new variant. With the default 96 clips every triple appears exactly once, so each description
 *   matches exactly one clip (text->video R@1 chance = 1/96).
 *
 * @example
 * const train = new EmbeddedDataset({ split: 'train', seed: 0 });
 * const { video, videoShape, audio, captions } = train.clip(0); // videoShape [8, 32, 32, 3], audio 4096 samples
 * const batch = train.batch([0, 1, 2, 3]);                      // batch.videoShape [4, 8, 32, 32, 3]
 */
export class EmbeddedDataset implements Iterable<EmbeddedClip> {
  readonly split: EmbeddedSplit;
  readonly size: number;
  readonly seed: number;
  readonly format: EmbeddedFormat;
  readonly distractorProbability: number;
  /** The distinct triples this split draws from, in first-appearance order. */
  readonly combinations: readonly EmbeddedAttributes[];
  private readonly order: EmbeddedAttributes[];

  constructor(opts: EmbeddedDatasetOptions = {}) {
    this.split = opts.split ?? 'train';
    if (!(this.split in SPLIT_CODE)) throw new Error(`EmbeddedDataset: split must be 'train' or 'heldout'; got ${JSON.stringify(this.split)}`);
    this.size = opts.size ?? (this.split === 'train' ? 512 : 96);
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error(`EmbeddedDataset: size must be a positive integer; got ${this.size}`);
    this.seed = checkSeed(opts.seed ?? 0);
    this.format = resolveEmbeddedFormat(opts);
    this.distractorProbability = checkProbability(opts.distractorProbability ?? 0.5);

    const held = opts.heldoutCombinations ?? EMBEDDED_HELDOUT_COMBINATIONS;
    held.forEach((a, i) => checkAttributes(a, `heldoutCombinations[${i}]`));
    const heldKeys = new Set(held.map(combinationKey));
    const all = allCombinations();
    const seen = all.filter((a) => !heldKeys.has(combinationKey(a)));
    const unseen = all.filter((a) => heldKeys.has(combinationKey(a)));
    if (seen.length === 0) throw new Error('EmbeddedDataset: heldoutCombinations holds out every triple; the train split would be empty');
    // Each cycle is [held-out triples (heldout split only), other triples], each part shuffled per cycle.
    const code = SPLIT_CODE[this.split];
    this.order = [];
    for (let cycle = 0; this.order.length < this.size; cycle++) {
      const rng = new Rng(hashSeed(this.seed, code, ORDER_STREAM, cycle));
      if (this.split === 'heldout') this.order.push(...rng.shuffle([...unseen]));
      this.order.push(...rng.shuffle([...seen]));
    }
    this.order.length = this.size;
    const distinct = new Map<string, EmbeddedAttributes>();
    for (const a of this.order) if (!distinct.has(combinationKey(a))) distinct.set(combinationKey(a), a);
    this.combinations = [...distinct.values()];
  }

  get numFrames(): number {
    return this.format.numFrames;
  }
  get fps(): number {
    return this.format.fps;
  }
  get sampleRate(): number {
    return this.format.sampleRate;
  }
  get numSamples(): number {
    return this.format.numSamples;
  }
  get numCaptions(): number {
    return this.format.numCaptions;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new Error(`EmbeddedDataset(${this.split}): index must be an integer in [0, ${this.size}); got ${index}`);
    }
  }

  /** The attribute triple of clip `index`, without generating it. */
  attributesOf(index: number): EmbeddedAttributes {
    this.checkIndex(index);
    const a = this.order[index];
    return { shape: a.shape, color: a.color, motion: a.motion };
  }

  /** Generates clip `index` (deterministic; about 0.1-0.2 ms at the default size). */
  clip(index: number): EmbeddedClip {
    this.checkIndex(index);
    const id = `embedded/${this.split}/${String(index).padStart(6, '0')}`;
    return generate(this.order[index], this.format, hashSeed(this.seed, SPLIT_CODE[this.split], index), this.distractorProbability, id);
  }

  /** Generates and stacks the clips at `indices`. */
  batch(indices: readonly number[]): EmbeddedBatch {
    if (!Array.isArray(indices) || indices.length === 0) throw new Error(`EmbeddedDataset.batch: indices must be a non-empty array of clip indices; got ${String(indices)}`);
    const { numFrames: T, height: H, width: W, numSamples } = this.format;
    const B = indices.length;
    const videoSize = T * H * W * 3;
    const batch: EmbeddedBatch = {
      ids: [],
      video: new Uint8Array(B * videoSize),
      videoShape: [B, T, H, W, 3],
      audio: new Float32Array(B * numSamples),
      audioShape: [B, numSamples],
      captions: [],
      caption: [],
      attributes: [],
      labels: [],
    };
    indices.forEach((index, b) => {
      const c = this.clip(index);
      batch.ids.push(c.id);
      batch.video.set(c.video, b * videoSize);
      batch.audio.set(c.audio, b * numSamples);
      batch.captions.push(c.captions);
      batch.caption.push(c.caption);
      batch.attributes.push(c.attributes);
      batch.labels.push(c.label);
    });
    return batch;
  }

  *[Symbol.iterator](): Iterator<EmbeddedClip> {
    for (let i = 0; i < this.size; i++) yield this.clip(i);
  }
}

export interface EmbeddedSplitsOptions extends Omit<EmbeddedDatasetOptions, 'split' | 'size'> {
  /** Train clips (default 512). */
  trainSize?: number;
  /** Held-out clips (default 96: every triple once). */
  heldoutSize?: number;
}

/**
 * The train and held-out splits with shared options, and the caption vocabulary.
 *
 * @example
 * const { train, heldout } = createEmbeddedSplits({ seed: 0 });
 * train.size;   // 512
 * heldout.size; // 96
 */
export function createEmbeddedSplits(opts: EmbeddedSplitsOptions = {}): { train: EmbeddedDataset; heldout: EmbeddedDataset } {
  const { trainSize, heldoutSize, ...shared } = opts;
  return {
    train: new EmbeddedDataset({ ...shared, split: 'train', size: trainSize }),
    heldout: new EmbeddedDataset({ ...shared, split: 'heldout', size: heldoutSize }),
  };
}
