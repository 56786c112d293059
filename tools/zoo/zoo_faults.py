# zoo_faults.py — plants one conversion bug per file into the zoo's exported ONNX models (kinds seen in real
# converters: permuted kernels, scaled or redrawn weights, dropped biases, attributes, activations, operand order).
#
# Each fault names the ONNX node it edits and the A (TorchScript) layer the diff must report as the first
# divergence, plus the cause kind of issue #13 ("attribute:NAME" names the canonical attribute). An attribute
# changed on an op B keeps (HardSigmoid's alpha) is "attribute", the field to edit; "activation_substituted"
# is B computing another function (another op, or another op inside B's decomposition). tests/zoo/zoo.sh
# reads the expected causes from FAULTS here, so a zoo generated before a change still checks against it. Written to OUTDIR/faults/<id>.onnx and OUTDIR/faults.tsv.
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def node(g, name):
    for n in g.node:
        if n.name == name:
            return n
    raise KeyError("no node %s" % name)


def init(g, name):
    for t in g.initializer:
        if t.name == name:
            return t
    raise KeyError("no initializer %s" % name)


def set_init(g, name, arr):
    t = init(g, name)
    t.CopyFrom(numpy_helper.from_array(arr.astype(numpy_helper.to_array(t).dtype), name))


def weight(g, node_name, k=1):
    """The k-th input initializer of a node, as (name, array)."""
    name = node(g, node_name).input[k]
    return name, numpy_helper.to_array(init(g, name))


def set_attr(n, key, value):
    for a in n.attribute:
        if a.name == key:
            n.attribute.remove(a)
            break
    n.attribute.append(helper.make_attribute(key, value))


# ---- the edits ----

def kernel_hw_transposed(g, nn):
    """A converter that writes a 3x3 kernel as (kw, kh): OIHW -> OIWH."""
    name, w = weight(g, nn)
    set_init(g, name, np.ascontiguousarray(w.transpose(0, 1, 3, 2)))


def scaled(factor):
    def edit(g, nn):
        name, w = weight(g, nn)
        set_init(g, name, w * factor)
    return edit


def redrawn(g, nn):
    """Weights of another layer of the same shape and spread (a checkpoint mix-up)."""
    name, w = weight(g, nn)
    rng = np.random.default_rng(7)
    set_init(g, name, rng.standard_normal(w.shape) * w.std() + w.mean())


def bias_dropped(g, nn):
    n = node(g, nn)
    del n.input[2]


def pads_asymmetric(g, nn):
    """TF 'SAME'-style padding: all padding at the bottom/right, output shape unchanged."""
    set_attr(node(g, nn), "pads", [0, 0, 2, 2])


def bn_epsilon(eps):
    def edit(g, nn):
        set_attr(node(g, nn), "epsilon", eps)
    return edit


def hardsigmoid_alpha(g, nn):
    """Keras's hard_sigmoid slope 0.2 in place of PyTorch's 1/6."""
    set_attr(node(g, nn), "alpha", 0.2)


def sigmoid_as_hardsigmoid(g, nn):
    n = node(g, nn)
    n.op_type = "HardSigmoid"
    set_attr(n, "alpha", 0.2)
    set_attr(n, "beta", 0.5)


def inputs_swapped(i, j):
    def edit(g, nn):
        n = node(g, nn)
        a, b = n.input[i], n.input[j]
        n.input[i], n.input[j] = b, a
    return edit


def pad_folded_excluding(g, nn):
    """The explicit Pad before an AveragePool folded into the pool's own pads, but with count_include_pad=0
    (TensorFlow's convention): border averages divide by fewer elements."""
    n = node(g, nn)
    pad = next(p for p in g.node if n.input[0] in p.output)
    n.input[0] = pad.input[0]
    set_attr(n, "pads", [1, 1, 1, 1])
    set_attr(n, "count_include_pad", 0)
    g.node.remove(pad)


def shuffle_dropped(g, nn):
    """Channel shuffle's transpose lost: channels stay grouped."""
    set_attr(node(g, nn), "perm", [0, 1, 2, 3, 4])


def maxpool_ceil(g, nn):
    set_attr(node(g, nn), "ceil_mode", 1)


def dense_transposed(g, nn):
    """A square dense kernel written without its transpose (Gemm transB kept)."""
    name, w = weight(g, nn)
    set_init(g, name, np.ascontiguousarray(w.T))


def erf_as_tanh(g, nn):
    """Exact GELU's Erf replaced by Tanh (a converter mixing up GELU's two forms)."""
    node(g, nn).op_type = "Tanh"


def lstm_gates_swapped(g, nn):
    """PyTorch's gate order (i,f,g,o) left in ONNX's slots (i,o,f,c): the o and f blocks swapped in W."""
    name, w = weight(g, nn)
    h = w.shape[1] // 4
    w2 = w.copy()
    w2[:, h:2 * h], w2[:, 2 * h:3 * h] = w[:, 2 * h:3 * h], w[:, h:2 * h]
    set_init(g, name, w2)


def resize_nearest(g, nn):
    set_attr(node(g, nn), "mode", "nearest")


