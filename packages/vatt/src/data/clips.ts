/** What training and evaluation read: clips with synchronised frames, waveform and captions. */
export interface Clip {
  id: string;
  /** RGB frames [T, H, W, 3] at the preprocessing size: uint8 0-255, or float in [0, 1] (decoded media). */
  video: Uint8Array | Float32Array;
  /** Mono waveform at the preprocessing sample rate. */
  audio: Float32Array;
  /** The clip's captions: the first is its description, the rest narration-style candidates (MIL-NCE). */
  captions: string[];
  /** A class label when the source has one. */
  label?: string;
}

export interface ClipDataset {
  readonly size: number;
  clip(index: number): Clip;
}

/**
 * The K caption candidates of each clip, flattened clip by clip (row j*K + l = candidate l of clip j):
 * a clip with fewer captions repeats them; one without any gets empty (all-padding) captions.
 */
export function candidateCaptions(perClip: ReadonlyArray<readonly string[]>, k: number): string[] {
  const out: string[] = [];
  for (const c of perClip) for (let l = 0; l < k; l++) out.push(c.length ? c[l % c.length] : '');
  return out;
}
