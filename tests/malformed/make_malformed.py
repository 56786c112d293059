#!/usr/bin/python3
# make_malformed.py — writes the hostile model and input files of tests/malformed/ (issue 17's reproducers):
# each one once crashed, hung or blew up convscope's memory; tests/cli/malformed.sh asserts exit 2 on each.
# Standard library only, except the .h5 (python3-h5py), ONNX (python3-onnx) and CoreML (protobuf) cases.
import io, os, struct, sys, zipfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def zput(z, name, data):  # fixed timestamps: regenerating gives the same bytes
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = z.compression
    z.writestr(info, data)


OUT = HERE  # where out() writes; make_malformed.py --out DIR GROUP... writes elsewhere (the big generated cases)


def out(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---- a minimal pickle writer (protocol 2 opcodes) ----
class P:
    def __init__(self):
        self.b = bytearray(b"\x80\x02")
        self.memo = 0

    def op(self, raw):
        self.b += raw
        return self

    def s(self, text):
        e = text.encode()
        return self.op(b"X" + struct.pack("<I", len(e)) + e)

    def i(self, v):
        return self.op(b"J" + struct.pack("<i", v))

    def glob(self, mod, name):
        return self.op(b"c" + mod.encode() + b"\n" + name.encode() + b"\n")

    def put(self):
        self.op(b"r" + struct.pack("<I", self.memo))
        self.memo += 1
        return self.memo - 1

    def get(self, k):
        return self.op(b"j" + struct.pack("<I", k))

    def stop(self):
        return bytes(self.b + b".")


def module_pickle(attrs):
    """A scripted module __torch__.M whose state dict holds 'training' plus attrs(p) items."""
    p = P().glob("__torch__", "M").op(b")\x81}(").s("training").op(b"\x88")
    attrs(p)
    return p.op(b"ub").stop()


def torchscript(name, code, attrs=lambda p: None, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        zput(z, "m/version", "3\n")
        zput(z, "m/data.pkl", module_pickle(attrs))
        zput(z, "m/constants.pkl", P().op(b")").stop())
        zput(z, "m/code/__torch__.py", code)
        for n, d in extra:
            zput(z, n, d)
    out(name, buf.getvalue())


HEAD = "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
FWD = "  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n"


def torchscript_cases():
    torchscript("ts_floordiv_min.pt", HEAD + FWD + "    a = 9223372036854775808 // -1\n    return x\n")
    torchscript("ts_range_huge_step.pt", HEAD + FWD +
                "    for i in range(0, 9223372036854775808, -1):\n      pass\n    return x\n")
    torchscript("ts_range_overflow.pt", HEAD + FWD +
                "    for i in range(0 - 9000000000000000000, 9000000000000000000):\n      pass\n    return x\n")
    torchscript("ts_nested_loops.pt", HEAD + FWD +
                "    for i in range(100000):\n      for j in range(100000):\n        for k in range(100000):\n"
                "          pass\n    return x\n")
    torchscript("ts_recursion.pt", HEAD + FWD + "    n = self.f(60)\n    return x\n"
                "  def f(self: __torch__.M,\n    n: int) -> int:\n    if n > 0:\n"
                "      a = self.f(n - 1)\n      b = self.f(n - 1)\n    return n\n")
    torchscript("ts_subscript_error.pt", HEAD + FWD + "    a = x[1, 2\n    return x\n")
    # a syntax error inside an elif branch (found by fuzz_ts_source: the elif's block node leaked)
    torchscript("ts_elif_error.pt", HEAD + FWD + "    if x:\n      pass\n    elif x:\n      a = x[1, 2\n    return x\n")

    def shared_lists(p):  # a 31-level list whose levels share the level below through the memo
        p.s("a").op(b"]").i(1).op(b"a")
        k = p.put()
        p.op(b"0")
        for level in range(31):
            p.op(b"]").get(k).op(b"a").get(k).op(b"a")
            k = p.put()
            if level < 30:
                p.op(b"0")  # POP: the memo keeps it
    torchscript("ts_memo_lists.pt", HEAD + "  a : List[Any]\n" + FWD + "    b = self.a\n    return x\n",
                shared_lists)


# ---- torch.save checkpoints ----
def shared_dicts(p, levels=60):
    p.op(b"}").s("leaf").i(1).op(b"s")
    k = p.put()
    p.op(b"0")
    for level in range(levels):
        p.op(b"}").s("a").get(k).op(b"s").s("b").get(k).op(b"s")
        k = p.put()
        if level < levels - 1:
            p.op(b"0")  # POP: the memo keeps it
    return p


def checkpoint_zip(name, pkl, storages=(), method=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        zput(z, "archive/data.pkl", pkl)
        zput(z, "archive/version", "3\n")
        for key, data in storages:
            zput(z, "archive/data/" + key, data)
    out(name, buf.getvalue())


def tensor_v2(p, key, numel, sizes, strides):
    p.glob("torch._utils", "_rebuild_tensor_v2").op(b"(")
    p.op(b"(").s("storage").glob("torch", "FloatStorage").s(key).s("cpu").i(numel).op(b"tQ")
    p.i(0).op(b"(")
    for s in sizes:
        p.i(s)
    p.op(b"t(")
    for s in strides:
        p.i(s)
    p.op(b"t\x89").glob("collections", "OrderedDict").op(b")R").op(b"tR")
    return p


def checkpoint_cases():
    checkpoint_zip("ckpt_shared_dicts.pt", shared_dicts(P()).stop())
    legacy = P()
    legacy.op(b"\x8a\x0a" + (0x1950a86a20f9469cfc6c).to_bytes(10, "little"))
    stream = legacy.stop() + P().i(1001).stop() + P().op(b"}").stop() + shared_dicts(P()).stop() + \
        P().op(b"]").stop()
    out("ckpt_shared_dicts_legacy.pt", stream)
    # a 4-float storage viewed as 1024^3 elements through stride 0: 4 GiB from a few hundred bytes
    p = P().op(b"}").s("w")
    tensor_v2(p, "0", 4, (1024, 1024, 1024), (0, 0, 0)).op(b"s")
    checkpoint_zip("ckpt_stride0_view.pt", p.stop(), [("0", b"\0" * 16)])
    # 80 storages of 1 MiB zeros: each under the per-entry limits, 80 MiB in all from a ~90 KB file
    p = P().op(b"}")
    for k in range(80):
        p.s("w%d" % k)
        tensor_v2(p, str(k), 1 << 18, (1 << 18,), (1,)).op(b"s")
    checkpoint_zip("zip_total_bomb.pt", p.stop(), [(str(k), b"\0" * (1 << 20)) for k in range(80)],
                   zipfile.ZIP_DEFLATED)


# ---- inputs ----
def input_cases():
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }"
    hdr = hdr.ljust(117) + "\n"
    out("npy_huge_shape.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + b"\0" * 16)
    # TensorProto: dims 805306368 x 2 (6 GiB of float), data_type float, 0 values: 10 bytes
    def varint(v):
        b = bytearray()
        while True:
            b.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
            v >>= 7
            if not v:
                return bytes(b)
    out("pb_huge_dims.pb", b"\x08" + varint(805306368) + b"\x08\x02\x10\x01")
    # JPEG with a DHT table declaring 16 x 255 codes (stb_image 2.27 overflows its 257-entry table)
    dht = bytes([0x00]) + bytes([255] * 16)
    out("jpeg_huffman_codes.jpg", b"\xff\xd8\xff\xc4" + struct.pack(">H", len(dht) + 2 + 64) + dht + b"\0" * 64 +
        b"\xff\xd9")
    # PSD header claiming 10498 x 2562 pixels, RLE compressed, a few bytes long
    psd = b"8BPS" + struct.pack(">HxxxxxxHIIHH", 1, 3, 2562, 10498, 8, 3)
    psd += struct.pack(">I", 0) * 3 + struct.pack(">H", 1) + b"\0" * 64
    out("psd_huge.psd", psd)


def onnx_cases():
    import onnx
    from onnx import helper, TensorProto
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    reps = helper.make_tensor("reps", TensorProto.INT64, [2], [1, 100000000])
    g = helper.make_graph([helper.make_node("Tile", ["x", "reps"], ["y"], name="tile")], "tile", [x], [y], [reps])
    out("onnx_tile_huge.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    w = helper.make_tensor("w", TensorProto.FLOAT, [3], [1, 2, 3])
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "dup", [x], [y], [w, w])
    out("onnx_dup_initializer.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        .SerializeToString())


def onnx_external_cases():
    """external/: a valid model with its weights in weights.bin, and copies whose external data leaves the folder
    or lies about the file (a symlink leading out is made by the test itself)."""
    from onnx import helper, TensorProto
    d = os.path.join(HERE, "external")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        f.write(struct.pack("<3f", 1, 2, 3))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])

    def model(name, **entries):
        w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1, 3])
        w.data_location = TensorProto.EXTERNAL
        for k, v in entries.items():
            e = w.external_data.add()
            e.key, e.value = k, str(v)
        g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "ext", [x], [y], [w])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        with open(os.path.join(d, name), "wb") as f:
            f.write(m.SerializeToString())
    model("ext_valid.onnx", location="weights.bin", offset=0, length=12)
    model("ext_absolute.onnx", location="/etc/passwd", offset=0, length=12)
    model("ext_dotdot.onnx", location="../external/weights.bin", offset=0, length=12)
    model("ext_offset_past_end.onnx", location="weights.bin", offset=8, length=12)
    model("ext_length_lies.onnx", location="weights.bin", offset=0, length=4)
    model("ext_missing_file.onnx", location="nowhere.bin")


