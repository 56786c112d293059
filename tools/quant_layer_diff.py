#!/usr/bin/python3
# quant_layer_diff.py — localises where convscope's integer execution of a quantized torchvision model first departs
# from torch's: records every quantized module output (int values) in torch, dumps convscope's values, compares.
# Usage: quant_layer_diff.py ARCH QCONFIG ENGINE OUT_DIR [CONVSCOPE]   e.g. resnet18 qnnpack qnnpack /work/scratch/qnn/r18
import os, re, subprocess, sys
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from make_quant_fixtures import zoo_model  # noqa: E402

def torch_values(m, x, ours=None):
    """Module name -> (int values, scale, zero point) of every quantized module output, in call order. With `ours`
    (convscope's values by module name), each module's output is replaced by convscope's after it is recorded, so
    every module sees convscope's inputs: the difference then is that module's own."""
    rec = {}
    def hook(name):
        def f(_mod, _inp, out):
            if not (isinstance(out, torch.Tensor) and out.is_quantized) or name in rec:
                return None
            rec[name] = (out.int_repr().numpy().astype(np.int64), out.q_scale(), out.q_zero_point())
            o = ours_of(ours, name) if ours is not None else None
            if o is None or o.shape != tuple(out.shape) or out.dtype != torch.quint8:
                return None
            return torch._make_per_tensor_quantized_tensor(torch.from_numpy(o.astype(np.uint8)), out.q_scale(),
                                                           out.q_zero_point())
        return f
    for name, mod in m.named_modules():
        if name:  # containers too: only names convscope also has are compared
            mod.register_forward_hook(hook(name.replace(".activation_post_process", "")))
    with torch.no_grad():
        y = m(x)
    return rec, y

def report(ref, ours, title):
    print("==", title)
    first = None
    for name, (q, s, zp) in ref.items():
        o = ours_of(ours, name)
        if o is None or o.shape != q.shape:
            continue
        d = np.abs(o.astype(np.int64) - q)
        print("%-24s scale %.6g zp %3d  max %d  differ %d of %d" % (name, s, zp, d.max(), (d != 0).sum(), d.size))
        if first is None and d.max() >= 1:
            first = name
    print("first differing layer:", first)

def convscope_values(binary, pt, x, out):
    """Value name prefix (the module path) -> the last value convscope computed for it."""
    np.save(os.path.join(out, "in.npy"), x.numpy())
    dump = os.path.join(out, "dump")
    if os.path.isdir(dump):
        for f in os.listdir(dump):
            os.remove(os.path.join(dump, f))
    subprocess.run([binary, "run", pt, "--input", os.path.join(out, "in.npy"), "--dump", dump], check=True,
                   stdout=subprocess.DEVNULL)
    last = {}
    for f in os.listdir(dump):
        mt = re.match(r"(.*)__(\d+)\.npy$", f)
        if mt and (mt.group(1) not in last or int(mt.group(2)) > last[mt.group(1)][0]):
            last[mt.group(1)] = (int(mt.group(2)), f)
    return {k: np.load(os.path.join(dump, f)) for k, (_, f) in last.items()}

def ours_of(ours, name):
    """convscope's value for torch module `name`: its own, or that of its one inner name (fc -> fc.linear)."""
    if name in ours:
        return ours[name]
    inner = [k for k in ours if k.startswith(name + ".")]
    return ours[inner[0]] if len(inner) == 1 else None

def main():
    arch, qconfig, engine, out = sys.argv[1:5]
    binary = sys.argv[5] if len(sys.argv) > 5 else "build/convscope"
    os.makedirs(out, exist_ok=True)
    m, x = zoo_model(arch, qconfig, engine)
    pt = os.path.join(out, "model.pt")
    torch.jit.trace(m, x).save(pt)
    ours = convscope_values(binary, pt, x, out)
    report(torch_values(m, x)[0], ours, "end to end (each side on its own values)")
    m, x = zoo_model(arch, qconfig, engine)
    report(torch_values(m, x, ours)[0], ours, "local (torch's module on convscope's inputs)")

if __name__ == "__main__":
    main()
