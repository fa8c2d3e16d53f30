"""Independent count of im2col crossbars and MACs of an ONNX model.

Reads the model with the onnx package (its own parser and shape inference,
none of pimtune's code) and prints one JSON object:
{"weight_layers": n, "crossbars": n, "macs": n, "layers": [[name, xbars], ...]}
Usage: count_crossbars.py MODEL.onnx XBAR_ROWS XBAR_COLS
"""
import json
import math
import sys

import onnx
from onnx import shape_inference


def main():
    path, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    model = onnx.load(path, load_external_data=False)
    model = shape_inference.infer_shapes(model)
    g = model.graph
    inits = {t.name: list(t.dims) for t in g.initializer}
    shapes = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    # onnx's inference stops at computed slices (shufflenet); the spatial
    # size is all the count needs, so propagate it where it is missing:
    # convs and pools change it, global pools end it, the rest keep it.
    spatial = {i.name: shapes[i.name][-2:] for i in g.input
               if len(shapes.get(i.name, [])) == 4}
    for n in g.node:
        attrs = {a.name: a for a in n.attribute}
        src = next((spatial[i] for i in n.input if i in spatial), None)
        if n.op_type in ("Conv", "MaxPool", "AveragePool") and src:
            k = list(attrs["kernel_shape"].ints) if "kernel_shape" in attrs \
                else inits[n.input[1]][2:]
            st = list(attrs["strides"].ints) if "strides" in attrs else [1, 1]
            pd = list(attrs["pads"].ints) if "pads" in attrs else [0] * 4
            dl = list(attrs["dilations"].ints) if "dilations" in attrs else [1, 1]
            ceil = "ceil_mode" in attrs and attrs["ceil_mode"].i
            out = []
            for a in range(2):
                span = src[a] + pd[a] + pd[a + 2] - dl[a] * (k[a] - 1) - 1
                q = -(-span // st[a]) if ceil else span // st[a]
                out.append(q + 1)
            for o in n.output:
                spatial[o] = out
        elif n.op_type in ("GlobalAveragePool", "ReduceMean", "Flatten", "Gemm"):
            continue
        elif src:
            for o in n.output:
                spatial[o] = src
    layers, total_x, total_macs = [], 0, 0
    for n in g.node:
        if n.op_type == "Conv":
            o, ig, kh, kw = inits[n.input[1]]
            group = next((a.i for a in n.attribute if a.name == "group"), 1)
            h, w = ig * kh * kw, o // group
            # Group matrices smaller than an array are packed
            # block-diagonally: the largest divisor of the group count up
            # to what fits one array (docs/config.md, "Counting crossbars").
            fit = min(rows // h, cols // w) if h < rows and w < cols else 1
            pack = max([d for d in range(1, min(fit, group) + 1)
                        if group % d == 0])
            h, w = h * pack, w * pack
            x = group // pack * math.ceil(h / rows) * math.ceil(w / cols)
            out = shapes.get(n.output[0], [])
            hw = out[2:] if len(out) == 4 and all(out) else spatial[n.output[0]]
            macs = hw[0] * hw[1] * o * ig * kh * kw
        elif n.op_type in ("Gemm", "MatMul") and n.input[1] in inits:
            trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
            wd = inits[n.input[1]]
            i, o = (wd[1], wd[0]) if trans_b else (wd[0], wd[1])
            x = math.ceil(i / rows) * math.ceil(o / cols)
            xin = shapes.get(n.input[0])
            vectors = math.prod(xin[1:]) // i if xin else 1
            macs = vectors * i * o
        else:
            continue
        layers.append([n.name, x])
        total_x += x
        total_macs += macs
    print(json.dumps({"weight_layers": len(layers), "crossbars": total_x,
                      "macs": total_macs, "layers": layers}))


main()
