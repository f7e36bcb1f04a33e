// Real H.264 + AAC clips for the shard, loader and training tests (testing/media-clips.mjs, shared with the
// benches), and samples over them as a manifest would give.
import type { Sample } from '@vatt/data';

export { makeClips } from './media-clips.mjs';

/** Samples over `paths` with plain or timed captions and string labels, as a manifest would give. */
export function clipSamples(paths: string[]): Sample[] {
  return paths.map((video, i) => ({
    id: `clip${i}`,
    video,
    captions: i % 2 === 0 ? [`a test pattern number ${i}`, `clip ${i} beeps`] : [{ text: `pattern ${i} moves`, start: 0.2, end: 1.1 }],
    label: i % 3 === 0 ? 'beep' : 'tone',
    split: 'train',
  }));
}
