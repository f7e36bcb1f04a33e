// VATT's pre-training loss on random embeddings (run: npm run build -w @vatt/losses && npm run example -w @vatt/losses).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { milNce, milNcePerSample, nce, symmetricInfoNce, vattPretrainLossTerms } from '@vatt/losses';

await tf.setBackend('cpu');
const B = 4; // clips
const K = 5; // narrations per clip (docs/numerics.md §6.3)
const videoVa = tf.randomNormal([B, 512], 0, 1, 'float32', 1); // video in the video-audio space
const audio = tf.randomNormal([B, 512], 0, 1, 'float32', 2);
const videoVt = tf.randomNormal([B, 256], 0, 1, 'float32', 3); // video in the video-text space
const text = tf.randomNormal([B * K, 256], 0, 1, 'float32', 4); // row j*K + l = narration l of clip j
const textMask = [1, 1, 0, 1]; // clip 2 has no narration (an AudioSet clip): video-audio NCE only

const show = (name, t) => console.log(name.padEnd(36), Array.from(t.dataSync(), (x) => x.toFixed(4)).join(', '));

show('nce(videoVa, audio)', nce(videoVa, audio));
show('milNce(videoVt, text, K, mask)', milNce(videoVt, text, { numCandidates: K, textMask }));
show('milNcePerSample(...)', milNcePerSample(videoVt, text, { numCandidates: K, textMask }));
show('symmetricInfoNce(videoVa, audio)', symmetricInfoNce(videoVa, audio));
const code = vattPretrainLossTerms({ videoVa, audioVa: audio, videoVt, textVt: text, numCandidates: K, textMask });
const paper = vattPretrainLossTerms({ videoVa, audioVa: audio, videoVt, textVt: text, numCandidates: K, textMask, paperWeighting: true });
show('total, code: (L_va + L_vt) / 2', code.total);
show('total, paper: L_va + L_vt', paper.total);
show('aligned: nce(videoVa, videoVa)', nce(videoVa, videoVa));
