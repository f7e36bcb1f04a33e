#!/usr/bin/env python3
"""Golden references for the core layers of @vatt/transformer (run with /usr/bin/python3; torch 1.13).

Writes packages/transformer/test/golden/core_{layer,stack,t5,misc}.json. Every reference is computed in
float64 from float32-representable inputs and weights, so the TypeScript float32 result is compared with
the exact answer.

* core_layer.json: torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0, activation='gelu',
  layer_norm_eps=1e-6, batch_first=True, norm_first=True) in eval mode (VATT's pre-LN block,
  docs/numerics.md §2.5), with and without src_key_padding_mask. Its weights are written under OUR names
  (in_proj_weight split into q/k/v, every kernel transposed to [in, out]), so the test loads them by name.
  Grad mode stays on: torch's eval fast path (and the nested-tensor path of TransformerEncoder) would
  zero the padded positions; the regular path computes them, so every position is compared.
* core_stack.json: torch.nn.TransformerEncoder(layer, 2, norm=LayerNorm(32, eps=1e-6)) — our
  TransformerEncoder with its final LayerNorm.
* core_t5.json: an independent T5 encoder reference written from the published formulas (docs/numerics.md §2.3,
  2.6): RMSNorm before unscaled, bias-free attention; the relative position bias of layer 0 (with the
  padding mask added) reused by every layer; full LayerNorm before the exact-GELU MLP; final RMSNorm. The
  bucket table follows T5's bidirectional `_relative_position_bucket` evaluated in float32 like TF, and a
  bucket list for relative positions -300..300 is written too.
* core_misc.json: exact GELU and its derivative on a grid; LayerNorm and RMSNorm on random input; Keras
  BatchNormalization (momentum 0.9, eps 1e-5, biased variance for both the normalisation and the moving
  variance) in training and, after the moving-statistics update, in inference.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'packages', 'transformer', 'test', 'golden')

D, H, DKV, DFF, N, B = 32, 4, 8, 64, 7, 2
EPS = 1e-6
MASK = [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]]  # 1 = valid token

gen = torch.Generator().manual_seed(1234)


def f32(t):
  """Rounds to float32 and returns float64 (the exact value the TypeScript side reads)."""
  return t.to(torch.float32).to(torch.float64)


def randn(*shape, std=1.0):
  return f32(torch.randn(*shape, generator=gen, dtype=torch.float64) * std)


def enc(t):
  """A tensor as {shape, data}; data are float32 values in their shortest decimal form."""
  a = t.detach().to(torch.float64).numpy()
  return {'shape': list(a.shape), 'data': [float(repr(np.float32(v))) for v in a.reshape(-1)]}


def write(name, obj):
  path = os.path.join(OUT, name)
  with open(path, 'w') as fh:
    json.dump(obj, fh, separators=(',', ':'))
  print(f'{path}: {os.path.getsize(path)} bytes')


def randomize(module):
  """Float32-representable random weights everywhere (LayerNorm gains near 1, small biases)."""
  with torch.no_grad():
    for name, p in module.named_parameters():
      if name.endswith('norm1.weight') or name.endswith('norm2.weight') or name == 'norm.weight':
        p.copy_(f32(1 + 0.2 * torch.randn(p.shape, generator=gen, dtype=torch.float64)))
      elif p.dim() == 1:
        p.copy_(randn(*p.shape, std=0.1))
      else:
        p.copy_(randn(*p.shape, std=1 / math.sqrt(p.shape[1])))


def layer_weights(layer):
  """torch TransformerEncoderLayer -> our names (docs/numerics.md §10.2), kernels [in, out]."""
  w, b = layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias
  out = {}
  for i, n in enumerate('qkv'):
    out[f'mha/{n}/kernel'] = w[i * D:(i + 1) * D].t()
    out[f'mha/{n}/bias'] = b[i * D:(i + 1) * D]
  out['mha/o/kernel'] = layer.self_attn.out_proj.weight.t()
  out['mha/o/bias'] = layer.self_attn.out_proj.bias
  out['layer_norm/gamma'] = layer.norm1.weight
  out['layer_norm/beta'] = layer.norm1.bias
  out['feed_forward/layer_norm/gamma'] = layer.norm2.weight
  out['feed_forward/layer_norm/beta'] = layer.norm2.bias
  out['feed_forward/mlp/wi/kernel'] = layer.linear1.weight.t()
  out['feed_forward/mlp/wi/bias'] = layer.linear1.bias
  out['feed_forward/mlp/wo/kernel'] = layer.linear2.weight.t()
  out['feed_forward/mlp/wo/bias'] = layer.linear2.bias
  return out


def torch_layer():
  layer = torch.nn.TransformerEncoderLayer(D, H, DFF, dropout=0.0, activation='gelu', layer_norm_eps=EPS,
                                           batch_first=True, norm_first=True).double()
  randomize(layer)
  return layer.eval()


def pre_ln_goldens():
  x = randn(B, N, D)
  pad = torch.tensor(MASK) == 0  # torch: True = padding
  config = {'dModel': D, 'numHeads': H, 'dKv': DKV, 'dFF': DFF, 'lnEps': EPS}

  layer = torch_layer()
  write('core_layer.json', {
      'config': config,
      'mask': MASK,
      'x': enc(x),
      'weights': {k: enc(v) for k, v in layer_weights(layer).items()},
      'output': enc(layer(x)),
      'outputMasked': enc(layer(x, src_key_padding_mask=pad)),
  })

  stack = torch.nn.TransformerEncoder(torch_layer(), 2, norm=torch.nn.LayerNorm(D, eps=EPS),
                                      enable_nested_tensor=False).double()
  randomize(stack)
  stack.eval()
  weights = {}
  for i, l in enumerate(stack.layers):
    weights.update({f'layers/{i}/{k}': v for k, v in layer_weights(l).items()})
  weights['final_layer_norm/gamma'] = stack.norm.weight
  weights['final_layer_norm/beta'] = stack.norm.bias
  write('core_stack.json', {
      'config': {**config, 'numLayers': 2},
      'mask': MASK,
      'x': enc(x),
      'weights': {k: enc(v) for k, v in weights.items()},
      'output': enc(stack(x)),
      'outputMasked': enc(stack(x, src_key_padding_mask=pad)),
  })


def t5_bucket(relative_position, num_buckets=32, max_distance=64):
  """T5's bidirectional _relative_position_bucket, float32 log then truncation like TensorFlow."""
  n = -np.asarray(relative_position, dtype=np.int64)
  num_buckets //= 2
  ret = (n < 0).astype(np.int64) * num_buckets
  n = np.abs(n)
  max_exact = num_buckets // 2
  with np.errstate(divide='ignore'):
    scaled = (np.log(n.astype(np.float32) / np.float32(max_exact)) / np.float32(np.log(max_distance / max_exact))
              * np.float32(num_buckets - max_exact))
  large = max_exact + np.where(n < max_exact, 0, scaled).astype(np.int64)
  large = np.minimum(large, num_buckets - 1)
  return ret + np.where(n < max_exact, n, large)


