/**
 * Classification metrics of the VATT downstream protocols (docs/numerics.md §8.1, §8.2).
 *
 * - `topKAccuracy`: single-label top-1 / top-5 (Kinetics, UCF101, HMDB51, ESC-50, ImageNet).
 * - `averagePrecision`, `rocAuc`: one class, with scikit-learn's semantics (`average_precision_score`,
 *   `roc_auc_score`), ties included: thresholds are the distinct scores, AP = sum over thresholds of
 *   (R_k - R_{k-1}) * P_k, AUC = trapezoid over the ROC points of the distinct thresholds.
 * - `multiLabelMetrics`: AudioSet's mAP, mean AUC and d-prime in BOTH forms, side by side:
 *   `dPrime` = mean over classes of sqrt(2) * PhiInverse(AUC_c) (the official `compute_map_auc_dprime`,
 *   what the paper's VATT rows report) and `dPrimeOfMeanAuc` = sqrt(2) * PhiInverse(mean AUC) (what the
 *   CNN baselines of paper Table 2 report). They are not comparable (docs/numerics.md §8.2, 11.7).
 *
 * Classes without a positive example have no AP and no AUC (scikit-learn warns / raises for them); they
 * are SKIPPED from every mean and listed in `skippedClasses`. A class whose examples are all positive has
 * an AP (1) but no AUC: it is kept for mAP and skipped for AUC / d-prime (`skippedAucClasses`).
 *
 * @example
 * const m = multiLabelMetrics(scores, labels, numExamples, numClasses);
 * console.log(m.mAP, m.meanAuc, m.dPrime, m.dPrimeOfMeanAuc);
 */

/** Sorted order of one class's scores (descending) and the distinct-threshold ROC / PR points. */
interface ThresholdCurve {
  /** Cumulative true positives at each distinct threshold (descending score). */
  tps: number[];
  /** Cumulative false positives at each distinct threshold. */
  fps: number[];
}

function thresholdCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): ThresholdCurve {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`metrics: ${n} scores but ${positive.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`metrics: score ${i} is NaN`);
  order.sort((a, b) => scores[b] - scores[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (positive[i]) tp++;
    else fp++;
    // A threshold closes where the next score differs (equal scores form one ROC / PR point).
    if (k === n - 1 || scores[order[k + 1]] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { tps, fps };
}

/**
 * Average precision of one class (scikit-learn `average_precision_score` for a binary target):
 * sum over distinct thresholds of (recall_k - recall_{k-1}) * precision_k. NaN when there is no positive.
 */
export function averagePrecision(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const { tps, fps } = thresholdCurve(scores, positive);
  const total = tps.length ? tps[tps.length - 1] : 0;
  if (total === 0) return NaN;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k] / total;
    ap += (recall - prevRecall) * (tps[k] / (tps[k] + fps[k]));
    prevRecall = recall;
  }
  return ap;
}

/**
 * Area under the ROC curve of one class (scikit-learn `roc_auc_score`): trapezoid over (0,0) and the
 * (FPR, TPR) points of the distinct thresholds, so tied scores count one half. NaN without positives
 * or without negatives.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const { tps, fps } = thresholdCurve(scores, positive);
  const p = tps.length ? tps[tps.length - 1] : 0;
  const q = fps.length ? fps[fps.length - 1] : 0;
  if (p === 0 || q === 0) return NaN;
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const x = fps[k] / q;
    const y = tps[k] / p;
    area += ((x - x0) * (y + y0)) / 2;
    x0 = x;
    y0 = y;
  }
  return area;
}

/* eslint-disable no-loss-of-precision -- AS 241's published coefficients keep more digits than a double holds */
/**
 * The standard normal quantile Phi^-1(p) (scipy `norm.ppf`), Wichura's algorithm AS 241 (PPND16,
 * relative error about 1e-16). p = 0 -> -Infinity, p = 1 -> +Infinity.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`normalQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}
/* eslint-enable no-loss-of-precision */

/** d' of one AUC: sqrt(2) * Phi^-1(auc). */
export function dPrimeOfAuc(auc: number): number {
  return Math.SQRT2 * normalQuantile(auc);
}