def h5_cases():
    import h5py, shutil
    dst = os.path.join(HERE, "h5_huge_dataset.h5")
    shutil.copy(os.path.join(ROOT, "tests", "fixtures", "keras", "conv_cf.h5"), dst)
    with h5py.File(dst, "r+") as f:
        names = []
        f["model_weights"].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        victim = "model_weights/" + names[0]
        del f[victim]
        f.create_dataset(victim, shape=(2**31 - 1,), dtype="f4", chunks=(4096,), compression="gzip")
    os.system("h5repack '%s' '%s.tmp' 2>/dev/null && mv '%s.tmp' '%s'" % (dst, dst, dst, dst))


def coreml_cases():
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "coreml"))
    import make_fixtures as mf
    Model, mil = mf.compile_schema()
    m = mf.model(Model, mil)
    b = m.mlProgram.functions["main"].block_specializations["CoreML5"].operations[1]
    val = b.attributes["val"]
    val.immediateValue.ClearField("tensor")
    t = val.immediateValue.tuple.values.add()
    t.immediateValue.tensor.floats.values.extend([1.0] * 64)
    mf.HERE = HERE
    mf.write_package("coreml_immediate_tuple.mlpackage", m, mf.weight_bin([1, 0, 0, 0, 0, 1, 1, 0]))