def t5_goldens():
  layers = 2
  x = randn(B, N, D)
  mask = torch.tensor(MASK, dtype=torch.float64)
  w = {}
  for i in range(layers):
    p = f'layers/{i}'
    w[f'{p}/self_attention/layer_norm/weight'] = f32(1 + 0.2 * torch.randn(D, generator=gen, dtype=torch.float64))
    for n in 'qkv':
      w[f'{p}/self_attention/attention/{n}/kernel'] = randn(D, H * DKV, std=1 / math.sqrt(D))
    w[f'{p}/self_attention/attention/o/kernel'] = randn(H * DKV, D, std=1 / math.sqrt(H * DKV))
    w[f'{p}/feed_forward/layer_norm/gamma'] = f32(1 + 0.2 * torch.randn(D, generator=gen, dtype=torch.float64))
    w[f'{p}/feed_forward/layer_norm/beta'] = randn(D, std=0.1)
    w[f'{p}/feed_forward/mlp/wi/kernel'] = randn(D, DFF, std=1 / math.sqrt(D))
    w[f'{p}/feed_forward/mlp/wo/kernel'] = randn(DFF, D, std=1 / math.sqrt(DFF))
  w['layers/0/self_attention/attention/relative_attention_bias/embeddings'] = randn(32, H, std=1.0)
  w['final_layer_norm/weight'] = f32(1 + 0.2 * torch.randn(D, generator=gen, dtype=torch.float64))

  def rms_norm(h, weight):
    return h * torch.rsqrt((h * h).mean(-1, keepdim=True) + EPS) * weight

  def layer_norm(h, gamma, beta):
    mu = h.mean(-1, keepdim=True)
    var = ((h - mu) ** 2).mean(-1, keepdim=True)
    return (h - mu) / torch.sqrt(var + EPS) * gamma + beta

  def heads(t):  # [B, N, H*dkv] -> [B, H, N, dkv]
    return t.reshape(B, N, H, DKV).permute(0, 2, 1, 3)

  def run(use_mask):
    pos = np.arange(N)
    buckets = torch.tensor(t5_bucket(pos[None, :] - pos[:, None]))  # [q, k], relative = k - q
    table = w['layers/0/self_attention/attention/relative_attention_bias/embeddings']
    bias = table[buckets].permute(2, 0, 1)[None]  # [1, H, N, N], computed once in layer 0
    if use_mask:
      bias = bias + (1 - mask)[:, None, None, :] * -1e9
    h = x
    for i in range(layers):
      p = f'layers/{i}'
      a = rms_norm(h, w[f'{p}/self_attention/layer_norm/weight'])
      q, k, v = (heads(a @ w[f'{p}/self_attention/attention/{n}/kernel']) for n in 'qkv')
      scores = q @ k.transpose(-1, -2) + bias  # T5: no 1/sqrt(d_kv)
      ctx = torch.softmax(scores, -1) @ v
      h = h + ctx.permute(0, 2, 1, 3).reshape(B, N, H * DKV) @ w[f'{p}/self_attention/attention/o/kernel']
      f = layer_norm(h, w[f'{p}/feed_forward/layer_norm/gamma'], w[f'{p}/feed_forward/layer_norm/beta'])
      f = F.gelu(f @ w[f'{p}/feed_forward/mlp/wi/kernel'])  # exact erf GELU
      h = h + f @ w[f'{p}/feed_forward/mlp/wo/kernel']
    return rms_norm(h, w['final_layer_norm/weight'])

  rel = np.arange(-300, 301)
  write('core_t5.json', {
      'config': {'numLayers': layers, 'dModel': D, 'numHeads': H, 'dKv': DKV, 'dFF': DFF,
                 'numBuckets': 32, 'maxDistance': 64},
      'mask': MASK,
      'x': enc(x),
      'weights': {k: enc(v) for k, v in w.items()},
      'output': enc(run(False)),
      'outputMasked': enc(run(True)),
      'buckets': {'relativePosition': rel.tolist(), 'bucket': t5_bucket(rel).tolist()},
  })


