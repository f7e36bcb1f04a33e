/**
 * The embedded dataset: VATT's main job trains on it with nothing downloaded. Clips of a coloured
 * shape moving over a noisy background, a sound made from the same attributes, and captions that
 * describe them, generated in process and deterministic from a seed.
 *
 * Splits:
 * - `train`: `trainVariants` clips (different nuisance: position, size, speed, tint, noise, pitch
 *   detune, phase) of every attribute combination except the held-out ones.
 * - `heldout`: one clip of EVERY combination with nuisance never used in training; the
 *   `heldoutCombinations` combinations (default 16 of 96) never appear in training at all. Each
 *   held-out clip has a distinct description, so retrieval over it has one right answer per query.
 */
import { hashSeed, Rng } from '@vatt/tokenizers/random';
import { allCombinations, attributeKey, type ClipAttributes } from './attributes.js';
import { captionsFor, EMBEDDED_VOCAB } from './captions.js';
import { renderClip, type RenderOptions } from './render.js';

export interface EmbeddedDatasetOptions extends Partial<RenderOptions> {
  /** Seed of everything (default 0). */
  seed?: number;
  /** Training clips per seen combination (default 6). */
  trainVariants?: number;
  /** Combinations kept out of training (default 16). */
  heldoutCombinations?: number;
  /** Captions per clip: the description + narrations (default 5, VATT's K). */
  numCandidates?: number;
}

export interface EmbeddedClip {
  id: string;
  split: 'train' | 'heldout';
  attributes: ClipAttributes;
  /** uint8 RGB frames [T, H, W, 3]. */
  video: Uint8Array;
  videoShape: [number, number, number, number];
  /** Mono waveform at `sampleRate`, in sync with the frames (both span frames / fps seconds). */
  audio: Float32Array;
  /** The description first, then narration-style candidates. */
  captions: string[];
  /** True when this combination never appears in training. */
  unseenCombination: boolean;
}

/** The defaults: 8 frames of 32x32 at 10 fps, and 0.8 s of audio at 5120 Hz (4096 samples = 32 patches of 128). */
export const EMBEDDED_DEFAULTS: RenderOptions = { frames: 8, height: 32, width: 32, fps: 10, sampleRate: 5120, samples: 4096 };

export class EmbeddedDataset {
  readonly options: Required<EmbeddedDatasetOptions>;
  readonly train: readonly EmbeddedClip[];
  readonly heldout: readonly EmbeddedClip[];
  /** Keys (`color-shape-motion`) of the combinations never seen in training. */
  readonly unseenCombinations: readonly string[];
  /** The vocabulary (`<pad>` = 0, `<bos>`, `<eos>`, `<unk>`, then every caption word). */
  readonly vocab: readonly string[] = EMBEDDED_VOCAB;

  constructor(options: EmbeddedDatasetOptions = {}) {
    const o: Required<EmbeddedDatasetOptions> = { ...EMBEDDED_DEFAULTS, seed: 0, trainVariants: 6, heldoutCombinations: 16, numCandidates: 5, ...options };
    for (const k of ['frames', 'height', 'width', 'samples', 'trainVariants', 'numCandidates'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`EmbeddedDataset: ${k} must be an integer >= 1, got ${o[k]}`);
    }
    if (!(o.fps > 0) || !(o.sampleRate > 0)) throw new Error(`EmbeddedDataset: fps and sampleRate must be > 0, got ${o.fps}, ${o.sampleRate}`);
    const combos = allCombinations();
    if (!Number.isInteger(o.heldoutCombinations) || o.heldoutCombinations < 0 || o.heldoutCombinations >= combos.length) {
      throw new Error(`EmbeddedDataset: heldoutCombinations must be an integer in [0, ${combos.length - 1}], got ${o.heldoutCombinations}`);
    }
    this.options = o;
    // Pick the unseen combinations with the seed, keeping every colour, shape and motion in training.
    const rng = new Rng(hashSeed(o.seed, 1));
    const unseen = new Set<number>();
    const seenCount = (pred: (a: ClipAttributes) => boolean) => combos.filter((a, i) => !unseen.has(i) && pred(a)).length;
    let guard = 0;
    while (unseen.size < o.heldoutCombinations && guard++ < 10_000) {
      const i = rng.int(combos.length);
      if (unseen.has(i)) continue;
      const a = combos[i];
      unseen.add(i);
      // Each attribute value must stay in at least 4 training combinations.
      if (seenCount((b) => b.color === a.color) < 4 || seenCount((b) => b.shape === a.shape) < 4 || seenCount((b) => b.motion === a.motion) < 4)
        unseen.delete(i);
    }
    this.unseenCombinations = [...unseen].sort((x, y) => x - y).map((i) => attributeKey(combos[i]));
    const make = (a: ClipAttributes, ci: number, variant: number, split: 'train' | 'heldout'): EmbeddedClip => {
      const nuisance = hashSeed(o.seed, split === 'train' ? 2 : 3, ci, variant);
      const r = renderClip(a, nuisance, o);
      return {
        id: `${split}-${attributeKey(a)}-${variant}`,
        split,
        attributes: a,
        video: r.video,
        videoShape: [o.frames, o.height, o.width, 3],
        audio: r.audio,
        captions: captionsFor(a, o.numCandidates, new Rng(hashSeed(nuisance, 4))),
        unseenCombination: unseen.has(ci),
      };
    };
    const train: EmbeddedClip[] = [];
    combos.forEach((a, ci) => {
      if (unseen.has(ci)) return;
      for (let v = 0; v < o.trainVariants; v++) train.push(make(a, ci, v, 'train'));
    });
    this.train = train;
    this.heldout = combos.map((a, ci) => make(a, ci, 0, 'heldout'));
  }
}
