#!/usr/bin/python3
"""Export pimtune's benchmark workloads to ONNX (structure + external weights).

Every model gets random weights (torch.manual_seed(0); nothing is
downloaded), batch 1, opset 13, eval mode, constant folding on. The graph
is then re-saved so that NAME.onnx holds the structure (and the small
integer constants that shape operators need) while every float tensor goes
to NAME.onnx.data beside it. pimtune reads NAME.onnx alone as a
structure-only model.

Run it with Debian's interpreter, which sees python3-torch/-torchvision/-onnx:

    /usr/bin/python3 configs/workloads/export.py --out configs/workloads
    /usr/bin/python3 configs/workloads/export.py --out /tmp/w resnet18 tiny
    /usr/bin/python3 configs/workloads/export.py --out configs/workloads --check

--check exports nothing: it runs onnx.checker on the models found in --out
(with their weights when present) and prints the op-type tables of README.md.
"""

import argparse
import collections
import io
import os
import sys

import onnx
import onnx.checker
import onnx.numpy_helper
import torch
import torch.nn as nn
import torchvision.models as tvm

OPSET = 13


class VGG8(nn.Module):
    """The CIFAR-10 VGG-8 of PIM papers (e.g. the NeuroSim benchmarks).

    3x3 convs with padding 1 and ReLU, no batch norm:
      conv 3->128, conv 128->128, maxpool 2,
      conv 128->256, conv 256->256, maxpool 2,
      conv 256->512, conv 512->512, maxpool 2   (-> 512 x 4 x 4 = 8192)
      fc 8192->1024 + ReLU, fc 1024->10.
    Six convs and two fc layers: eight weight layers.
    """

    def __init__(self):
        super().__init__()
        layers = []
        cin = 3
        for cout, pool in ((128, False), (128, True), (256, False),
                           (256, True), (512, False), (512, True)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            if pool:
                layers.append(nn.MaxPool2d(2))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 4 * 4, 1024), nn.ReLU(inplace=True),
            nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class Tiny(nn.Module):
    """A few-layer net for fast tests; input 1x3x16x16.

    stem  conv 3->8 3x3 p1, BN, ReLU                  8x16x16
    dw    conv 8->8 3x3 p1 group 8 (depthwise), BN, ReLU
    pw    conv 8->8 1x1, BN
    add   stem + pw, ReLU
    pool  maxpool 2                                   8x8x8
    gconv conv 8->16 3x3 p1 group 2, ReLU             16x8x8
    gap   global average pool, flatten                16
    fc    16 -> 10
    """

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8,
                                          bias=False),
                                nn.BatchNorm2d(8), nn.ReLU())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.gconv = nn.Conv2d(8, 16, 3, padding=1, groups=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        s = self.stem(x)
        y = self.relu(s + self.pw(self.dw(s)))
        y = torch.relu(self.gconv(self.pool(y)))
        return self.fc(torch.flatten(self.gap(y), 1))


def _distinct_constants(model):
    """Give every BatchNorm and every all-zero bias its own random values.

    torch's exporter shares identical constant tensors and reads the copies
    through Identity nodes. Fresh models have many: zero-initialised biases
    (VGG, SqueezeNet, the fc layers) and, once the exporter has folded
    BatchNorm into the convs (it does so in eval mode), identical folded
    biases from the default statistics (mean 0, var 1, scale 1, shift 0).
    Distinct values keep the graphs free of such Identity nodes and make the
    folding visible in the weights.
    """
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(getattr(m, "bias", None), torch.Tensor) \
                    and not m.bias.any():
                m.bias.uniform_(-0.1, 0.1)
    return model


# name -> (constructor, input shape)
MODELS = collections.OrderedDict([
    ("resnet18", (lambda: tvm.resnet18(weights=None), (1, 3, 224, 224))),
    ("resnet34", (lambda: tvm.resnet34(weights=None), (1, 3, 224, 224))),
    ("resnet50", (lambda: tvm.resnet50(weights=None), (1, 3, 224, 224))),
    ("vgg16", (lambda: tvm.vgg16(weights=None), (1, 3, 224, 224))),
    ("googlenet", (lambda: tvm.googlenet(weights=None, aux_logits=False,
                                          init_weights=True,
                                          transform_input=False),
                   (1, 3, 224, 224))),
    ("squeezenet1_0", (lambda: tvm.squeezenet1_0(weights=None),
                       (1, 3, 224, 224))),
    ("mobilenet_v2", (lambda: tvm.mobilenet_v2(weights=None), (1, 3, 224, 224))),
    ("alexnet", (lambda: tvm.alexnet(weights=None), (1, 3, 224, 224))),
    ("shufflenet_v2_x1_0", (lambda: tvm.shufflenet_v2_x1_0(weights=None),
                            (1, 3, 224, 224))),
    ("vgg8", (VGG8, (1, 3, 32, 32))),
    ("tiny", (Tiny, (1, 3, 16, 16))),
])


def _keep_int_tensors_inline(model):
    # onnx.save_model(save_as_external_data=True) moves every tensor held in
    # raw_data. Integer initializers are structure, not weights (Reshape
    # targets, Pad amounts...), and a structure-only reader needs them: store
    # them in the typed int fields, which the external-data pass leaves alone.
    for t in model.graph.initializer:
        if t.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32) \
                and t.HasField("raw_data"):
            arr = onnx.numpy_helper.to_array(t)
            t.ClearField("raw_data")
            if t.data_type == onnx.TensorProto.INT64:
                t.int64_data.extend(int(v) for v in arr.flatten())
            else:
                t.int32_data.extend(int(v) for v in arr.flatten())


