"""Independent check of HT layer grouping.

Reads the ONNX model with the onnx package and the JSON of
`pimtune compile --mode ht --json`, and checks that within every group the
longest chain of dependent weight layers (a path in the graph through any
nodes) takes at most one period: sum of the chain's rounds <= the largest
rounds of any layer. Prints the number of groups and exits 1 on a
violation.
Usage: check_groups.py MODEL.onnx COMPILE.json
"""
import json
import sys

import onnx


def main():
    model = onnx.load(sys.argv[1], load_external_data=False)
    info = json.load(open(sys.argv[2]))
    layers = {r["layer"]: r for r in info["replication"]}
    period = max(r["rounds"] for r in layers.values())
    producer = {}
    for n in model.graph.node:
        for o in n.output:
            producer[o] = n
    # longest[name][group]: the longest chain of weight layers of `group`
    # ending at node `name` (only layers of that group count).
    longest = {}
    worst = 0
    for n in model.graph.node:
        best = {}
        for i in n.input:
            p = producer.get(i)
            if p is None:
                continue
            for g, t in longest.get(p.name, {}).items():
                best[g] = max(best.get(g, 0), t)
        if n.name in layers:
            r = layers[n.name]
            g = r["group"]
            best[g] = best.get(g, 0) + r["rounds"]
            worst = max(worst, best[g])
            if best[g] > period:
                print(f"group {g}: a chain ending at {n.name} takes "
                      f"{best[g]} rounds, the period is {period}")
                sys.exit(1)
        longest[n.name] = best
    groups = len({r["group"] for r in layers.values()})
    print(f"{groups} groups, longest chain {worst} of period {period}")


main()