# id, model, opset, ONNX node edited, edit, expected A layer, expected cause, description
FAULTS = [
    ("resnet50_kernel_hw", "resnet50", 13, "/layer3/layer3.2/conv2/Conv", kernel_hw_transposed,
     "layer3.2.conv2", "weights_layout", "3x3 kernel stored as OIWH"),
    ("resnet50_scaled", "resnet50", 13, "/layer2/layer2.1/conv3/Conv", scaled(1.5),
     "layer2.1.conv3", "weights_scaled", "conv weights x1.5"),
    ("resnet18_bias_dropped", "resnet18", 13, "/layer1/layer1.1/conv2/Conv", bias_dropped,
     "layer1.1.conv2", "bias_missing", "folded BN bias dropped"),
    ("resnet18_redrawn", "resnet18", 17, "/layer3/layer3.0/conv1/Conv", redrawn,
     "layer3.0.conv1", "weights_different", "weights of the same spread redrawn"),
    ("mobilenet_v2_pads", "mobilenet_v2", 13, "/features/features.5/conv/conv.1/conv.1.0/Conv", pads_asymmetric,
     "features.5.conv.1.0", "attribute:pads", "pads [1,1,1,1] -> [0,0,2,2]"),
    ("densenet121_bn_eps", "densenet121", 13, "/features/denseblock2/denselayer3/norm1/BatchNormalization",
     bn_epsilon(1e-3), "features.denseblock2.denselayer3.norm1", "attribute:epsilon", "BatchNorm epsilon 1e-5 -> 1e-3"),
    ("mobilenet_v3_hsig_alpha", "mobilenet_v3_small", 13,
     "/features/features.4/block/block.2/scale_activation/HardSigmoid", hardsigmoid_alpha,
     "features.4.block.2.scale_activation", "attribute:alpha", "HardSigmoid alpha 1/6 -> 0.2"),
    ("efficientnet_b0_sigmoid", "efficientnet_b0", 13,
     "/features/features.2/features.2.0/block/block.0/block.0.2/Sigmoid", sigmoid_as_hardsigmoid,
     "features.2.0.block.0.2", "activation_substituted", "SiLU's Sigmoid replaced by HardSigmoid"),
    ("squeezenet_concat_order", "squeezenet1_1", 13, "/features/features.4/Concat", inputs_swapped(0, 1),
     "features.4.cat", "input_order", "Fire concat operands swapped"),
    ("inception_concat_order", "inception_v3", 13, "/Mixed_5c/Concat", inputs_swapped(0, 1),
     "Mixed_5c.cat", "input_order", "Inception branch concat operands swapped"),
    ("inception_avgpool_pad", "inception_v3", 13, "/Mixed_6b/AveragePool", pad_folded_excluding,
     "Mixed_6b.avg_pool2d", "attribute:count_include_pad", "Pad folded into AveragePool with count_include_pad=0"),
    ("convnext_ln_sub_order", "convnext_tiny", 13, "/features/features.3/features.3.1/block/block.2/Sub",
     inputs_swapped(0, 1), "features.3.1.block.2", "input_order", "LayerNorm's x-mean as mean-x"),
    ("regnet_redrawn", "regnet_y_400mf", 13, "/trunk_output/block2/block2-0/f/b/b.0/Conv", redrawn,
     "trunk_output.block2.block2-0.f.b.0", "weights_different", "grouped conv weights redrawn"),
    ("shufflenet_no_shuffle", "shufflenet_v2", 13, "/stage3/stage3.2/Transpose", shuffle_dropped,
     "stage3.2.transpose", "layout", "channel shuffle transpose lost"),
    ("googlenet_scaled", "googlenet", 17, "/inception4a/branch2/branch2.1/conv/Conv", scaled(0.5),
     "inception4a.branch2.1.conv", "weights_scaled", "conv weights x0.5"),
    ("densenet121_kernel_hw", "densenet121", 17, "/features/denseblock3/denselayer5/conv2/Conv",
     kernel_hw_transposed, "features.denseblock3.denselayer5.conv2", "weights_layout", "3x3 kernel stored as OIWH"),
    ("vit_out_proj_transposed", "vit_small", 13, "/encoder/layers/encoder_layer_1/self_attention/Gemm",
     dense_transposed, "encoder.layers.encoder_layer_1.self_attention.linear_1", "weights_layout",
     "attention out_proj kernel transposed"),
    ("vit_gelu_tanh", "vit_small", 13, "/encoder/layers/encoder_layer_0/mlp/mlp.1/Erf", erf_as_tanh,
     "encoder.layers.encoder_layer_0.mlp.1", "activation_substituted", "GELU's Erf computed as Tanh"),
    ("text_rnn_lstm_gates", "text_rnn", 13, "/lstm/LSTM", lstm_gates_swapped, "lstm", "weights_layout",
     "LSTM gate blocks o and f swapped"),
    ("deeplab_resize_nearest", "deeplabv3_mobilenet", 17, "/m/Resize", resize_nearest, "m.upsample_bilinear2d",
     "attribute:mode", "final bilinear upsampling exported as nearest"),
]


def plant_all(outdir):
    fdir = os.path.join(outdir, "faults")
    os.makedirs(fdir, exist_ok=True)
    rows = []
    for fid, model, opset, nn, edit, a_layer, cause, desc in FAULTS:
        src = os.path.join(outdir, model, "model%d.onnx" % opset)
        if not os.path.exists(src):
            continue
        m = onnx.load(src)
        edit(m.graph, nn)
        onnx.save(m, os.path.join(fdir, fid + ".onnx"))
        rows.append((fid, model, str(opset), a_layer, cause, nn, desc))
    with open(os.path.join(outdir, "faults.tsv"), "w") as f:
        f.write("# id\tmodel\topset\texpected A layer\texpected cause\tONNX node edited\twhat was planted\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
