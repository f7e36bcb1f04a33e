// The @vatt/data README example that runs with nothing downloaded: the embedded dataset.
//   node examples/scripts/data-embedded.mjs      (after npm run build)
import { EmbeddedDataset } from '@vatt/data';

const data = new EmbeddedDataset({ seed: 0 });
const clip = data.train[0];
console.log(data.train.length, 'training clips,', data.heldout.length, 'held-out clips,', data.vocab.length, 'words');
console.log(clip.id, clip.attributes, 'video', clip.videoShape, 'audio', clip.audio.length, 'samples');
console.log(clip.captions);
console.log('never trained on:', data.unseenCombinations.slice(0, 4).join(', '), '...');
