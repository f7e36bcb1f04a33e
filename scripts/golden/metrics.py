#!/usr/bin/python3
"""Golden values for packages/vatt/src/eval/metrics.ts (docs/numerics.md §8.2.

scikit-learn (Debian python3-sklearn) average_precision_score / roc_auc_score per class, scipy
norm.ppf for d-prime in both forms (mean over classes of sqrt(2)*ppf(AUC_c), the official VATT one,
and sqrt(2)*ppf(mean AUC), the baselines'), numpy top-k. Classes without positives are skipped
(sklearn warns / raises for them); classes without negatives are skipped for AUC only.

Run: /usr/bin/python3 scripts/golden/metrics.py
"""
import json
import os

import numpy as np
from scipy.stats import norm
from sklearn.metrics import average_precision_score, roc_auc_score

OUT = os.path.join(os.path.dirname(__file__), '../../packages/vatt/test/golden/metrics.json')


def multilabel_case(name, scores, targets):
    n, c = scores.shape
    ap, auc = [], []
    for k in range(c):
        y, s = targets[:, k], scores[:, k]
        ap.append(float(average_precision_score(y, s)) if y.sum() > 0 else None)
        auc.append(float(roc_auc_score(y, s)) if 0 < y.sum() < n else None)
    ap_ok = [a for a in ap if a is not None]
    auc_ok = [a for a in auc if a is not None]
    mean_auc = float(np.mean(auc_ok))
    return {
        'name': name,
        'numExamples': n,
        'numClasses': c,
        'scores': scores.ravel().tolist(),
        'targets': targets.ravel().astype(int).tolist(),
        'ap': ap,
        'auc': auc,
        'mAP': float(np.mean(ap_ok)),
        'meanAuc': mean_auc,
        'dPrime': float(np.mean([np.sqrt(2.0) * norm.ppf(a) for a in auc_ok])),
        'dPrimeOfMeanAuc': float(np.sqrt(2.0) * norm.ppf(mean_auc)),
        'skippedClasses': [k for k in range(c) if ap[k] is None],
        'skippedAucClasses': [k for k in range(c) if auc[k] is None],
    }


def topk_case(name, scores, labels):
    n, c = scores.shape
    true = scores[np.arange(n), labels]
    # rank = number of OTHER classes scoring >= the true class (ties count against the prediction)
    rank = (scores >= true[:, None]).sum(axis=1) - 1
    return {
        'name': name,
        'numClasses': c,
        'scores': scores.ravel().tolist(),
        'labels': labels.tolist(),
        'top1': float(np.mean(rank < 1)),
        'top5': float(np.mean(rank < min(5, c))),
    }


def main():
    rng = np.random.default_rng(5)
    # float32-representable scores so float32 and float64 callers see the same numbers
    f32 = lambda a: a.astype(np.float32).astype(np.float64)

    n, c = 60, 7
    targets = (rng.random((n, c)) < 0.3).astype(int)
    targets[:, 3] = 0  # a class without positives
    targets[:, 5] = 1  # a class without negatives (AP defined, AUC not)
    scores = f32(rng.normal(size=(n, c)) + 1.2 * targets)
    cases = [multilabel_case('random', scores, targets)]

    # tie-heavy: scores quantised to a few levels
    n, c = 50, 6
    targets = (rng.random((n, c)) < 0.4).astype(int)
    targets[:, 0] = 0
    scores = np.round(rng.random((n, c)) * 3 + 0.8 * targets) / 2
    cases.append(multilabel_case('ties', scores, targets))

    # all scores equal in a class: AUC 0.5, AP = prevalence
    n, c = 20, 3
    targets = (rng.random((n, c)) < 0.5).astype(int)
    targets[0, :] = 1
    targets[1, :] = 0
    scores = f32(rng.normal(size=(n, c)))
    scores[:, 1] = 0.25
    cases.append(multilabel_case('constant-column', scores, targets))

    topk = []
    n, c = 40, 10
    topk.append(topk_case('random', f32(rng.normal(size=(n, c))), rng.integers(0, c, n)))
    topk.append(topk_case('ties', np.round(rng.random((n, c)) * 2), rng.integers(0, c, n)))
    topk.append(topk_case('three-classes', f32(rng.normal(size=(n, 3))), rng.integers(0, 3, n)))

    ps = [1e-12, 1e-6, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.6, 0.9, 0.97, 0.99, 0.999999, 1 - 1e-10]
    ppf = {'p': ps, 'ppf': [float(norm.ppf(p)) for p in ps]}

    with open(OUT, 'w') as f:
        json.dump({'multilabel': cases, 'topk': topk, 'ppf': ppf}, f)
    print('wrote', OUT, os.path.getsize(OUT), 'bytes')


if __name__ == '__main__':
    main()