def misc_goldens():
  grid = f32(torch.linspace(-6, 6, 97, dtype=torch.float64))
  g = grid.clone().requires_grad_(True)
  y = F.gelu(g)
  (dy,) = torch.autograd.grad(y.sum(), g)

  x = randn(3, 5, 8)
  gamma, beta = f32(1 + 0.2 * torch.randn(8, generator=gen, dtype=torch.float64)), randn(8, std=0.1)
  ln = F.layer_norm(x, (8,), gamma, beta, eps=EPS)
  rms = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + EPS) * gamma

  # Keras BatchNormalization: batch statistics over every axis but the last, biased variance.
  xb = randn(6, 4) * 2 + 1
  bn_gamma, bn_beta = f32(1 + 0.2 * torch.randn(4, generator=gen, dtype=torch.float64)), randn(4, std=0.1)
  moving_mean, moving_var = randn(4, std=0.5), f32(1 + torch.rand(4, generator=gen, dtype=torch.float64))
  m, eps = 0.9, 1e-5
  mean = xb.mean(0)
  var = ((xb - mean) ** 2).mean(0)
  train_out = (xb - mean) / torch.sqrt(var + eps) * bn_gamma + bn_beta
  new_mean = m * moving_mean + (1 - m) * mean
  new_var = m * moving_var + (1 - m) * var
  eval_out = (xb - new_mean) / torch.sqrt(new_var + eps) * bn_gamma + bn_beta
  write('core_misc.json', {
      'gelu': {'x': enc(grid), 'y': enc(y), 'dydx': enc(dy)},
      'norms': {'x': enc(x), 'gamma': enc(gamma), 'beta': enc(beta), 'layerNorm': enc(ln), 'rmsNorm': enc(rms)},
      'batchNorm': {
          'momentum': m, 'eps': eps, 'x': enc(xb), 'gamma': enc(bn_gamma), 'beta': enc(bn_beta),
          'movingMean': enc(moving_mean), 'movingVariance': enc(moving_var), 'trainOutput': enc(train_out),
          'updatedMovingMean': enc(new_mean), 'updatedMovingVariance': enc(new_var), 'evalOutput': enc(eval_out),
      },
  })


if __name__ == '__main__':
  os.makedirs(OUT, exist_ok=True)
  torch.set_num_threads(2)
  pre_ln_goldens()
  t5_goldens()
  misc_goldens()
