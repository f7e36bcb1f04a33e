/** Classification metrics against scikit-learn / scipy golden values (scripts/golden/metrics.py). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { averagePrecision, classificationMetrics, multiLabelMetrics, normalQuantile, rocAuc, topKAccuracy } from '../src/eval/metrics.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = JSON.parse(readFileSync(path.join(here, 'golden/metrics.json'), 'utf8')) as {
  multilabel: Array<{
    name: string;
    numExamples: number;
    numClasses: number;
    scores: number[];
    targets: number[];
    ap: (number | null)[];
    auc: (number | null)[];
    mAP: number;
    meanAuc: number;
    dPrime: number;
    dPrimeOfMeanAuc: number;
    skippedClasses: number[];
    skippedAucClasses: number[];
  }>;
  topk: Array<{ name: string; numClasses: number; scores: number[]; labels: number[]; top1: number; top5: number }>;
  ppf: { p: number[]; ppf: number[] };
};
const TOL = 1e-6;

describe('classification metrics match scikit-learn and scipy', () => {
  test.each(golden.multilabel.map((c) => [c.name, c] as const))('mAP, AUC and both d-primes match sklearn on the %s case', (_name, c) => {
    const m = multiLabelMetrics(c.scores, c.targets, c.numExamples, c.numClasses);
    expect(Math.abs(m.mAP - c.mAP)).toBeLessThan(TOL);
    expect(Math.abs(m.meanAuc - c.meanAuc)).toBeLessThan(TOL);
    expect(Math.abs(m.dPrime - c.dPrime)).toBeLessThan(TOL);
    expect(Math.abs(m.dPrimeOfMeanAuc - c.dPrimeOfMeanAuc)).toBeLessThan(TOL);
    c.ap.forEach((a, k) => (a === null ? expect(m.ap[k]).toBeNaN() : expect(Math.abs(m.ap[k] - a)).toBeLessThan(TOL)));
    c.auc.forEach((a, k) => (a === null ? expect(m.auc[k]).toBeNaN() : expect(Math.abs(m.auc[k] - a)).toBeLessThan(TOL)));
    expect(m.skippedClasses).toEqual(c.skippedClasses);
    expect(m.skippedAucClasses).toEqual(c.skippedAucClasses);
  });

  test('the tie-heavy and random golden cases include a class without positives, which is skipped', () => {
    expect(golden.multilabel.filter((c) => c.skippedClasses.length > 0).length).toBeGreaterThanOrEqual(2);
  });

  test.each(golden.topk.map((c) => [c.name, c] as const))('top-1 and top-5 match numpy on the %s case (ties count against)', (_name, c) => {
    expect(topKAccuracy(c.scores, c.labels, c.numClasses, 1)).toBeCloseTo(c.top1, 12);
    const m = classificationMetrics(c.scores, c.labels, c.numClasses);
    expect(m.top5).toBeCloseTo(c.top5, 12);
    expect(m.chance.top1).toBeCloseTo(1 / c.numClasses, 12);
  });

  test('the normal quantile matches scipy norm.ppf across the range', () => {
    golden.ppf.p.forEach((p, i) => expect(Math.abs(normalQuantile(p) - golden.ppf.ppf[i])).toBeLessThan(1e-9 * Math.max(1, Math.abs(golden.ppf.ppf[i]))));
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(() => normalQuantile(1.5)).toThrow(/p must be in \[0, 1\]/);
  });

  test('perfect and reversed rankings give AP 1 / AUC 1 and AUC 0; a class without positives has no AP', () => {
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.9], [1, 1, 0])).toBe(0);
    expect(averagePrecision([0.1, 0.2], [0, 0])).toBeNaN();
    expect(() => multiLabelMetrics([1, 2, 3], [0, 1, 0], 2, 2)).toThrow(/scores has 3 values, expected numExamples x numClasses = 2x2/);
  });
});
