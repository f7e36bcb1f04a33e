import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';

/** A tensor as written by scripts/golden/losses.py. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

export interface GoldenMilNceCase {
  name: string;
  B: number;
  K: number;
  D: number;
  temperature: number;
  videoMask: number[] | null;
  textMask: number[] | null;
  video: GoldenTensor;
  text: GoldenTensor;
  loss: number;
  perSample: number[];
  gradVideo: GoldenTensor;
  gradText: GoldenTensor;
}

export interface GoldenSymmetricCase {
  name: string;
  temperature: number;
  a: GoldenTensor;
  b: GoldenTensor;
  loss: number;
  gradA: GoldenTensor;
  gradB: GoldenTensor;
}

export interface GoldenPretrainCase {
  K: number;
  temperature: number;
  textMask: number[];
  weights: { va: number; vt: number };
  video_va: GoldenTensor;
  audio: GoldenTensor;
  video_vt: GoldenTensor;
  text: GoldenTensor;
  videoAudio: number;
  videoText: number;
  codeTotal: number;
  paperTotal: number;
  gradCode: Record<'video_va' | 'audio' | 'video_vt' | 'text', GoldenTensor>;
}

export interface Golden {
  milNce: GoldenMilNceCase[];
  nce: GoldenMilNceCase[];
  symmetricInfoNce: GoldenSymmetricCase[];
  vattPretrainLoss: GoldenPretrainCase;
}

export const golden: Golden = JSON.parse(readFileSync(new URL('./golden/losses.json', import.meta.url), 'utf8'));

export function toTensor(t: GoldenTensor): tf.Tensor2D {
  return tf.tensor2d(t.data, t.shape as [number, number], 'float32');
}
