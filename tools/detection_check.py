#!/usr/bin/python3
# detection_check.py — torchvision detection models (torch 1.13 / torchvision 0.14) traced to TorchScript, run by
# convscope and compared with torch's own outputs of the same script: boxes, scores, labels (and masks/keypoints).
# usage: tools/detection_check.py [--script] OUTDIR [CONVSCOPE] [model ...]   (models are written to OUTDIR, never the
# repo); --script exports with torch.jit.script (control flow kept as written) instead of torch.jit.trace.
import json, os, subprocess, sys, time
import numpy as np
import torch
import torchvision
from torchvision.models import detection as D

MODELS = ["ssdlite320_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_320_fpn", "fcos_resnet50_fpn",
          "retinanet_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn"]
# Tolerances: boxes are exp(dw) * anchor size on 320-pixel images after ~50 float32 layers with activations up to
# 1e2: relative noise up to 3e-5 of 320 px gives 1e-2 px; scores are softmax/sigmoid outputs (absolute 1e-4).
BOX_TOL, SCORE_TOL = 1e-2, 1e-4


class Wrap(torch.nn.Module):
    """The detector on one image (3 x H x W) returning tensors: what torch.jit.trace can record."""
    def __init__(s, m):
        super().__init__()
        s.m = m

    def forward(s, x):
        d = s.m([x])[0]
        extra = [d[k] for k in ("masks", "keypoints") if k in d]
        return tuple([d["boxes"], d["scores"], d["labels"]] + extra)


class ScriptWrap(torch.nn.Module):
    """The same for torch.jit.script, where a detector returns (losses, detections) instead of detections."""
    def __init__(s, m):
        super().__init__()
        s.m = m

    def forward(s, x):
        d = s.m([x])[1][0]
        return d["boxes"], d["scores"], d["labels"]


def build(name):
    torch.manual_seed(0)
    kw = dict(weights=None, weights_backbone=None)
    if "rcnn" in name:  # random heads score every class near 1/91: keep boxes the default 0.05 would drop, not
        kw["box_score_thresh"] = 1e-3  # the ones scored below float32 resolution (near-ties, arbitrary order)
    m = getattr(D, name)(**kw).eval()
    # torchvision's detection init leaves features near 1e-14 (every score tied, box order arbitrary): convolutions
    # get fan-in scaled normal weights so scores are distinct: ReLU gain where features still fade (SSDlite's
    # MobileNet), linear gain elsewhere (ReLU gain drives R-CNN activations to ~1e2, sigmoid scores to 1.0)
    gain = "relu" if name.startswith("ssd") else "linear"
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity=gain)
        if hasattr(m, "roi_heads"):  # class scores spread apart (near-equal ones leave the order to rounding)
            torch.nn.init.normal_(m.roi_heads.box_predictor.cls_score.weight, std=0.3)
    return m


def export(name, out, script):
    x = torch.rand(3, 320, 320, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        if script:
            ts = torch.jit.script(ScriptWrap(build(name)).eval())
        else:
            ts = torch.jit.trace(Wrap(build(name)).eval(), x, strict=False, check_trace=False)
        ref = [r.numpy() for r in ts(x)]
    path = os.path.join(out, name + ("_script.pt" if script else "_trace.pt"))
    ts.save(path)
    np.save(path + ".in.npy", x.numpy())
    return path, ref


def compare(got, ref):
    """Each torch detection matched to an unused convscope one of the same label (nearest box): worst errors."""
    gb, gs, gl = got[0], got[1], got[2]
    rb, rs, rl = ref[0], ref[1], ref[2]
    if gb.shape != rb.shape:
        return "count differs: convscope %s, torch %s" % (gb.shape[0], rb.shape[0]), False
    used = np.zeros(len(gb), bool)
    box_err = score_err = 0.0
    unmatched = moved = 0
    for i in range(len(rb)):
        cand = np.where((gl == rl[i]) & ~used)[0]
        if not len(cand):
            unmatched += 1
            continue
        d = np.abs(gb[cand] - rb[i]).max(1)
        k = cand[np.argmin(d)]
        used[k] = True
        moved += k != i
        box_err, score_err = max(box_err, d.min()), max(score_err, abs(gs[k] - rs[i]))
    ok = unmatched == 0 and box_err <= BOX_TOL and score_err <= SCORE_TOL
    extra = ""
    for j in range(3, len(ref)):
        if moved == 0 and got[j].shape == ref[j].shape:
            extra += ", %s max abs err %.2e" % ("masks" if ref[j].ndim == 4 else "keypoints", np.abs(got[j] - ref[j]).max())
    return ("%d detections, unmatched %d, box max abs err %.2e px, score %.2e, %d in another order (ties)%s" %
            (len(rb), unmatched, box_err, score_err, moved, extra)), ok


def main():
    argv = sys.argv[1:]
    script = "--script" in argv
    argv = [a for a in argv if a != "--script"]
    mode = "scripted" if script else "traced"
    out = argv[0]
    cs = argv[1] if len(argv) > 1 else "build/convscope"
    names = argv[2:] or MODELS
    os.makedirs(out, exist_ok=True)
    failed = 0
    for name in names:
        t0 = time.time()
        path, ref = export(name, out, script)
        t1 = time.time()
        # scripted: the image's rank is not in the script (x: Tensor); --ts-arg states it, sizes stay run-time
        rank = ["--ts-arg", "x=[3,-1,-1]"] if script else []
        r = subprocess.run([cs, "run", path, "--input", path + ".in.npy", "--json"] + rank, capture_output=True, text=True)
        t2 = time.time()
        if r.returncode:
            print("FAIL %s %s: %s" % (name, mode, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode))
            failed += 1
            continue
        outs = json.loads(r.stdout)["outputs"]
        got = [np.array(o["data"], dtype=np.float64).reshape(o["shape"]) for o in outs]
        msg, ok = compare(got, [np.asarray(x, dtype=np.float64) for x in ref])
        print("%s %s %s: %s (export %.0fs, convscope %.0fs)" % ("ok" if ok else "FAIL", name, mode, msg, t1 - t0, t2 - t1))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
