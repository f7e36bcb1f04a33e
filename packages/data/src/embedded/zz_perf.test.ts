import { Rng } from '../augment/random.js';
import { renderVideo } from './video.js';
import { synthesizeAudio } from './audio.js';
import { sampleNuisance, resolveEmbeddedFormat } from './scene.js';
test('perf', () => {
  let t0 = performance.now(); let s = 0;
  for (let i = 0; i < 1e7; i++) s += Math.sin(i);
  let t1 = performance.now();
  const r = new Rng(1); for (let i = 0; i < 1e7; i++) s += r.next();
  let t2 = performance.now();
  const f = resolveEmbeddedFormat(); const a = { shape: 'cross', color: 'red', motion: 'up' } as const;
  for (let i = 0; i < 50; i++) renderVideo(a, sampleNuisance(a, f, new Rng(i), 0.5), f, new Rng(i));
  let t3 = performance.now();
  for (let i = 0; i < 50; i++) synthesizeAudio(a, sampleNuisance(a, f, new Rng(i), 0.5), f, new Rng(i));
  let t4 = performance.now();
  console.log('sin', t1 - t0, 'rng', t2 - t1, 'video50', t3 - t2, 'audio50', t4 - t3, s);
});
