#!/usr/bin/python3
"""Generate the small ONNX models used by tests/unit/test_onnx.c.

Run with Debian's python (python3-onnx, python3-torch):
    /usr/bin/python3 tests/data/onnx/make_models.py
The outputs are committed; tests never run python.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def save(model, name, opset=13):
    path = os.path.join(HERE, name)
    onnx.save(model, path)
    print(name, os.path.getsize(path), "bytes")


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="pimtune-tests")
    m.ir_version = 7
    return m


def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def vi(name, shape, ty=F):
    return helper.make_tensor_value_info(name, ty, shape)


rng = np.random.default_rng(1)


def conv_pool():
    """Conv with stride/pad/dilation/groups, depthwise SAME_UPPER, ceil pools."""
    w1 = rng.standard_normal((8, 2, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((8, 1, 2, 2)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="c1", group=2,
                         strides=[2, 1], pads=[1, 0, 2, 1], dilations=[2, 1]),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], name="c2", group=8,
                         strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("MaxPool", ["c2"], ["mp"], name="mp",
                         kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        helper.make_node("AveragePool", ["y"], ["ap"], name="ap",
                         kernel_shape=[2, 2], strides=[2, 2],
                         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
    ]
    save(model(nodes, [vi("x", ["batch_size", 4, 10, 12]), vi("y", [1, 1, 5, 5])],
               [vi("mp", None), vi("ap", None)], [t("w1", w1), t("w2", w2)]),
         "conv_pool.onnx")


def reshapes():
    """Flatten(axis 2), Reshape [0,-1,5], broadcasting Add, Concat axis -1."""
    nodes = [
        helper.make_node("Flatten", ["x"], ["fl"], name="fl", axis=2),
        helper.make_node("Reshape", ["x", "shape"], ["rs"], name="rs"),
        helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
        helper.make_node("Concat", ["x", "x2"], ["cat"], name="cat", axis=-1),
    ]
    save(model(nodes, [vi("x", [2, 3, 4, 5]), vi("a", [2, 1, 4]),
                       vi("b", [3, 1]), vi("x2", [2, 3, 4, 2])],
               [vi("fl", None), vi("rs", None), vi("sum", None), vi("cat", None)],
               [t("shape", np.array([0, -1, 5], np.int64))]),
         "reshapes.onnx")


def fold_chain():
    """x.view(x.size(0), -1) as PyTorch emits it (opset 13: Unsqueeze axes
    as an input), then Gemm, all with typed-field initializers."""
    w = helper.make_tensor("w", F, [10, 48], list(np.arange(480) / 480.0))
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Constant", [], ["zero"], name="c0",
                         value=helper.make_tensor("v", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "minus1"], ["shp"], name="cat", axis=0),
        helper.make_node("Reshape", ["x", "shp"], ["flat"], name="view"),
        helper.make_node("Gemm", ["flat", "w"], ["y"], name="fc", transB=1),
    ]
    inits = [w, helper.make_tensor("ax0", TensorProto.INT64, [1], [0]),
             helper.make_tensor("minus1", TensorProto.INT64, [1], [-1])]
    save(model(nodes, [vi("x", [1, 3, 4, 4])], [vi("y", None)], inits),
         "fold_chain.onnx")


def bn_fold():
    """Conv(1x1, bias) -> BatchNormalization -> Relu with known numbers."""
    w = np.array([[[[1.0]], [[2.0]]], [[[-1.0]], [[0.5]]], [[[0.0]], [[3.0]]]],
                 np.float32)  # [3,2,1,1]
    b = np.array([0.5, -1.0, 2.0], np.float32)
    scale = np.array([2.0, 1.0, 0.5], np.float32)
    beta = np.array([0.0, 1.0, -1.0], np.float32)
    mean = np.array([1.0, 0.0, 2.0], np.float32)
    var = np.array([3.0, 0.0, 15.0], np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv"),
        helper.make_node("BatchNormalization", ["c", "scale", "beta", "mean", "var"],
                         ["bn"], name="bn", epsilon=1.0),
        helper.make_node("Relu", ["bn"], ["y"], name="relu"),
    ]
    m = model(nodes, [vi("x", [1, 2, 4, 4])], [vi("y", None)],
              [t("w", w), t("b", b), t("scale", scale), t("beta", beta),
               t("mean", mean), t("var", var)])
    save(m, "bn_fold.onnx")
    # The same with every initializer in an external file; the test reads
    # it without the file (structure only).
    onnx.save_model(m, os.path.join(HERE, "bn_fold_ext.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="bn_fold_ext.onnx.data", size_threshold=0)
    os.remove(os.path.join(HERE, "bn_fold_ext.onnx.data"))


def reshape_chain():
    """A reshape to the same shape, Flatten then Reshape, then Relu."""
    nodes = [
        helper.make_node("Reshape", ["x", "same"], ["r0"], name="r0"),
        helper.make_node("Flatten", ["r0"], ["r1"], name="r1"),
        helper.make_node("Reshape", ["r1", "s2"], ["r2"], name="r2"),
        helper.make_node("Relu", ["r2"], ["y"], name="relu"),
    ]
    save(model(nodes, [vi("x", [1, 2, 3, 4])], [vi("y", None)],
               [t("same", np.array([1, 2, 3, 4], np.int64)),
                t("s2", np.array([1, 6, 4], np.int64))]),
         "reshape_chain.onnx")


def identity_fuse():
    """Identity, Dropout and an activation to fuse into a conv; the graph
    output is produced through an Identity."""
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Identity", ["w0"], ["w"], name="wid"),
        helper.make_node("Identity", ["x"], ["x1"], name="id0"),
        helper.make_node("Conv", ["x1", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Dropout", ["c"], ["d"], name="drop"),
        helper.make_node("Clip", ["d", "lo", "hi"], ["r"], name="relu6"),
        helper.make_node("Identity", ["r"], ["y"], name="id1"),
    ]
    save(model(nodes, [vi("x", [1, 3, 8, 8])], [vi("y", None)],
               [t("w0", w), t("lo", np.float32(0)), t("hi", np.float32(6))]),
         "identity_fuse.onnx")


def cast_round():
    """Casts of a constant to float16 and bfloat16: the folded values are
    rounded to those types (ties to even), kept as float32."""
    v = np.array([0.48033667, 65519.0, 65520.0, 1e-8, 3e-8, -2.5], np.float32)
    nodes = [
        helper.make_node("Cast", ["v"], ["h"], name="to_half",
                         to=TensorProto.FLOAT16),
        helper.make_node("Cast", ["v"], ["b"], name="to_bf16",
                         to=TensorProto.BFLOAT16),
    ]
    save(model(nodes, [], [vi("h", None, TensorProto.FLOAT16),
                           vi("b", None, TensorProto.BFLOAT16)], [t("v", v)]),
         "cast_round.onnx")
    strings = helper.make_tensor("s", TensorProto.STRING, [2], [b"1.5", b"x"])
    save(model([helper.make_node("Cast", ["s"], ["y"], name="parse",
                                 to=TensorProto.FLOAT)],
               [], [vi("y", None)], [strings]), "cast_string.onnx")
    big = t("big", np.array([1.0, 1e200], np.float64))
    save(model([helper.make_node("Identity", ["big"], ["y"], name="id")],
               [], [vi("y", None, TensorProto.DOUBLE)], [big]),
         "double_range.onnx")


def slice_split():
    """Slice of an activation with negative indices and steps; Split into
    six equal parts (more outputs than a node holds) put back in reverse
    order; Split with sizes given as an input."""
    I64 = TensorProto.INT64
    nodes = [
        helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["sl"],
                         name="sl"),
        helper.make_node("Split", ["x"], ["s%d" % i for i in range(6)],
                         name="six", axis=1),
        helper.make_node("Concat", ["s%d" % i for i in reversed(range(6))],
                         ["rev"], name="rev", axis=1),
        helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="two",
                         axis=2),
    ]
    inits = [helper.make_tensor("st", I64, [2], [5, 1]),
             helper.make_tensor("en", I64, [2], [-100, 4]),
             helper.make_tensor("ax", I64, [2], [1, -1]),
             helper.make_tensor("sp", I64, [2], [-2, 2]),
             helper.make_tensor("sizes", I64, [2], [1, 3])]
    save(model(nodes, [vi("x", [1, 6, 4, 5])],
               [vi("sl", None), vi("rev", None), vi("b", None)], inits),
         "slice_split.onnx")


def reduce_mean():
    """ReduceMean over the spatial axes, as torchvision's ShuffleNetV2 ends
    (x.mean([2, 3])), with and without keepdims; and one over channels,
    which is not supported."""
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=[2, 3],
                         keepdims=0),
        helper.make_node("ReduceMean", ["x"], ["k"], name="mean_keep",
                         axes=[-1, -2]),
    ]
    save(model(nodes, [vi("x", [1, 3, 4, 5])], [vi("m", None), vi("k", None)]),
         "reduce_mean.onnx")
    save(model([helper.make_node("ReduceMean", ["x"], ["y"], name="chmean",
                                 axes=[1])],
               [vi("x", [1, 3, 4, 5])], [vi("y", None)]),
         "reduce_mean_channels.onnx")


def shuffle():
    """Channel shuffles as torchvision's ShuffleNetV2 writes them: Reshape
    [N, g, C/g, H, W], Transpose (0, 2, 1, 3, 4), Reshape [N, C, H, W].
    The first (g = 3, after a conv) becomes one SHUFFLE node; the second
    (g = 2) does not, as its transposed tensor is also a graph output."""
    w = np.random.default_rng(7).standard_normal((6, 2, 3, 3)).astype(np.float32)
    I64 = TensorProto.INT64
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Reshape", ["c", "s5a"], ["r5a"], name="split_a"),
        helper.make_node("Transpose", ["r5a"], ["t5a"], name="swap_a",
                         perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["t5a", "s4"], ["y"], name="shuffle_a"),
        helper.make_node("Reshape", ["y", "s5b"], ["r5b"], name="split_b"),
        helper.make_node("Transpose", ["r5b"], ["t5b"], name="swap_b",
                         perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["t5b", "s4"], ["z"], name="shuffle_b"),
    ]
    inits = [t("w", w), helper.make_tensor("s5a", I64, [5], [1, 3, 2, 3, 4]),
             helper.make_tensor("s5b", I64, [5], [1, 2, 3, 3, 4]),
             helper.make_tensor("s4", I64, [4], [1, 6, 3, 4])]
    save(model(nodes, [vi("x", [1, 2, 3, 4])],
               [vi("z", None), vi("t5b", None)], inits), "shuffle.onnx")


def bad_models():
    save(model([helper.make_node("Erf", ["x"], ["y"], name="my_erf")],
               [vi("x", [1, 4])], [vi("y", None)]), "unsupported_op.onnx")
    w = np.zeros((4, 5, 3, 3), np.float32)
    save(model([helper.make_node("Conv", ["x", "w"], ["y"], name="bad_conv")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [t("w", w)]),
         "channel_mismatch.onnx")
    save(model([helper.make_node("Pad", ["x", "pads"], ["y"], name="refl",
                                 mode="reflect")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)],
               [t("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))]),
         "pad_reflect.onnx")
    save(model([helper.make_node("Relu", ["nope"], ["y"], name="lost")],
               [vi("x", [1, 4])], [vi("y", None)]), "unknown_tensor.onnx")
    save(model([helper.make_node("Add", ["a", "b"], ["y"], name="badd")],
               [vi("a", [1, 3, 4]), vi("b", [1, 5, 4])], [vi("y", None)]),
         "bad_broadcast.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
               [vi("x", [1, -4])], [vi("y", None)]), "negative_dim.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
               [vi("x", [1 << 30, 1 << 30, 1 << 30])], [vi("y", None)]),
         "huge_dims.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r8")],
               [vi("x", [1, 4], TensorProto.INT8)], [vi("y", None)]),
         "int8_input.onnx")


def hostile_external():
    """External data with a location outside the model's directory and
    with a negative offset: both are errors naming the initializer."""
    for name, loc, off in (("ext_escape.onnx", "../../etc/passwd", "0"),
                           ("ext_negative.onnx", "w.data", "-8")):
        w = TensorProto(name="w", data_type=F, dims=[4, 4])
        w.data_location = TensorProto.EXTERNAL
        for k, v in (("location", loc), ("offset", off), ("length", "64")):
            e = w.external_data.add()
            e.key, e.value = k, v
        save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [vi("x", [1, 4])], [vi("y", None)], [w]), name)


def torch_cnn():
    """A small PyTorch CNN exported at opset 11 with a dynamic batch: the
    exporter writes x.view(x.size(0), -1) as Shape/Gather/Unsqueeze/Concat.
    Saved twice: weights inside, and weights in an external data file."""
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(8 * 4 * 4, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.bn(self.conv(x))))
            return self.fc(x.view(x.size(0), -1))

    torch.manual_seed(0)
    net = Net().eval()
    path = os.path.join(HERE, "tiny_cnn.onnx")
    torch.onnx.export(net, torch.randn(1, 3, 8, 8), path, opset_version=11,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch_size"}})
    m = onnx.load(path)
    save(m, "tiny_cnn.onnx")
    onnx.save_model(m, os.path.join(HERE, "tiny_cnn_ext.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="tiny_cnn_ext.onnx.data", size_threshold=0)
    print("tiny_cnn_ext.onnx (+ .data)")


if __name__ == "__main__":
    conv_pool()
    reshapes()
    fold_chain()
    bn_fold()
    reshape_chain()
    identity_fuse()
    cast_round()
    slice_split()
    reduce_mean()
    shuffle()
    bad_models()
    hostile_external()
    torch_cnn()
