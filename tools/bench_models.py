#!/usr/bin/env python3
# bench_models.py — exports the paper-scale models `make bench` times (torchvision ResNet-50, MobileNetV2,
# EfficientNet-B0 at 224x224, and one transformer encoder block) as ONNX opset 13 with a free batch dim, plus
# traced TorchScript for diffs. Weights are torchvision's initialisation (seeded): timing needs no training.
# Usage: bench_models.py OUTDIR [NAME...]   (files already present are kept)
import os
import sys

import torch
import torchvision


class Block(torch.nn.Module):
    """A pre-norm transformer encoder block: attention (4 heads) and a GELU MLP, batch-first [B, T, 256]."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(256, 768)
        self.proj = torch.nn.Linear(256, 256)
        self.n1 = torch.nn.LayerNorm(256)
        self.n2 = torch.nn.LayerNorm(256)
        self.f1 = torch.nn.Linear(256, 1024)
        self.f2 = torch.nn.Linear(1024, 256)
        self.act = torch.nn.GELU()

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.n1(x)).reshape(b, t, 3, 4, 64).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-2, -1) * 0.125, dim=-1) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.f2(self.act(self.f1(self.n2(x))))


MODELS = {
    "resnet50": (torchvision.models.resnet50, (1, 3, 224, 224)),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, (1, 3, 224, 224)),
    "efficientnet_b0": (torchvision.models.efficientnet_b0, (1, 3, 224, 224)),
    "transformer_block": (Block, (1, 128, 256)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for name in sys.argv[2:] or list(MODELS):
        onnx_path, pt_path = os.path.join(out, name + ".onnx"), os.path.join(out, name + ".pt")
        if os.path.exists(onnx_path) and os.path.exists(pt_path):
            continue
        torch.manual_seed(0)
        make, shape = MODELS[name]
        model = make().eval()
        x = torch.rand(*shape)
        with torch.no_grad():
            torch.jit.trace(model, x).save(pt_path)
            torch.onnx.export(model, x, onnx_path, opset_version=13, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        print("bench: exported", onnx_path, flush=True)


if __name__ == "__main__":
    main()
