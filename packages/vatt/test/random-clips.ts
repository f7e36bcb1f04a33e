import { Rng } from '@vatt/tokenizers';
import type { Clip, ClipDataset } from '../src/data/clips.js';
import type { PreprocessingConfig, VattConfig } from '../src/config/index.js';

export const TEST_VOCAB = ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'red', 'blue', 'green', 'circle', 'square', 'moving', 'left', 'right', 'up', 'down'];

/** Deterministic random clips of the preprocessing size (for tests that need data but no meaning). */
export function randomClips(pre: PreprocessingConfig, n: number, seed = 1): ClipDataset & { clips: Clip[] } {
  const rng = new Rng(seed);
  const rnd = () => rng.next();
  const { frames, height, width } = pre.video;
  const clips: Clip[] = Array.from({ length: n }, (_, i) => {
    const video = new Uint8Array(frames * height * width * 3);
    for (let j = 0; j < video.length; j++) video[j] = Math.floor(rnd() * 256);
    const audio = new Float32Array(pre.audio.samples);
    for (let j = 0; j < audio.length; j++) audio[j] = rnd() * 2 - 1;
    const w = (k: number) => TEST_VOCAB[4 + ((i * 7 + k * 3) % (TEST_VOCAB.length - 4))];
    return { id: `clip${i}`, video, audio, captions: [`${w(0)} ${w(1)} ${w(2)}`, `${w(3)} ${w(4)}`, `${w(5)}`] };
  });
  return { size: n, clip: (i) => clips[i], clips };
}

/**
 * `cfg` without dropout and DropToken: chunk-by-chunk (or shard-by-shard) passes draw their random
 * masks for their own shapes, so only a deterministic forward pass can match the full batch number for number.
 */
export function withoutRandomness(cfg: VattConfig): VattConfig {
  return {
    ...cfg,
    video: { ...cfg.video, dropout: 0, attnDropout: 0, dropTokenKeepRate: null },
    audio: { ...cfg.audio, dropout: 0, attnDropout: 0, dropTokenKeepRate: null },
    text: { ...cfg.text, dropout: 0 },
  };
}