def fuzz_found_cases():
    """Reproducers the fuzz targets found (tests/fuzz): each leaked or crashed before its fix."""
    torchscript("ts_tuple_error.pt", HEAD + FWD + "    a = (x, x\n    return x\n")  # leak: fuzz_ts_source
    torchscript("ts_buffers_twice.pt", HEAD + "  __buffers__ = []\n" + FWD + "    return x\n")  # leak: fuzz_ts_source
    # fuzz_onnx: pads near INT64_MIN on both sides of an axis overflowed the output size (signed overflow, UBSan)
    import onnx
    from onnx import helper, TensorProto
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    pads = helper.make_tensor("pads", TensorProto.INT64, [4], [0, -5661304007015006206, 0, -5661304007015006207])
    g = helper.make_graph([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad")], "pad", [x], [y], [pads])
    out("onnx_pad_overflow.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())


def raw_zip(entries):
    """A zip of (name, method, crc, size, payload) entries whose payload is already compressed (no zip64)."""
    body, central = bytearray(), bytearray()
    for name, method, crc, size, payload in entries:
        n = name.encode()
        head = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, method, 0, 0x21, crc, len(payload), size, len(n), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, method, 0, 0x21, crc, len(payload), size,
                               len(n), 0, 0, 0, 0, 0, len(body)) + n
        body += head + n + payload
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    return bytes(body + central + end)


def zip_inflate_cases():
    """A 1 GiB storage entry deflated at ratio ~98 (within the 200 limit) into ~11 MB: generated, not committed.
    zip_inflate_small.pt declares 4 floats for it; zip_inflate_1g.pt declares all 2^28 floats."""
    blk = bytes((k * 2654435761 >> 13) & 255 for k in range(4096))  # fixed, incompressible-looking 4 KiB
    chunk = blk * 256
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    part = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no reference back: repeatable
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    payload = part * 1024 + b"\x03\x00"  # then an empty final block
    for name, numel in (("zip_inflate_small.pt", 4), ("zip_inflate_1g.pt", 1 << 28)):
        p = P().op(b"}").s("w")
        tensor_v2(p, "0", numel, (numel,), (1,)).op(b"s")
        pkl = p.stop()
        out(name, raw_zip([("archive/data.pkl", 0, zlib.crc32(pkl), len(pkl), pkl),
                           ("archive/version", 0, zlib.crc32(b"3\n"), 2, b"3\n"),
                           ("archive/data/0", 8, crc, 1 << 30, payload)]))


BIG = {"zip_inflate": zip_inflate_cases}  # written only where --out says (tests/cli/malformed.sh: its temp folder)
CASES = {"fuzz_found": fuzz_found_cases, "torchscript": torchscript_cases, "checkpoint": checkpoint_cases, "input": input_cases,
         "onnx": onnx_cases, "onnx_external": onnx_external_cases, "h5": h5_cases, "coreml": coreml_cases}

if __name__ == "__main__":  # all groups, or only those named: make_malformed.py [--out DIR] onnx_external
    args = sys.argv[1:]
    if args[:1] == ["--out"]:
        OUT, args = args[1], args[2:]
    for group in args or CASES:
        (CASES.get(group) or BIG[group])()