function checkMatrix(scores: ArrayLike<number>, n: number, c: number, what: string): void {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(c) && c >= 1))
    throw new Error(`${what}: numExamples and numClasses must be positive integers, got ${n} and ${c}`);
  if (scores.length !== n * c) throw new Error(`${what}: scores has ${scores.length} values, expected numExamples x numClasses = ${n}x${c}`);
}

/**
 * Top-k accuracy of single-label predictions: `scores` row-major [n, C], `labels[i]` in 0..C-1. A
 * prediction is correct when fewer than k OTHER classes score at least as high as the true one (ties
 * count against it, so constant scores never look better than chance).
 */
export function topKAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, k: number): number {
  const n = labels.length;
  checkMatrix(scores, n, numClasses, 'topKAccuracy');
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`topKAccuracy: k must be a positive integer, got ${k}`);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < numClasses)) throw new Error(`topKAccuracy: labels[${i}] = ${y} is outside 0..${numClasses - 1}`);
    const s = scores[i * numClasses + y];
    let rank = 0;
    for (let j = 0; j < numClasses; j++) if (j !== y && !(scores[i * numClasses + j] < s)) rank++;
    if (rank < k) hits++;
  }
  return hits / n;
}

export interface ClassificationMetrics {
  top1: number;
  top5: number;
  numExamples: number;
  numClasses: number;
  /** 1 / C and min(5, C) / C. */
  chance: { top1: number; top5: number };
}

/** Top-1 and top-5 accuracy with their chance levels. */
export function classificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  return {
    top1: topKAccuracy(scores, labels, numClasses, 1),
    top5: topKAccuracy(scores, labels, numClasses, Math.min(5, numClasses)),
    numExamples: labels.length,
    numClasses,
    chance: { top1: 1 / numClasses, top5: Math.min(5, numClasses) / numClasses },
  };
}

export interface MultiLabelMetrics {
  /** Mean over classes with a positive of the per-class average precision. */
  mAP: number;
  /** Mean over classes with positives and negatives of the per-class ROC-AUC. */
  meanAuc: number;
  /** Official VATT d-prime: mean over classes of sqrt(2) * PhiInverse(AUC_c). */
  dPrime: number;
  /** Baselines' d-prime: sqrt(2) * PhiInverse(mean AUC). */
  dPrimeOfMeanAuc: number;
  /** Per-class AP (NaN where skipped). */
  ap: number[];
  /** Per-class AUC (NaN where skipped). */
  auc: number[];
  /** Classes without a positive example: skipped from every mean. */
  skippedClasses: number[];
  /** Classes skipped from the AUC and d-prime means (no positive or no negative). */
  skippedAucClasses: number[];
}

/**
 * AudioSet-style metrics of multi-label scores (row-major [n, C]) against 0/1 targets ([n, C]).
 * Scores may be logits or probabilities (only their order matters).
 */
export function multiLabelMetrics(scores: ArrayLike<number>, targets: ArrayLike<number>, numExamples: number, numClasses: number): MultiLabelMetrics {
  checkMatrix(scores, numExamples, numClasses, 'multiLabelMetrics');
  if (targets.length !== scores.length) throw new Error(`multiLabelMetrics: targets has ${targets.length} values, expected ${scores.length}`);
  const ap: number[] = [];
  const auc: number[] = [];
  const col = (m: ArrayLike<number>, c: number) => Float64Array.from({ length: numExamples }, (_, i) => m[i * numClasses + c]);
  for (let c = 0; c < numClasses; c++) {
    const s = col(scores, c);
    const y = col(targets, c).map((v) => (v > 0 ? 1 : 0));
    ap.push(averagePrecision(s, y));
    auc.push(rocAuc(s, y));
  }
  const mean = (xs: number[]) => {
    const ok = xs.filter((x) => !Number.isNaN(x));
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
  };
  const meanAuc = mean(auc);
  return {
    mAP: mean(ap),
    meanAuc,
    dPrime: mean(auc.map((a) => (Number.isNaN(a) ? NaN : dPrimeOfAuc(a)))),
    dPrimeOfMeanAuc: Number.isNaN(meanAuc) ? NaN : dPrimeOfAuc(meanAuc),
    ap,
    auc,
    skippedClasses: ap.flatMap((a, c) => (Number.isNaN(a) ? [c] : [])),
    skippedAucClasses: auc.flatMap((a, c) => (Number.isNaN(a) ? [c] : [])),
  };
}
