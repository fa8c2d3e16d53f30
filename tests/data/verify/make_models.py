#!/usr/bin/python3
"""Generate the small ONNX models used by tests/unit/test_execute.c.

Run with Debian's python (python3-onnx, python3-numpy):
    /usr/bin/python3 tests/data/verify/make_models.py
The outputs are committed (weights inline); tests never run python.

convnet.onnx: the weight layers in every shape the partitioner handles:
  3x3 conv (pad 1) + ReLU, a grouped conv with stride 2, dilation (2, 1)
  and asymmetric padding, a depthwise 3x3 + Clip(0, 6), a 1x1 conv with
  bias added to the grouped conv's output, a 2x3 conv, flatten of a 4x4
  map (so the fc's rows are permuted from CHW to HWC order), Gemm with
  transB = 1 + ReLU, MatMul with a constant, Softmax.
vecops.onnx: the vector layers: LRN, Split into two channel slices,
  channel shuffle, Concat, Sigmoid, Tanh, HardSwish, HardSigmoid,
  LeakyRelu, element-wise ops with per-channel and scalar constants and a
  per-channel activation (squeeze-excitation), AveragePool with ceil mode
  and count_include_pad = 0, MaxPool, GlobalMaxPool, Softmax.
pad.onnx: conv, Pad (constant 0.5, asymmetric), conv.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT
rng = np.random.default_rng(7)


def w(*shape, scale=None):
    fan = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    s = scale if scale is not None else np.sqrt(2.0 / fan)
    return (rng.standard_normal(shape) * s).astype(np.float32)


def save(nodes, inputs, outputs, inits, name, opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs,
                          initializer=[numpy_helper.from_array(v, k)
                                       for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="pimtune-tests")
    m.ir_version = 7
    onnx.checker.check_model(m)
    path = os.path.join(HERE, name)
    onnx.save(m, path)
    print(name, os.path.getsize(path), "bytes")


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def convnet():
    N = helper.make_node
    inits = {
        "w1": w(8, 4, 3, 3), "b1": w(8, scale=0.1),
        "w2": w(8, 4, 3, 3),                       # group 2
        "w3": w(8, 1, 3, 3), "b3": w(8, scale=0.1),  # depthwise
        "w4": w(8, 8, 1, 1), "b4": w(8, scale=0.1),
        "w5": w(6, 8, 2, 3), "b5": w(6, scale=0.1),
        "fc1": w(16, 144, scale=0.1), "fb1": w(16, scale=0.1),
        "fc2": w(16, 10, scale=0.3),
        "lo": np.array(0, np.float32), "hi": np.array(6, np.float32),
    }
    nodes = [
        N("Conv", ["x", "w1", "b1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
        N("Relu", ["c1"], ["r1"], name="r1"),
        N("Conv", ["r1", "w2"], ["c2"], name="c2", group=2, strides=[2, 2],
          dilations=[2, 1], pads=[2, 1, 2, 1]),
        N("Conv", ["c2", "w3", "b3"], ["c3"], name="c3", group=8,
          pads=[1, 1, 1, 1]),
        N("Clip", ["c3", "lo", "hi"], ["r3"], name="r3"),
        N("Conv", ["r3", "w4", "b4"], ["c4"], name="c4"),
        N("Add", ["c4", "c2"], ["a4"], name="a4"),
        N("Conv", ["a4", "w5", "b5"], ["c5"], name="c5", pads=[0, 0, 1, 0]),
        N("Flatten", ["c5"], ["f"], name="flatten"),
        N("Gemm", ["f", "fc1", "fb1"], ["g1"], name="fc1", transB=1),
        N("Relu", ["g1"], ["r6"], name="r6"),
        N("MatMul", ["r6", "fc2"], ["g2"], name="fc2"),
        N("Softmax", ["g2"], ["y"], name="softmax", axis=1),
    ]
    # x 12x12 -> c1 12x12 -> c2 6x6 -> c3 6x6 -> c5 (6+1-2+1) x (6-3+1)
    # = 6x4, flatten 6 * 6 * 4 = 144
    save(nodes, [vi("x", [1, 4, 12, 12])], [vi("y", [1, 10])], inits,
         "convnet.onnx")


def vecops():
    N = helper.make_node
    inits = {
        "w1": w(8, 3, 3, 3), "b1": w(8, scale=0.1),
        "chan": w(1, 8, 1, 1, scale=0.5), "half": np.array(0.5, np.float32),
        "ws": w(8, 8, 1, 1), "bs": w(8, scale=0.1),
        "w2": w(12, 8, 1, 1),
        "split": np.array([3, 5], np.int64),
        "shp1": np.array([1, 2, 4, 9, 9], np.int64),
        "shp2": np.array([1, 8, 9, 9], np.int64),
    }
    nodes = [
        N("Conv", ["x", "w1", "b1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
        N("LeakyRelu", ["c1"], ["l1"], name="leaky", alpha=0.1),
        N("LRN", ["l1"], ["n1"], name="lrn", size=3, alpha=0.01, beta=0.75,
          bias=1.5),
        N("MaxPool", ["n1"], ["m1"], name="maxpool", kernel_shape=[2, 2],
          strides=[1, 1], pads=[1, 1, 1, 1]),
        # channel shuffle with 2 groups: reshape, transpose, reshape
        N("Reshape", ["m1", "shp1"], ["s1"], name="shuf_r1"),
        N("Transpose", ["s1"], ["s2"], name="shuf_t", perm=[0, 2, 1, 3, 4]),
        N("Reshape", ["s2", "shp2"], ["s3"], name="shuf_r2"),
        N("Split", ["s3", "split"], ["sa", "sb"], name="split", axis=1),
        N("Sigmoid", ["sa"], ["ta"], name="sigmoid"),
        N("Tanh", ["sb"], ["tb"], name="tanh"),
        N("Concat", ["tb", "ta"], ["cc"], name="concat", axis=1),
        N("Mul", ["cc", "chan"], ["mc"], name="mulchan"),
        N("Add", ["mc", "half"], ["ah"], name="addhalf"),
        N("HardSwish", ["ah"], ["hs"], name="hardswish"),
        # squeeze-excitation: per-channel activation scale
        N("GlobalAveragePool", ["hs"], ["gp"], name="gap"),
        N("Conv", ["gp", "ws", "bs"], ["se"], name="se"),
        N("HardSigmoid", ["se"], ["sg"], name="hsig", alpha=0.3, beta=0.4),
        N("Mul", ["hs", "sg"], ["ex"], name="excite"),
        N("Sub", ["ex", "hs"], ["d1"], name="sub"),
        N("Div", ["d1", "half"], ["d2"], name="div"),
        N("AveragePool", ["d2"], ["ap"], name="avgpool", kernel_shape=[2, 2],
          strides=[2, 2], pads=[1, 1, 0, 0], ceil_mode=1,
          count_include_pad=0),
        N("Conv", ["ap", "w2"], ["c2"], name="c2"),
        N("GlobalMaxPool", ["c2"], ["gm"], name="gmp"),
        N("Flatten", ["gm"], ["fl"], name="flatten"),
        N("Softmax", ["fl"], ["y"], name="softmax", axis=1),
    ]
    save(nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, 12])], inits,
         "vecops.onnx", opset=14)  # HardSwish


def pad():
    N = helper.make_node
    inits = {
        "w1": w(4, 3, 1, 1), "w2": w(4, 4, 3, 3),
        "pads": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64),
        "value": np.array(0.5, np.float32),
    }
    nodes = [
        N("Conv", ["x", "w1"], ["c1"], name="c1"),
        N("Pad", ["c1", "pads", "value"], ["p1"], name="pad",
          mode="constant"),
        N("Conv", ["p1", "w2"], ["y"], name="c2"),
    ]
    save(nodes, [vi("x", [1, 3, 6, 6])], [vi("y", [1, 4, 7, 7])], inits,
         "pad.onnx")


convnet()
vecops()
pad()