def export(name, outdir):
    ctor, shape = MODELS[name]
    torch.manual_seed(0)
    model = _distinct_constants(ctor()).eval()
    x = torch.randn(*shape)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, x, buf, opset_version=OPSET,
                          do_constant_folding=True,
                          input_names=["input"], output_names=["output"])
    m = onnx.load_from_string(buf.getvalue())
    m.graph.name = name
    _keep_int_tensors_inline(m)
    path = os.path.join(outdir, name + ".onnx")
    data = name + ".onnx.data"
    if os.path.exists(os.path.join(outdir, data)):
        os.remove(os.path.join(outdir, data))  # onnx appends to it otherwise
    onnx.save_model(m, path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location=data,
                    size_threshold=0)
    print("wrote %s (%d bytes) and %s (%d bytes)" % (
        path, os.path.getsize(path), os.path.join(outdir, data),
        os.path.getsize(os.path.join(outdir, data))))


def check(names, outdir):
    """Run the checker and print the op-type tables (markdown)."""
    ops = {}
    rows = []
    for name in names:
        path = os.path.join(outdir, name + ".onnx")
        if not os.path.exists(path):
            continue
        has_data = os.path.exists(os.path.join(outdir, name + ".onnx.data"))
        m = onnx.load(path, load_external_data=has_data)
        # Check the proto, not the path: with full_check, onnx 1.12 writes
        # the inferred shapes back into a file it is given by path.
        onnx.checker.check_model(m, full_check=True)
        if has_data:
            m = onnx.load(path, load_external_data=False)
        ops[name] = collections.Counter(n.op_type for n in m.graph.node)
        nparam = 0
        for t in m.graph.initializer:
            if t.data_type == onnx.TensorProto.FLOAT:
                k = 1
                for d in t.dims:
                    k *= d
                nparam += k
        dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
        rows.append((name, "x".join(map(str, dims)), len(m.graph.node), nparam,
                     os.path.getsize(path),
                     os.path.getsize(os.path.join(outdir, name + ".onnx.data"))
                     if has_data else None))
    print("| model | input | nodes | float params | .onnx bytes | .onnx.data bytes |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %d | %d | %d | %s |" % (r[:5] + (
            "-" if r[5] is None else str(r[5]),)))
    print()
    print("| model | op types (count) |")
    print("|---|---|")
    for name, c in ops.items():
        print("| %s | %s |" % (name, ", ".join(
            "%s %d" % (k, v) for k, v in sorted(c.items()))))
    print()
    allops = sorted(set().union(*ops.values())) if ops else []
    print("| op type | used by |")
    print("|---|---|")
    for op in allops:
        print("| %s | %s |" % (op, ", ".join(n for n in ops if op in ops[n])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--check", action="store_true",
                    help="check the models in --out and print op-type tables")
    ap.add_argument("models", nargs="*", help="subset of: " + " ".join(MODELS))
    args = ap.parse_args()
    names = args.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit("export.py: unknown model '%s' (known: %s)"
                     % (n, " ".join(MODELS)))
    if args.check:
        check(names, args.out)
        return
    os.makedirs(args.out, exist_ok=True)
    for n in names:
        export(n, args.out)


if __name__ == "__main__":
    main()
