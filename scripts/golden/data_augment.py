"""Golden outputs for @vatt/data augmentation (run with /usr/bin/python3).

- crop + bilinear resize: torch.nn.functional.interpolate(mode='bilinear', align_corners=False),
  the half-pixel convention of TF2 tf.image.resize, applied to an integer crop of uint8 frames.
- colour adjustment in DMVR's order (brightness, saturation, contrast, hue, clip): HSV through
  Python's colorsys, contrast around the per-frame, per-channel mean (tf.image.adjust_contrast).
Writes packages/data/test/golden/augment.json.
"""
import colorsys
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(1234)
out = {}

# Bilinear crop + resize, frames [T, H, W, 3] uint8.
frames = rng.integers(0, 256, size=(2, 9, 13, 3), dtype=np.uint8)
cases = []
for top, left, h, w, oh, ow, flip in [(1, 2, 6, 8, 5, 7, False), (0, 0, 9, 13, 12, 20, False), (2, 3, 5, 5, 11, 9, True)]:
    crop = torch.tensor(frames[:, top:top + h, left:left + w, :], dtype=torch.float64).permute(0, 3, 1, 2)
    resized = F.interpolate(crop, size=(oh, ow), mode='bilinear', align_corners=False).permute(0, 2, 3, 1)
    if flip:
        resized = torch.flip(resized, dims=[2])
    cases.append({'box': {'top': top, 'left': left, 'height': h, 'width': w}, 'out': [oh, ow], 'flip': flip,
                  'expected': (resized / 255.0).flatten().tolist()})
out['cropResize'] = {'shape': list(frames.shape), 'frames': frames.flatten().tolist(), 'cases': cases}

# Colour adjustment on floats in [0.15, 0.85] (stays positive after brightness, where colorsys and TF agree).
video = rng.uniform(0.15, 0.85, size=(2, 4, 5, 3))
color_cases = []
for adj in [dict(brightness=0.1, saturation=1.3, contrast=0.7, hue=0.15),
            dict(brightness=-0.12, saturation=0.6, contrast=1.4, hue=-0.2),
            dict(brightness=0.0, saturation=1.0, contrast=1.0, hue=0.5)]:
    x = video + adj['brightness']
    sat = np.empty_like(x)
    for idx in np.ndindex(x.shape[:3]):
        h, s, v = colorsys.rgb_to_hsv(*x[idx])
        sat[idx] = colorsys.hsv_to_rgb(h, min(1.0, max(0.0, s * adj['saturation'])), v)
    mean = sat.mean(axis=(1, 2), keepdims=True)
    con = (sat - mean) * adj['contrast'] + mean
    res = np.empty_like(con)
    for idx in np.ndindex(con.shape[:3]):
        h, s, v = colorsys.rgb_to_hsv(*con[idx])
        res[idx] = colorsys.hsv_to_rgb((h + adj['hue']) % 1.0, s, v)
    color_cases.append({'adjustment': adj, 'expected': np.clip(res, 0, 1).flatten().tolist()})
out['adjustColors'] = {'shape': list(video.shape), 'frames': video.flatten().tolist(), 'cases': color_cases}

path = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'data', 'test', 'golden', 'augment.json')
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes')
