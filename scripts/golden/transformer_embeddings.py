#!/usr/bin/env python3
"""Golden references for @vatt/transformer embeddings (run with /usr/bin/python3: numpy, scipy, torch).

Writes packages/transformer/test/golden/emb_spline.json, emb_positions.json and emb_patch.json.

* Spline: the official code resamples positional tables with tfa.image.interpolate_spline(order=3)
  (docs/numerics.md §2.1: source bucket i at i/N, target j at j/M, phi(r) = r^3 with a linear term and
  no regularisation. tensorflow_addons is not installed here, so the script (1) writes tfa's algorithm out
  directly in float64 numpy (tfa's phi for odd order: max(r^2, 1e-10)^(order/2); solve
  [[A, B], [B^T, 0]] [w; v] = [f; 0]; evaluate phi(|q - x|) w + [q, 1] v) and (2) checks that
  scipy.interpolate.RBFInterpolator(kernel='cubic', degree=1) gives the same numbers (asserted below,
  max abs diff < 1e-7). The JSON holds scipy's answer.
* Positions: factorised spatio-temporal embedding x + LayerNorm(E_t[i] + E_v[j] + E_h[k]) (eps 1e-6), with
  every table spline-resampled when the grid differs from the table size; 1-D temporal version too.
* Patch: torch conv3d with the official Keras kernel layout [t, h, w, 3, d] (kernel == stride, valid) on a
  channels-last video, flattened t-major; the TS side patchifies in (t, h, w, c) order and multiplies
  by the kernel reshaped to [t*h*w*3, d].
"""
import json
import os

import numpy as np
import torch
from scipy.interpolate import RBFInterpolator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'packages', 'transformer', 'test', 'golden')
RNG = np.random.default_rng(20211)


def f32(a):
  """float32-representable values (the TS side reads them as float32)."""
  return np.asarray(a, dtype=np.float32).astype(np.float64)


def tfa_spline(train_x, train_f, query_x, order=3):
  """tfa.image.interpolate_spline for 1-D points, zero regularisation, written from its algorithm."""
  eps = 1e-10

  def phi(r2):
    return np.power(np.maximum(r2, eps), 0.5 * order)

  n = train_x.shape[0]
  a = phi((train_x[:, None] - train_x[None, :]) ** 2)
  b = np.stack([train_x, np.ones(n)], axis=1)
  lhs = np.block([[a, b], [b.T, np.zeros((2, 2))]])
  rhs = np.concatenate([train_f, np.zeros((2, train_f.shape[1]))], axis=0)
  sol = np.linalg.solve(lhs, rhs)
  w, v = sol[:n], sol[n:]
  qa = phi((query_x[:, None] - train_x[None, :]) ** 2)
  qb = np.stack([query_x, np.ones(query_x.shape[0])], axis=1)
  return qa @ w + qb @ v


def spline_resample(table, m):
  n = table.shape[0]
  x = np.arange(n) / n
  q = np.arange(m) / m
  ours = RBFInterpolator(x[:, None], table, kernel='cubic', degree=1, smoothing=0.0)(q[:, None])
  ref = tfa_spline(x, table, q)
  assert np.max(np.abs(ours - ref)) < 1e-7, f'scipy vs tfa algorithm differ for {n}->{m}: {np.max(np.abs(ours - ref))}'
  return ours


def layer_norm(x, gamma, beta, eps=1e-6):
  mu = x.mean(-1, keepdims=True)
  var = ((x - mu) ** 2).mean(-1, keepdims=True)
  return (x - mu) / np.sqrt(var + eps) * gamma + beta


def spline_cases():
  cases = []
  for n, m, d in [(14, 20, 6), (8, 4, 5), (8, 16, 3), (16, 9, 4), (2, 5, 3), (120, 150, 2)]:
    table = f32(RNG.standard_normal((n, d)) * d ** -0.5)
    out = spline_resample(table, m)
    cases.append({'from': n, 'to': m, 'table': table.tolist(), 'expected': out.tolist()})
  return {'cases': cases}


def positions_cases():
  d = 8
  tables = {'t': 4, 'h': 3, 'w': 3}
  tab = {k: f32(RNG.standard_normal((n, d)) * d ** -0.5) for k, n in tables.items()}
  gamma = f32(1 + 0.1 * RNG.standard_normal(d))
  beta = f32(0.1 * RNG.standard_normal(d))
  cases = []
  for grid in [(4, 3, 3), (2, 5, 4)]:
    t, h, w = grid
    et = tab['t'] if t == tables['t'] else spline_resample(tab['t'], t)
    eh = tab['h'] if h == tables['h'] else spline_resample(tab['h'], h)
    ew = tab['w'] if w == tables['w'] else spline_resample(tab['w'], w)
    pos = et[:, None, None, :] + eh[None, :, None, :] + ew[None, None, :, :]
    pos = layer_norm(pos.reshape(t * h * w, d), gamma, beta)
    x = f32(RNG.standard_normal((2, t * h * w, d)))
    cases.append({'grid': list(grid), 'x': x.tolist(), 'expected': (x + pos[None]).tolist()})
  spatio = {'dim': d, 'buckets': [tables['t'], tables['h'], tables['w']], 'temporal': tab['t'].tolist(),
            'vertical': tab['h'].tolist(), 'horizontal': tab['w'].tolist(), 'gamma': gamma.tolist(),
            'beta': beta.tolist(), 'cases': cases}

  temporal_table = f32(RNG.standard_normal((6, d)) * d ** -0.5)
  tcases = []
  for n in [6, 10]:
    e = temporal_table if n == 6 else spline_resample(temporal_table, n)
    x = f32(RNG.standard_normal((2, n, d)))
    tcases.append({'tokens': n, 'x': x.tolist(), 'expected': (x + layer_norm(e, gamma, beta)[None]).tolist()})
  temporal = {'dim': d, 'buckets': 6, 'table': temporal_table.tolist(), 'gamma': gamma.tolist(),
              'beta': beta.tolist(), 'cases': tcases}
  return {'spatioTemporal': spatio, 'temporal': temporal}


def patch_case():
  b, T, H, W, d = 2, 4, 8, 12, 5
  t, h, w = 2, 4, 4
  video = f32(RNG.uniform(-1, 1, (b, T, H, W, 3)))
  kernel = f32(RNG.standard_normal((t, h, w, 3, d)) * 0.1)
  bias = f32(0.1 * RNG.standard_normal(d))
  # torch conv3d wants [N, C, T, H, W] and weights [out, in, t, h, w].
  xv = torch.from_numpy(video).permute(0, 4, 1, 2, 3)
  wt = torch.from_numpy(kernel).permute(4, 3, 0, 1, 2)
  y = torch.nn.functional.conv3d(xv, wt, torch.from_numpy(bias), stride=(t, h, w))
  y = y.permute(0, 2, 3, 4, 1).reshape(b, -1, d).numpy()
  return {'video': video.tolist(), 'patch': [t, h, w], 'kernel': kernel.tolist(), 'bias': bias.tolist(),
          'expected': y.tolist()}


def main():
  os.makedirs(OUT_DIR, exist_ok=True)
  for name, data in [('emb_spline', spline_cases()), ('emb_positions', positions_cases()), ('emb_patch', patch_case())]:
    path = os.path.join(OUT_DIR, f'{name}.json')
    with open(path, 'w') as fh:
      json.dump(data, fh, separators=(',', ':'))
    print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
  main()
