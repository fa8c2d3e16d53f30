#!/usr/bin/python3
"""Expected output of configs/workloads/tiny.onnx for test_reference.c.

An evaluator independent of pimtune: the ONNX graph is walked node by node
and each op is computed with torch.nn.functional in float64 on the
initializers as onnx.numpy_helper reads them. The input is a fixed
pseudo-random tensor (numpy seed 0, uniform in [-1, 1)).

Writes tiny_input.pb and tiny_output.pb (serialized onnx TensorProto)
beside this script. Run with Debian's interpreter, which has python3-onnx
and python3-torch:

    /usr/bin/python3 tests/data/reference/make_tiny_expect.py
"""
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "..", "configs", "workloads", "tiny.onnx")


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    pads = a.get("pads", [0, 0, 0, 0])
    if pads[0] != pads[2] or pads[1] != pads[3]:
        x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
        pads = [0, 0, 0, 0]
    return F.conv2d(x, w, b, stride=a.get("strides", 1),
                    padding=(pads[0], pads[1]),
                    dilation=a.get("dilations", 1), groups=a.get("group", 1))


def run(model, x):
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float64))
           for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = attrs(n)
        i = [env[k] if k else None for k in n.input]
        op = n.op_type
        if op == "Conv":
            y = conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "MaxPool":
            assert a.get("pads", [0] * 4) == [0] * 4
            y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides"),
                             ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "GlobalAveragePool":
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Gemm":
            w = i[1].t() if a.get("transB", 0) else i[1]
            assert not a.get("transA", 0)
            y = a.get("alpha", 1.0) * (i[0] @ w) + a.get("beta", 1.0) * i[2]
        else:
            raise SystemExit("make_tiny_expect.py: op %s not handled" % op)
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


def main():
    model = onnx.load(MODEL)  # reads tiny.onnx.data beside it
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.RandomState(0).uniform(-1, 1, dims).astype(np.float32)
    y = run(model, torch.from_numpy(x.astype(np.float64))).numpy()
    for name, arr in (("tiny_input.pb", x), ("tiny_output.pb", y.astype(np.float32))):
        t = numpy_helper.from_array(arr, name=name[5:-3])
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(t.SerializeToString())
    print("output", y.ravel())


if __name__ == "__main__":
    main()
