"""The issue-6 encoder workload in PyTorch, for the ratio in bench/run.mjs.

6-layer 512-wide pre-LN Transformer encoder (8 heads, MLP 2048, exact GELU, LayerNorm eps 1e-6,
final LayerNorm, dropout 0), batch 8 x 256 tokens: forward (eval, no_grad) and one training step
(forward + backward + Adam), medians of several runs. Prints one JSON line.

Run with Debian's torch:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_encoder.py
"""
import argparse
import json
import resource
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--tokens", type=int, default=256)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
d, layers, heads, ff = 512, 6, 8, 2048
layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", layer_norm_eps=1e-6, batch_first=True, norm_first=True)
model = torch.nn.Sequential(torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False), torch.nn.LayerNorm(d, eps=1e-6))
x = torch.randn(a.batch, a.tokens, d)


def timed(fn):
    fn()
    out = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def forward():
    with torch.no_grad():
        model(x)


model.eval()
fwd = timed(forward)
rss_fwd = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)


def step():
    opt.zero_grad()
    loss = model(x).square().mean()
    loss.backward()
    opt.step()


train = timed(step)
blas = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l]
print(json.dumps({
    "engine": f"PyTorch {torch.__version__}",
    "threads": torch.get_num_threads(),
    "blas": blas,
    "forward": {"medianSeconds": statistics.median(fwd), "seconds": fwd, "peakRssMiB": round(rss_fwd, 1)},
    "train": {"medianSeconds": statistics.median(train), "seconds": train, "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
}))
