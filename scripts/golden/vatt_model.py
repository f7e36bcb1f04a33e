#!/usr/bin/env python3
"""Golden whole-model reference for `vatt` (run with /usr/bin/python3; Debian torch 1.13).

An independent PyTorch implementation of a micro modality-specific VATT, written from
docs/numerics.md (§1, §2, §4, §5, §6), not from the TypeScript sources:

* video (ViT-3D, spec 1.1, 2.1, 2.5): the official Conv3D `voxel_to_patch` (kernel == stride, valid) run
  as a real `conv3d` on the raw clip; tokens flattened t-major; factorised t/h/w tables summed, LayerNorm
  (eps 1e-6) of the SUM added to the tokens; [AGG] prepended; pre-LN blocks (scaled attention with biases,
  exact-GELU MLP); final LayerNorm; index 0.
* audio (WaT, spec 1.2, 2.2): Conv1D `wave_to_patch` as a real `conv1d` on the waveform, one 1-D table.
* text (T5, spec 1.3, 2.3, 2.6): word table, the 12-d (300-d in the real model) [AGG] vector prepended
  BEFORE the bias-free GELU `pre_proj`; RMSNorm before unscaled bias-free attention with the layer-0
  relative bias (bidirectional buckets, float32 log as TF) plus the padding mask (-1e9) reused by every
  layer; full LayerNorm before the bias-free GELU MLP; final RMSNorm; index 0.
* FAC head in the official code style (spec 5) with BatchNorm in inference mode on non-trivial moving
  statistics (eps 1e-5).
* loss (spec 6.2): L2-normalise, NCE video-audio and MIL-NCE video-text over K candidates, one denominator
  per clip concatenating local->all and all->local logits, tau 0.07, total = mean of the two terms; and a
  second MIL-NCE with a text mask (spec 6.2 step 6).

Everything is computed in float64 from float32-representable weights and inputs, so the TypeScript
float32 result is compared with the exact answer.

Writes packages/vatt/test/golden/vatt_model.json (config, names, shapes, text ids, outputs) and
vatt_model.bin (float32 little-endian: every weight under OUR parameter names, then the video and audio
patches), read by packages/vatt/test/golden-model.test.ts.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'packages', 'vatt', 'test', 'golden')

# ---------------------------------------------------------------------------------------------- config
# Micro sizes. Towers of different widths (and a text tower whose heads*dKv != dModel) so a wiring
# mistake between dimensions cannot cancel out; a non-cubic video grid so t/h/w order matters; captions of
# 12 tokens so relative distances reach the log-spaced buckets (n >= 8).
B, K = 3, 2
VIDEO = dict(numLayers=2, dModel=32, dFF=64, numHeads=4, dKv=8)
VIDEO_INPUT = dict(frames=4, height=16, width=24, patchSize=[2, 8, 8], buckets=[2, 2, 3], channels=3)
AUDIO = dict(numLayers=2, dModel=24, dFF=48, numHeads=3, dKv=8)
AUDIO_INPUT = dict(samples=512, patchSize=128, buckets=4)
TEXT = dict(numLayers=2, dModel=20, dFF=40, numHeads=4, dKv=6, numRelativeBuckets=32, maxRelativeDistance=64)
TEXT_INPUT = dict(vocabSize=40, embeddingDim=12, maxTokens=12)
HEAD = dict(dVa=24, dVt=16, style='code', bnEps=1e-5)
TEMPERATURE = 0.07
LN_EPS = 1e-6
MASK_VALUE = -1e9
TEXT_MASK = [1, 0, 1]  # clip 1 has no narration (AudioSet-like, all-zero ids) in the masked loss

rng = np.random.default_rng(20261127)


def f32(a):
    """float32-representable values (what the TypeScript model holds), kept as float64 for the maths."""
    return np.asarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- weights
weights = {}  # OUR parameter name -> float32 array


def put(name, arr):
    assert name not in weights, name
    weights[name] = f32(arr)


def dense(prefix, n_in, n_out, bias=True):
    put(f'{prefix}/kernel', rng.normal(0, 1 / math.sqrt(n_in), (n_in, n_out)))
    if bias:
        put(f'{prefix}/bias', rng.normal(0, 0.1, n_out))


def layer_norm(prefix, d):
    put(f'{prefix}/gamma', rng.uniform(0.7, 1.3, d))
    put(f'{prefix}/beta', rng.normal(0, 0.1, d))


def rms_norm(prefix, d):
    put(f'{prefix}/weight', rng.uniform(0.7, 1.3, d))


def batch_norm(prefix, d):
    put(f'{prefix}/gamma', rng.uniform(0.6, 1.4, d))
    put(f'{prefix}/beta', rng.normal(0, 0.2, d))
    put(f'{prefix}/moving_mean', rng.normal(0, 0.4, d))
    put(f'{prefix}/moving_variance', rng.uniform(0.5, 2.0, d))


def pre_ln_stack(prefix, size):
    d, inner, dff = size['dModel'], size['numHeads'] * size['dKv'], size['dFF']
    for i in range(size['numLayers']):
        p = f'{prefix}/tx/layers/{i}'
        layer_norm(f'{p}/layer_norm', d)
        for n in 'qkv':
            dense(f'{p}/mha/{n}', d, inner)
        dense(f'{p}/mha/o', inner, d)
        layer_norm(f'{p}/feed_forward/layer_norm', d)
        dense(f'{p}/feed_forward/mlp/wi', d, dff)
        dense(f'{p}/feed_forward/mlp/wo', dff, d)
    layer_norm(f'{prefix}/tx/final_layer_norm', d)


# video tower
dv = VIDEO['dModel']
pt, ph, pw = VIDEO_INPUT['patchSize']
patch_values = pt * ph * pw * 3
put('video/agg_embedding', rng.normal(0, 0.5, dv))
dense('video/voxel_to_patch', patch_values, dv)
for axis, n in zip(('temporal', 'vertical', 'horizontal'), VIDEO_INPUT['buckets']):
    put(f'video/pos_embedding_lookup/{axis}_position_embeddings/embeddings', rng.normal(0, 0.5, (n, dv)))
layer_norm('video/pos_embedding_lookup/layernorm', dv)
pre_ln_stack('video', VIDEO)

# audio tower
da = AUDIO['dModel']
put('audio/agg_embedding', rng.normal(0, 0.5, da))
dense('audio/wave_to_patch', AUDIO_INPUT['patchSize'], da)
put('audio/pos_embedding_lookup/temporal_position_embeddings/embeddings', rng.normal(0, 0.5, (AUDIO_INPUT['buckets'], da)))
layer_norm('audio/pos_embedding_lookup/layernorm', da)
pre_ln_stack('audio', AUDIO)

# text tower
dt, et = TEXT['dModel'], TEXT_INPUT['embeddingDim']
t_inner = TEXT['numHeads'] * TEXT['dKv']
put('text/agg_embedding', rng.normal(0, 0.5, et))
put('text/embedding/embeddings', rng.normal(0, 0.5, (TEXT_INPUT['vocabSize'], et)))
dense('text/pre_proj', et, dt, bias=False)
for i in range(TEXT['numLayers']):
    p = f'text/base_lm/layers/{i}'
    rms_norm(f'{p}/self_attention/layer_norm', dt)
    for n in 'qkv':
        dense(f'{p}/self_attention/attention/{n}', dt, t_inner, bias=False)
    dense(f'{p}/self_attention/attention/o', t_inner, dt, bias=False)
    if i == 0:
        put(f'{p}/self_attention/attention/relative_attention_bias/embeddings', rng.normal(0, 0.5, (TEXT['numRelativeBuckets'], TEXT['numHeads'])))
    layer_norm(f'{p}/feed_forward/layer_norm', dt)
    dense(f'{p}/feed_forward/mlp/wi', dt, TEXT['dFF'], bias=False)
    dense(f'{p}/feed_forward/mlp/wo', TEXT['dFF'], dt, bias=False)
rms_norm('text/base_lm/final_layer_norm', dt)

# FAC head (code style)
dva, dvt = HEAD['dVa'], HEAD['dVt']
dense('head/vid_to_hid', dv, dva, bias=False)
batch_norm('head/hid_to_va/pre_bn', dva)
dense('head/hid_to_va/dense', dva, dva, bias=False)
batch_norm('head/hid_to_va/bn', dva)
dense('head/va_to_vat/dense', dva, dvt, bias=False)
batch_norm('head/va_to_vat/bn', dvt)
dense('head/aud_to_va', da, dva)
dense('head/txt_to_vat', dt, dvt)

W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in weights.items()}

# ---------------------------------------------------------------------------------------------- inputs
T, Hh, Ww = VIDEO_INPUT['frames'], VIDEO_INPUT['height'], VIDEO_INPUT['width']
video = f32(rng.uniform(-1, 1, (B, T, Hh, Ww, 3)))  # channels-last clip in [-1, 1] (spec 1.1)
waveform = f32(rng.normal(0, 0.3, (B, AUDIO_INPUT['samples'], 1)))
gt, gh, gw = T // pt, Hh // ph, Ww // pw
assert [gt, gh, gw] == VIDEO_INPUT['buckets']
# Tokenizer output: voxel patches in (t, h, w, c) order, tokens t-major (spec 1.1, 14).
video_patches = (video.reshape(B, gt, pt, gh, ph, gw, pw, 3)
                 .transpose(0, 1, 3, 5, 2, 4, 6, 7)
                 .reshape(B, gt * gh * gw, patch_values))
audio_patches = waveform.reshape(B, -1, AUDIO_INPUT['patchSize'])

L = TEXT_INPUT['maxTokens']
lengths = [12, 7, 0, 0, 3, 10]  # caption j*K + l; clip 1's two captions are empty (all padding)
text_ids = np.zeros((B * K, L), dtype=np.int64)
for r, n in enumerate(lengths):
    text_ids[r, :n] = rng.integers(1, TEXT_INPUT['vocabSize'], n)


# ---------------------------------------------------------------------------------------------- model
def ln(x, p):
    return F.layer_norm(x, (x.shape[-1],), W[f'{p}/gamma'], W[f'{p}/beta'], eps=LN_EPS)


def rms(x, p):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + LN_EPS) * W[f'{p}/weight']


def linear(x, p, bias=True):
    y = x @ W[f'{p}/kernel']
    return y + W[f'{p}/bias'] if bias else y


def attention(x, p, heads, dkv, bias, scale, additive):
    """Multi-head self-attention; `additive` [1|B, H, N, N] is added to the scores."""
    b, n, _ = x.shape

    def split(t):
        return t.reshape(b, n, heads, dkv).permute(0, 2, 1, 3)

    q, k, v = (split(linear(x, f'{p}/{m}', bias)) for m in 'qkv')
    scores = q @ k.transpose(-1, -2)
    if scale:
        scores = scores / math.sqrt(dkv)
    if additive is not None:
        scores = scores + additive
    ctx = torch.softmax(scores, -1) @ v
    return linear(ctx.permute(0, 2, 1, 3).reshape(b, n, heads * dkv), f'{p}/o', bias)


def pre_ln_encoder(x, prefix, size):
    for i in range(size['numLayers']):
        p = f'{prefix}/tx/layers/{i}'
        x = x + attention(ln(x, f'{p}/layer_norm'), f'{p}/mha', size['numHeads'], size['dKv'], True, True, None)
        h = ln(x, f'{p}/feed_forward/layer_norm')
        x = x + linear(F.gelu(linear(h, f'{p}/feed_forward/mlp/wi')), f'{p}/feed_forward/mlp/wo')
    return ln(x, f'{prefix}/tx/final_layer_norm')


def with_agg(tokens, agg):
    return torch.cat([agg.reshape(1, 1, -1).expand(tokens.shape[0], 1, -1), tokens], 1)


def video_tower(clip):
    x = torch.from_numpy(clip.astype(np.float64)).permute(0, 4, 1, 2, 3)  # [B, 3, T, H, W]
    kernel = W['video/voxel_to_patch/kernel'].reshape(pt, ph, pw, 3, dv).permute(4, 3, 0, 1, 2)
    tok = F.conv3d(x, kernel, W['video/voxel_to_patch/bias'], stride=(pt, ph, pw))  # [B, d, gt, gh, gw]
    tok = tok.permute(0, 2, 3, 4, 1).reshape(B, -1, dv)
    # The matMul form of the same projection on the tokenizer's patches (spec 1.1): must agree.
    via_patches = torch.from_numpy(video_patches.astype(np.float64)) @ W['video/voxel_to_patch/kernel'] + W['video/voxel_to_patch/bias']
    assert torch.allclose(tok, via_patches, atol=1e-10)
    pl = 'video/pos_embedding_lookup'
    e_t = W[f'{pl}/temporal_position_embeddings/embeddings']
    e_v = W[f'{pl}/vertical_position_embeddings/embeddings']
    e_h = W[f'{pl}/horizontal_position_embeddings/embeddings']
    pos = e_t[:, None, None, :] + e_v[None, :, None, :] + e_h[None, None, :, :]
    x = tok + ln(pos.reshape(-1, dv), f'{pl}/layernorm')
    x = with_agg(x, W['video/agg_embedding'])
    return pre_ln_encoder(x, 'video', VIDEO)[:, 0]


def audio_tower(wave):
    x = torch.from_numpy(wave.astype(np.float64)).permute(0, 2, 1)  # [B, 1, S]
    kernel = W['audio/wave_to_patch/kernel'].t().unsqueeze(1)  # [d, 1, 128]
    p = AUDIO_INPUT['patchSize']
    tok = F.conv1d(x, kernel, W['audio/wave_to_patch/bias'], stride=p).permute(0, 2, 1)
    pl = 'audio/pos_embedding_lookup'
    x = tok + ln(W[f'{pl}/temporal_position_embeddings/embeddings'], f'{pl}/layernorm')
    x = with_agg(x, W['audio/agg_embedding'])
    return pre_ln_encoder(x, 'audio', AUDIO)[:, 0]


def relative_bucket(rel, num_buckets, max_distance):
    """T5 `_relative_position_bucket`, bidirectional (rel = key - query), log in float32 as TF."""
    n = -rel
    half = num_buckets // 2
    ret = half if n < 0 else 0
    n = abs(n)
    max_exact = half // 2
    if n < max_exact:
        return ret + n
    v = np.float32(np.log(np.float32(n) / np.float32(max_exact))) / np.float32(np.log(np.float32(max_distance) / np.float32(max_exact)))
    large = max_exact + int(np.float32(v) * np.float32(half - max_exact))
    return ret + min(large, half - 1)


def text_tower(ids):
    idt = torch.from_numpy(ids)
    words = W['text/embedding/embeddings'][idt]  # [R, L, e]
    x = F.gelu(with_agg(words, W['text/agg_embedding']) @ W['text/pre_proj/kernel'])  # [R, 1+L, d]
    r, n, _ = x.shape
    valid = torch.cat([torch.ones(r, 1), (idt != 0).double()], 1)
    buckets = torch.tensor([[relative_bucket(k - q, TEXT['numRelativeBuckets'], TEXT['maxRelativeDistance']) for k in range(n)] for q in range(n)])
    table = W['text/base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings']
    bias = table[buckets].permute(2, 0, 1).unsqueeze(0) + ((1 - valid) * MASK_VALUE)[:, None, None, :]
    for i in range(TEXT['numLayers']):
        p = f'text/base_lm/layers/{i}'
        x = x + attention(rms(x, f'{p}/self_attention/layer_norm'), f'{p}/self_attention/attention', TEXT['numHeads'], TEXT['dKv'], False, False, bias)
        h = ln(x, f'{p}/feed_forward/layer_norm')
        x = x + F.gelu(h @ W[f'{p}/feed_forward/mlp/wi/kernel']) @ W[f'{p}/feed_forward/mlp/wo/kernel']
    return rms(x, 'text/base_lm/final_layer_norm')[:, 0], buckets


def bn_eval(x, p):
    return (x - W[f'{p}/moving_mean']) / torch.sqrt(W[f'{p}/moving_variance'] + HEAD['bnEps']) * W[f'{p}/gamma'] + W[f'{p}/beta']


def fac_head(v, a, t):
    hid = v @ W['head/vid_to_hid/kernel']
    v_va = bn_eval(torch.relu(bn_eval(hid, 'head/hid_to_va/pre_bn')) @ W['head/hid_to_va/dense/kernel'], 'head/hid_to_va/bn')
    v_vt = bn_eval(torch.relu(v_va) @ W['head/va_to_vat/dense/kernel'], 'head/va_to_vat/bn')
    a_va = linear(a, 'head/aud_to_va')
    t_vt = linear(t, 'head/txt_to_vat')
    return v_va, v_vt, a_va, t_vt


def contrastive(video, x, k, mask=None):
    """One term of spec 6.2 (single replica): NCE (k = 1) or MIL-NCE over k candidates per clip."""
    v = F.normalize(video, dim=-1)
    c = F.normalize(x, dim=-1)
    b = v.shape[0]
    local_to_all = (v @ c.t()) / TEMPERATURE  # [i, j*k + l] = v_i . x_{j,l}
    sims = local_to_all.reshape(b, b, k)
    all_to_local = sims.permute(1, 0, 2).reshape(b, b * k)  # [i, j*k + l] = v_j . x_{i,l}
    positives = torch.stack([sims[i, i] for i in range(b)])  # [b, k]
    if mask is not None:
        m = torch.tensor(mask, dtype=torch.float64)
        off = (1 - m) * MASK_VALUE
        local_to_all = local_to_all + off.repeat_interleave(k)[None, :]
        all_to_local = all_to_local + off[:, None]
    per_clip = torch.logsumexp(torch.cat([local_to_all, all_to_local], 1), 1) - torch.logsumexp(positives, 1)
    if mask is None:
        return per_clip.mean()
    per_clip = torch.nan_to_num(per_clip * m, nan=0.0)
    return per_clip.mean() * b / m.sum()


v_feat = video_tower(video)
a_feat = audio_tower(waveform)
t_feat, bucket_table = text_tower(text_ids)
v_va, v_vt, a_va, t_vt = fac_head(v_feat, a_feat, t_feat)
loss_va = contrastive(v_va, a_va, 1)
loss_vt = contrastive(v_vt, t_vt, K)
total = 0.5 * (loss_va + loss_vt)
loss_vt_masked = contrastive(v_vt, t_vt, K, TEXT_MASK)
total_masked = 0.5 * (loss_va + loss_vt_masked)
log_buckets = sorted({int(b) for b in bucket_table.reshape(-1) if 8 <= int(b) % 16})
assert 9 in log_buckets and 25 in log_buckets, 'captions must reach the log-spaced relative buckets'


# ---------------------------------------------------------------------------------------------- write
def tensor(t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return {'shape': list(a.shape), 'data': [float(v) for v in a.reshape(-1)]}


blobs, manifest, offset = [], {}, 0


def add_blob(table, name, arr):
    global offset
    arr = f32(arr)
    table[name] = {'shape': list(arr.shape), 'offset': offset}
    blobs.append(arr.reshape(-1))
    offset += arr.size


weight_table = {}
for name, arr in weights.items():
    add_blob(weight_table, name, arr)
input_table = {}
add_blob(input_table, 'videoPatches', video_patches)
add_blob(input_table, 'audioPatches', audio_patches)

golden = {
    'about': 'scripts/golden/vatt_model.py: independent PyTorch float64 reference of a micro VATT (eval mode); '
             'float32 tensors live in vatt_model.bin at the given offsets (in floats).',
    'config': {
        'video': {**VIDEO, 'input': VIDEO_INPUT},
        'audio': {**AUDIO, 'input': AUDIO_INPUT},
        'text': {**TEXT, 'input': TEXT_INPUT},
        'head': HEAD,
        'temperature': TEMPERATURE,
        'batch': B,
        'numCandidates': K,
    },
    'bin': 'vatt_model.bin',
    'weights': weight_table,
    'inputs': {
        **input_table,
        'videoGrid': VIDEO_INPUT['buckets'],
        'textIds': text_ids.tolist(),
        'textMask': TEXT_MASK,
    },
    'outputs': {
        'videoFeatures': tensor(v_feat),
        'audioFeatures': tensor(a_feat),
        'textFeatures': tensor(t_feat),
        'videoVa': tensor(v_va),
        'videoVt': tensor(v_vt),
        'audioVa': tensor(a_va),
        'textVt': tensor(t_vt),
        'loss': {'videoAudio': float(loss_va), 'videoText': float(loss_vt), 'total': float(total)},
        'lossTextMasked': {'videoAudio': float(loss_va), 'videoText': float(loss_vt_masked), 'total': float(total_masked)},
    },
}

os.makedirs(OUT, exist_ok=True)
np.concatenate(blobs).astype('<f4').tofile(os.path.join(OUT, 'vatt_model.bin'))
with open(os.path.join(OUT, 'vatt_model.json'), 'w') as fh:
    json.dump(golden, fh, separators=(',', ':'))
print(f'{len(weights)} weights, {offset} float32 values ({offset * 4} bytes); '
      f'loss va {float(loss_va):.6f} vt {float(loss_vt):.6f} total {float(total):.6f} '
      f'(text-masked vt {float(loss_vt_masked):.6f}); log-spaced relative buckets used {log_buckets}')
