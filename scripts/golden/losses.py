#!/usr/bin/env python3
"""Golden references for @vatt/losses (run with /usr/bin/python3; torch 1.13).

Writes packages/losses/test/golden/losses.json. Every loss is written straight from its published formula
in float64 torch (independently of the TypeScript structure), and torch autograd gives the gradients with
respect to the raw (un-normalised) embeddings.

* symmetric InfoNCE (CLIP style): mean of F.cross_entropy(a->b) and F.cross_entropy(b->a).
* NCE / MIL-NCE in the form of the official VATT `AsymmetricNCE` (docs/numerics.md §6.2: for clip i,
  numerator = logsumexp_l v_i.x_{i,l}/tau; denominator = logsumexp over the concatenation of
  [v_i.x_{j,l}/tau for all j,l] and [v_j.x_{i,l}/tau for all j,l]; loss_i = den - num; masks as in 6.2.
  The video mask is this package's extension, the mirror image of the text mask (see README).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
LARGE_NUM = 1e9
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'packages', 'losses', 'test', 'golden', 'losses.json')


def l2_normalize(x):
  # tf.math.l2_normalize: x * rsqrt(max(sum(x^2), 1e-12))
  return x * torch.rsqrt(torch.clamp((x * x).sum(-1, keepdim=True), min=1e-12))


def embeddings(seed, rows, dim):
  """float32-representable random embeddings (the TS side reads them as float32)."""
  g = torch.Generator().manual_seed(seed)
  return torch.randn(rows, dim, generator=g, dtype=torch.float32).to(torch.float64)


def mil_nce_reference(video, text, k, tau, video_mask=None, text_mask=None):
  """Per-clip loss written out clip by clip; returns (per_sample [B] unscaled and masked, mean)."""
  b = video.shape[0]
  v = l2_normalize(video)
  x = l2_normalize(text).reshape(b, k, -1)  # x[j, l] = row j*K + l
  vm = torch.ones(b) if video_mask is None else torch.tensor(video_mask, dtype=torch.float64)
  tm = torch.ones(b) if text_mask is None else torch.tensor(text_mask, dtype=torch.float64)
  per_sample = []
  for i in range(b):
    positives = torch.stack([v[i] @ x[i, l] / tau for l in range(k)])
    video_to_all = []  # local video i vs every clip's candidates
    all_to_local = []  # every video vs local clip i's candidates
    for j in range(b):
      for l in range(k):
        video_to_all.append(v[i] @ x[j, l] / tau - (1 - tm[j]) * LARGE_NUM - (1 - vm[i]) * LARGE_NUM)
        all_to_local.append(v[j] @ x[i, l] / tau - (1 - tm[i]) * LARGE_NUM - (1 - vm[j]) * LARGE_NUM)
    denominator = torch.stack(video_to_all + all_to_local)
    loss_i = torch.logsumexp(denominator, 0) - torch.logsumexp(positives, 0)
    per_sample.append(loss_i * vm[i] * tm[i])
  per_sample = torch.stack(per_sample)
  valid = (vm * tm).sum()
  scale = b / valid if valid > 0 else torch.tensor(0.0)
  return per_sample, (per_sample * scale).mean()


def symmetric_info_nce_reference(a, b, tau):
  logits = l2_normalize(a) @ l2_normalize(b).T / tau
  labels = torch.arange(a.shape[0])
  return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


def flat(t):
  return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_entry(t):
  return {'shape': list(t.shape), 'data': flat(t)}


def mil_nce_case(name, seed, b, k, d, tau, video_mask=None, text_mask=None):
  video = embeddings(seed, b, d).requires_grad_(True)
  text = embeddings(seed + 1, b * k, d).requires_grad_(True)
  per_sample, loss = mil_nce_reference(video, text, k, tau, video_mask, text_mask)
  grad_video, grad_text = torch.autograd.grad(loss, [video, text])
  return {
      'name': name, 'B': b, 'K': k, 'D': d, 'temperature': tau,
      'videoMask': video_mask, 'textMask': text_mask,
      'video': tensor_entry(video), 'text': tensor_entry(text),
      'loss': float(loss), 'perSample': flat(per_sample),
      'gradVideo': tensor_entry(grad_video), 'gradText': tensor_entry(grad_text),
  }


def symmetric_case(name, seed, b, d, tau):
  a = embeddings(seed, b, d).requires_grad_(True)
  c = embeddings(seed + 1, b, d).requires_grad_(True)
  loss = symmetric_info_nce_reference(a, c, tau)
  grad_a, grad_b = torch.autograd.grad(loss, [a, c])
  return {
      'name': name, 'B': b, 'D': d, 'temperature': tau,
      'a': tensor_entry(a), 'b': tensor_entry(c), 'loss': float(loss),
      'gradA': tensor_entry(grad_a), 'gradB': tensor_entry(grad_b),
  }


def pretrain_case(seed, b, k, d_va, d_vt, tau, text_mask, w_va, w_vt):
  video_va = embeddings(seed, b, d_va).requires_grad_(True)
  audio = embeddings(seed + 1, b, d_va).requires_grad_(True)
  video_vt = embeddings(seed + 2, b, d_vt).requires_grad_(True)
  text = embeddings(seed + 3, b * k, d_vt).requires_grad_(True)
  _, l_va = mil_nce_reference(video_va, audio, 1, tau)
  _, l_vt = mil_nce_reference(video_vt, text, k, tau, None, text_mask)
  code_total = (w_vt * l_vt + w_va * l_va) / (w_vt + w_va)  # objectives.py AsymmetricNCE.__call__
  paper_total = w_va * l_va + w_vt * l_vt  # paper section 3.4: NCE + lambda * MIL-NCE
  grads = torch.autograd.grad(code_total, [video_va, audio, video_vt, text])
  return {
      'B': b, 'K': k, 'temperature': tau, 'textMask': text_mask, 'weights': {'va': w_va, 'vt': w_vt},
      'video_va': tensor_entry(video_va), 'audio': tensor_entry(audio),
      'video_vt': tensor_entry(video_vt), 'text': tensor_entry(text),
      'videoAudio': float(l_va), 'videoText': float(l_vt),
      'codeTotal': float(code_total), 'paperTotal': float(paper_total),
      'gradCode': {n: tensor_entry(g) for n, g in zip(['video_va', 'audio', 'video_vt', 'text'], grads)},
  }


def main():
  b, k, d, tau = 6, 5, 16, 0.07
  golden = {
      'milNce': [
          mil_nce_case('no masks', 10, b, k, d, tau),
          mil_nce_case('text mask with two clips off', 20, b, k, d, tau, text_mask=[1, 0, 1, 1, 0, 1]),
          mil_nce_case('video and text masks', 30, b, k, d, tau,
                       video_mask=[1, 1, 0, 1, 1, 1], text_mask=[1, 0, 1, 1, 1, 1]),
          mil_nce_case('temperature 0.2', 40, b, k, d, 0.2),
      ],
      'nce': [
          mil_nce_case('no masks', 50, b, 1, d, tau),
          mil_nce_case('audio mask with one clip off', 60, b, 1, d, tau, text_mask=[1, 1, 1, 0, 1, 1]),
      ],
      'symmetricInfoNce': [
          symmetric_case('temperature 0.07', 70, b, d, tau),
          symmetric_case('temperature 1', 80, b, d, 1.0),
      ],
      'vattPretrainLoss': pretrain_case(90, b, k, d, 8, tau, [1, 1, 0, 1, 1, 1], 1.0, 0.5),
  }
  os.makedirs(os.path.dirname(OUT), exist_ok=True)
  with open(OUT, 'w') as f:
    json.dump(golden, f)
  print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')
  for group in ('milNce', 'nce', 'symmetricInfoNce'):
    for case in golden[group]:
      print(f"{group:18s} {case['name']:30s} loss={case['loss']:.6f}")
  p = golden['vattPretrainLoss']
  print(f"vattPretrainLoss   va={p['videoAudio']:.6f} vt={p['videoText']:.6f} code={p['codeTotal']:.6f} paper={p['paperTotal']:.6f}")


if __name__ == '__main__':
  main()
