"""The PyTorch side of bench/onnx.mjs: forward passes (eval, no_grad) of the workloads it runs on
onnxruntime and tfjs, medians of several runs. Prints one JSON line per workload.

  encoder    the 6-layer 512-wide pre-LN encoder of bench/workload.mjs (8 heads, MLP 2048, exact GELU,
             LayerNorm eps 1e-6, final LayerNorm, dropout 0), batch 8 x 256 tokens
  bbs-video  the BBS video tower with its FAC head projections (ViT-Base 12 x 768, 12 heads, MLP 3072):
             patches [2, 1568, 3072] of 32x224x224 clips -> voxel_to_patch -> + LN(positions) (a constant in
             eval, as onnxruntime folds it) -> [AGG] -> 12 pre-LN layers -> final LN -> index 0 ->
             vid_to_hid -> BN -> ReLU -> Dense -> BN (S_va) -> ReLU -> Dense -> BN (S_vt)

Run with Debian's torch:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_onnx_workloads.py
"""
import argparse
import json
import resource
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--workloads", default="encoder,bbs-video")
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)


def encoder_stack(d, layers, heads, ff):
    layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", layer_norm_eps=1e-6, batch_first=True, norm_first=True)
    return torch.nn.Sequential(torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False), torch.nn.LayerNorm(d, eps=1e-6))


class VideoTower(torch.nn.Module):
    def __init__(self, tokens=1568, patch=3072, d=768, layers=12, heads=12, ff=3072, d_va=512, d_vt=256):
        super().__init__()
        self.proj = torch.nn.Linear(patch, d)
        self.pos = torch.nn.Parameter(torch.randn(1, tokens, d) * d**-0.5)
        self.agg = torch.nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.tx = encoder_stack(d, layers, heads, ff)
        bn = lambda n: torch.nn.BatchNorm1d(n, eps=1e-5)
        self.hid_to_va = torch.nn.Sequential(torch.nn.Linear(d, d_va, bias=False), bn(d_va), torch.nn.ReLU(), torch.nn.Linear(d_va, d_va, bias=False), bn(d_va))
        self.va_to_vt = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(d_va, d_vt, bias=False), bn(d_vt))

    def forward(self, patches):
        x = self.proj(patches) + self.pos
        x = torch.cat([self.agg.expand(x.shape[0], 1, x.shape[2]), x], dim=1)
        pooled = self.tx(x)[:, 0]
        va = self.hid_to_va(pooled)
        return pooled, va, self.va_to_vt(va)


WORKLOADS = {
    "encoder": lambda: (encoder_stack(512, 6, 8, 2048), torch.randn(8, 256, 512), "pre-LN encoder 6x512, batch 8 x 256 tokens"),
    "bbs-video": lambda: (VideoTower(), torch.rand(2, 1568, 3072) * 2 - 1, "BBS video tower + FAC head, batch 2 x 32x224x224 (1568 patches)"),
}

blas = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l]
for name in a.workloads.split(","):
    model, x, description = WORKLOADS[name]()
    model.eval()

    def forward():
        with torch.no_grad():
            model(x)

    forward()  # warm-up
    seconds = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        forward()
        seconds.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "workload": name,
                "engine": f"PyTorch {torch.__version__}",
                "threads": torch.get_num_threads(),
                "description": description,
                "medianSeconds": statistics.median(seconds),
                "seconds": seconds,
                "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "blas": blas,
            }
        ),
        flush=True,
    )
