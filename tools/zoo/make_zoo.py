#!/usr/bin/python3
# make_zoo.py — writes the zoo of real-size models the diff is judged on: torchvision 0.14 architectures with
# seeded trained-like weights, traced .pt + ONNX opset 13/17 + input/reference .npy, and planted faults (faults.tsv).
#
# usage: make_zoo.py OUTDIR [MODEL...]     (Debian python3-torch 1.13, python3-torchvision 0.14, python3-onnx)
# Layout: OUTDIR/<model>/{model.pt,model13.onnx,model17.onnx,input.npy,ref.npy}, OUTDIR/models.tsv,
# OUTDIR/faults/<id>.onnx and OUTDIR/faults.tsv (id, model, A layer, expected cause, what was planted).
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torchvision.models as tvm
from torchvision.models.vision_transformer import VisionTransformer

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
SEED = 1234


class TextRNN(nn.Module):
    """An LSTM followed by a GRU over token embeddings, classifying from the last step."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(200, 24)
        self.lstm = nn.LSTM(24, 32, batch_first=True)
        self.gru = nn.GRU(32, 32, batch_first=True)
        self.fc = nn.Linear(32, 10)
        # explicit initial states, as deployment code passes them (and the trace then holds no device queries)
        self.register_buffer("h0", torch.zeros(1, 1, 32))
        self.register_buffer("c0", torch.zeros(1, 1, 32))

    def forward(self, x):
        h, _ = self.lstm(self.embed(x), (self.h0, self.c0))
        h, _ = self.gru(h, self.h0)
        return self.fc(h[:, -1])


class SegOut(nn.Module):
    """DeepLabV3 returns a dict; this keeps its 'out' tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


class SmallViT(VisionTransformer):
    """torchvision's ViT at a small size. For batch 1 the class token is concatenated as stored, not expanded:
    the trace then needs no aten::expand (not yet read by convscope's TorchScript reader)."""

    def forward(self, x):
        x = self._process_input(x)
        x = torch.cat([self.class_token, x], dim=1)
        x = self.encoder(x)
        return self.heads(x[:, 0])


def small_vit():
    return SmallViT(image_size=64, patch_size=16, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128,
                    num_classes=100)


# name -> (constructor, input shape); inputs stay small so the whole suite runs in minutes on 2 cores.
MODELS = {
    "resnet18": (lambda: tvm.resnet18(num_classes=100), (1, 3, 64, 64)),
    "resnet50": (lambda: tvm.resnet50(), (1, 3, 64, 64)),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(num_classes=100), (1, 3, 64, 64)),
    "mobilenet_v3_small": (lambda: tvm.mobilenet_v3_small(num_classes=100), (1, 3, 64, 64)),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(num_classes=100), (1, 3, 64, 64)),
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(num_classes=100), (1, 3, 64, 64)),
    "shufflenet_v2": (lambda: tvm.shufflenet_v2_x0_5(num_classes=100), (1, 3, 64, 64)),
    "densenet121": (lambda: tvm.densenet121(num_classes=100), (1, 3, 64, 64)),
    "googlenet": (lambda: tvm.googlenet(num_classes=100, aux_logits=False, init_weights=True), (1, 3, 64, 64)),
    "inception_v3": (lambda: tvm.inception_v3(num_classes=100, aux_logits=False, init_weights=True), (1, 3, 80, 80)),
    "convnext_tiny": (lambda: tvm.convnext_tiny(num_classes=100), (1, 3, 64, 64)),
    "regnet_y_400mf": (lambda: tvm.regnet_y_400mf(num_classes=100), (1, 3, 64, 64)),
    "vit_small": (small_vit, (1, 3, 64, 64)),
    "text_rnn": (TextRNN, (1, 12)),
    "deeplabv3_mobilenet": (lambda: SegOut(tvm.segmentation.deeplabv3_mobilenet_v3_large(
        num_classes=6, weights_backbone=None, aux_loss=False)), (1, 3, 64, 64)),
}


def rerandomise(model, gen):
    """Seeded trained-like weights: parameters left constant by the initialiser (zero biases, unit BN/LN
    scales, zero heads, ConvNeXt's 1e-6 layer scales) get random values, so no branch is silent."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.numel() > 1 and float(p.std()) > 1e-4 and "layer_scale" not in name:
                continue
            shape = p.shape
            if "layer_scale" in name:
                p.copy_(torch.rand(shape, generator=gen) * 0.4 + 0.3)
            elif name.endswith("weight") and p.dim() == 1:  # norm scale
                p.copy_(torch.rand(shape, generator=gen) + 0.5)
            elif name.endswith("weight"):  # a zero-initialised head
                fan_in = p[0].numel()
                p.copy_(torch.randn(shape, generator=gen) / fan_in ** 0.5)
            else:  # biases, class tokens, position embeddings
                p.copy_((torch.rand(shape, generator=gen) - 0.5) * 0.2)


def calibrate_bn(model, shape, gen):
    """BatchNorm statistics of a few random batches (cumulative averages), then eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn((4,) + tuple(shape[1:]), generator=gen))


def make_input(name, shape, gen):
    if name == "text_rnn":
        return torch.randint(0, 200, shape, generator=gen)
    return torch.randn(shape, generator=gen)


def export(model, x, path, opset):
    torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["input"], output_names=["output"],
                      do_constant_folding=True)


def build_model(outdir, name):
    ctor, shape = MODELS[name]
    gen = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    model = ctor()
    rerandomise(model, gen)
    calibrate_bn(model, shape, gen)
    model.eval()
    x = make_input(name, shape, gen)
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    # Gradients stay enabled while tracing and exporting: under no_grad, nn.MultiheadAttention takes a fused
    # fast path (aten::_native_multi_head_attention) that neither TorchScript readers nor ONNX export know.
    ref = model(x).detach()
    traced = torch.jit.trace(model, x, check_trace=False)
    traced.save(os.path.join(d, "model.pt"))
    np.save(os.path.join(d, "input.npy"), x.numpy())
    np.save(os.path.join(d, "ref.npy"), ref.numpy())
    export(model, x, os.path.join(d, "model13.onnx"), 13)
    export(model, x, os.path.join(d, "model17.onnx"), 17)
    return shape


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_zoo.py OUTDIR [MODEL...]")
    outdir = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(outdir, exist_ok=True)
    rows = []
    for name in names:
        t0 = time.time()
        shape = build_model(outdir, name)
        rows.append((name, "x".join(map(str, shape))))
        print("zoo: %-20s %5.1fs" % (name, time.time() - t0), flush=True)
    if not sys.argv[2:]:
        with open(os.path.join(outdir, "models.tsv"), "w") as f:
            f.write("# model\tinput shape\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
        import zoo_faults
        zoo_faults.plant_all(outdir)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
