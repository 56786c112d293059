#!/usr/bin/env python3
# make_faults_cause.py — the faults whose causes the other corpus scripts do not plant (a channel scaled, noisy
# weights, concat order, a channels-last flatten, fp16 activations), appended to samples/faults/MANIFEST.tsv as
# c_* rows; then every row of the manifest gets its expected cause (columns cause, cause_attribute: the kind
# `convscope diff` must name, and the canonical attribute for kind "attribute"). Run after make_faults*.py.
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "faults")
MANIFEST = os.path.join(OUT, "MANIFEST.tsv")
PREFIX = "c_"
SEED = 20261206

# Expected cause of every row, by row name: (kind, canonical attribute or "-"). Clean rows have none ("-").
CAUSES = {
    "conv2_kernel_transposed": ("weights_layout", "-"),
    "flatten_order_hwc": ("weights_layout", "-"),
    "conv1_pad_asymmetric": ("attribute", "pads"),
    "fp16_weights_rounded": ("weights_precision", "-"),
    "fp16_weights_cast": ("weights_precision", "-"),
    "fc2_bias_dropped": ("bias_missing", "-"),
    "bn_epsilon": ("attribute", "epsilon"),
    "pool2_ceil_mode_dropped": ("attribute", "ceil_mode"),
    "softmax_wrong_axis": ("attribute", "axis"),
    "rgb_bgr_swapped": ("preprocessing", "-"),
    "fp16_weights_coreml": ("weights_precision", "-"),
    "x_b1_stride": ("attribute", "strides"),
    "x_relu6_to_relu": ("activation_substituted", "-"),
    "x_pad_shifted": ("attribute", "pads"),
    "x_residual_dropped": ("unknown", "-"),   # no kind names a dropped operation; the sentence says what fits
    "x_mlp_fc2_transB_flipped": ("attribute", "transB"),
    "x_mlp_ln1_epsilon": ("attribute", "epsilon"),
    "x_mlp_renamed_ln1_epsilon": ("attribute", "epsilon"),
    "c_conv2_channel_scaled": ("weights_scaled", "-"),
    "c_fc1_weights_noisy": ("weights_different", "-"),
    "c_concat_order": ("input_order", "-"),
    "c_flatten_channels_last": ("layout", "-"),
    "c_conv2_fp16_activations": ("precision", "-"),
}

LENET = "samples/lenet5/lenet5.onnx"
LENET_PT = "samples/lenet5/lenet5.pt"
INCEP = "samples/faults/x_incep.onnx"
INCEP_PT = "samples/faults/x_incep.pt"


def node_named(m, name):
    return next(n for n in m.graph.node if n.name == name)


def init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def set_init(m, name, arr):
    init(m, name).CopyFrom(numpy_helper.from_array(arr.astype(np.float32), name))


def save(m, fname):
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, fname))
    return "samples/faults/" + fname


def channel_scaled():
    m = onnx.load(os.path.join(ROOT, LENET))
    w = node_named(m, "/conv2/Conv").input[1]
    a = numpy_helper.to_array(init(m, w)).copy()
    a[3] *= 1.5
    set_init(m, w, a)
    return save(m, "c_conv2_channel_scaled.onnx")


def weights_noisy():
    m = onnx.load(os.path.join(ROOT, LENET))
    w = node_named(m, "/fc1/Gemm").input[1]
    a = numpy_helper.to_array(init(m, w))
    rng = np.random.default_rng(SEED)
    set_init(m, w, a + rng.normal(0, 0.05, a.shape))
    return save(m, "c_fc1_weights_noisy.onnx")


def concat_order():
    m = onnx.load(os.path.join(ROOT, INCEP))
    n = node_named(m, "/Concat")
    ins = list(n.input)
    ins[0], ins[2] = ins[2], ins[0]
    del n.input[:]
    n.input.extend(ins)
    return save(m, "c_x_incep_concat_order.onnx")


def flatten_channels_last():
    m = onnx.load(os.path.join(ROOT, LENET))
    n = node_named(m, "/Flatten")
    t = helper.make_node("Transpose", [n.input[0]], ["pool2_nhwc"], name="/Transpose_nhwc", perm=[0, 2, 3, 1])
    n.input[0] = "pool2_nhwc"
    idx = list(m.graph.node).index(n)
    m.graph.node.insert(idx, t)
    return save(m, "c_lenet5_flatten_channels_last.onnx")


def fp16_activations():
    m = onnx.load(os.path.join(ROOT, LENET))
    n = node_named(m, "/conv2/Conv")
    out = n.output[0]
    n.output[0] = "conv2_f32"
    idx = list(m.graph.node).index(n)
    m.graph.node.insert(idx + 1, helper.make_node("Cast", ["conv2_f32"], ["conv2_f16"], name="/conv2/Cast_f16",
                                                  to=TensorProto.FLOAT16))
    m.graph.node.insert(idx + 2, helper.make_node("Cast", ["conv2_f16"], [out], name="/conv2/Cast_f32",
                                                  to=TensorProto.FLOAT))
    return save(m, "c_lenet5_conv2_fp16_activations.onnx")


def main():
    img = "samples/lenet5/images/%s.png"
    x3 = "samples/faults/images/x_rgb_16x16.npy"
    rows = [
        ("conv2_channel_scaled", LENET_PT, channel_scaled(), "conv2 output channel 3 scaled by 1.5 (weights only)",
         "conv2", "/conv2/Conv", img % "2_pullover"),
        ("fc1_weights_noisy", LENET_PT, weights_noisy(), "fc1 weights with gaussian noise (sigma 0.05) added",
         "fc1", "/fc1/Gemm", img % "4_coat"),
        ("concat_order", INCEP_PT, concat_order(), "Concat of branches b1,b2,b3 in order b3,b2,b1",
         "cat", "/Concat", x3),
        ("flatten_channels_last", LENET_PT, flatten_channels_last(),
         "a Transpose to NHWC inserted before the Flatten (features flattened channels-last)",
         "flatten", "/Flatten", img % "4_coat"),
        ("conv2_fp16_activations", LENET_PT, fp16_activations(),
         "conv2 output rounded to fp16 (Cast to float16 and back): relu, the next layer, reads the rounded values",
         "relu", "/Relu", img % "2_pullover"),
    ]
    with open(MANIFEST) as f:
        lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    header, body = lines[0][:7], [r[:7] for r in lines[1:] if not r[0].startswith(PREFIX)]
    body += [[PREFIX + r[0]] + list(r[1:]) for r in rows]
    out = ["\t".join(header + ["cause", "cause_attribute"])]
    missing = []
    for r in body:
        kind, attr = ("-", "-") if r[3] == "clean" else CAUSES.get(r[0], (None, None))
        if kind is None:
            missing.append(r[0])
            continue
        out.append("\t".join(r + [kind, attr]))
    with open(MANIFEST, "w") as f:
        f.write("\n".join(out) + "\n")
    print("[make_faults_cause] %d rows appended, %d rows annotated in %s"
          % (len(rows), len(out) - 1, os.path.relpath(MANIFEST, ROOT)))
    if missing:
        sys.exit("make_faults_cause: no expected cause for rows %s (add them to CAUSES)" % ", ".join(missing))


if __name__ == "__main__":
    main()
