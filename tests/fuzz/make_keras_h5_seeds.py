#!/usr/bin/python3
# make_keras_h5_seeds.py — writes the small seed files of the keras_h5 fuzz target (tests/fuzz/seeds/keras_h5/): valid
# Keras 2 .h5 models of one to four layers, most in HDF5's compact latest format (6-10 KB each instead of the
# fixtures' 20-35 KB), so that each execution is cheap and the mutations hit structure, not weight bytes.
# Usage: /usr/bin/python3 tests/fuzz/make_keras_h5_seeds.py   (needs python3-h5py and python3-numpy)
import json, os
import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "keras_h5")
rng = np.random.default_rng(17)


def L(cls, name, inbound=None, **cfg):
    e = {"class_name": cls, "config": dict(name=name, **cfg)}
    if inbound is not None:
        e["name"] = name
        e["inbound_nodes"] = [[[src, 0, 0, {}] for src in call] for call in inbound]
    return e


def inp(name, shape, inbound=None):
    return L("InputLayer", name, inbound, batch_input_shape=[None] + shape, dtype="float32")


def seq(layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": layers}}


def functional(layers, ins, outs):
    return {"class_name": "Model", "config": {"name": "f", "layers": layers,
                                              "input_layers": [[n, 0, 0] for n in ins],
                                              "output_layers": [[n, 0, 0] for n in outs]}}


def write(name, config, weights, libver="latest"):
    """weights: {layer: [(weight name, shape)]}, in the order Keras lists them."""
    with h5py.File(os.path.join(OUT, name + ".h5"), "w", libver=libver) as f:
        f.attrs["keras_version"] = "2.4.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config, separators=(",", ":"))
        mw = f.create_group("model_weights")
        names = [l["config"]["name"] for l in config["config"]["layers"]]
        mw.attrs["layer_names"] = np.array([n.encode() for n in names])
        for n in names:
            g = mw.create_group(n)
            ws = weights.get(n, [])
            g.attrs["weight_names"] = np.array([(n + "/" + w + ":0").encode() for w, _ in ws])
            for w, shape in ws:
                g.create_dataset(n + "/" + w + ":0", data=(rng.standard_normal(shape) * 0.5).astype(np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    write("dense", seq([inp("in", [3]), L("Dense", "d", units=2, activation="relu")]),
          {"d": [("kernel", (3, 2)), ("bias", (2,))]})
    write("dense_v110", seq([inp("in", [3]), L("Dense", "d", units=2, activation="tanh", use_bias=False)]),
          {"d": [("kernel", (3, 2))]}, libver="earliest")
    write("conv2d", seq([inp("in", [4, 4, 1]),
                         L("Conv2D", "c", filters=2, kernel_size=[2, 2], strides=[1, 1], padding="same",
                           activation="sigmoid", data_format="channels_last", use_bias=True),
                         L("MaxPooling2D", "p", pool_size=[2, 2], strides=[2, 2], padding="valid"),
                         L("Flatten", "fl")]),
          {"c": [("kernel", (2, 2, 1, 2)), ("bias", (2,))]})
    write("conv1d_bn", seq([inp("in", [5, 2]),
                            L("Conv1D", "c", filters=2, kernel_size=[2], padding="valid", activation="linear"),
                            L("BatchNormalization", "bn", axis=-1, epsilon=0.001, center=True, scale=True)]),
          {"c": [("kernel", (2, 2, 2)), ("bias", (2,))],
           "bn": [("gamma", (2,)), ("beta", (2,)), ("moving_mean", (2,)), ("moving_variance", (2,))]})
    write("embedding", seq([L("InputLayer", "ids", batch_input_shape=[None, 3], dtype="float32"),
                            L("Embedding", "e", input_dim=4, output_dim=2), L("GlobalAveragePooling1D", "g")]),
          {"e": [("embeddings", (4, 2))]})
    write("add", functional([inp("a", [2], []), inp("b", [2], []), L("Add", "s", [["a", "b"]]),
                             L("Activation", "act", [["s"]], activation="softmax")], ["a", "b"], ["act"]), {})
    write("concat_reshape", functional([inp("x", [4], []), L("Dense", "d", [["x"]], units=4),
                                        L("Concatenate", "c", [["x", "d"]], axis=-1),
                                        L("Reshape", "r", [["c"]], target_shape=[2, 4]),
                                        L("Permute", "p", [["r"]], dims=[2, 1])], ["x"], ["p"]),
          {"d": [("kernel", (4, 4)), ("bias", (4,))]})


if __name__ == "__main__":
    main()
