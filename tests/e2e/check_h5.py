"""Read a pimtune results file with h5py (a stock HDF5 reader) and check
it against `pimtune show --json` and `pimtune export --format json`:
the Pareto front and its attributes, and the instruction streams of one
point. Usage: check_h5.py FILE.h5 SHOW.json PROGRAM.json RUN POINT"""
import json
import sys

import h5py
import numpy as np

path, show_path, prog_path, run, point = sys.argv[1:6]
show = json.load(open(show_path))
prog = json.load(open(prog_path))
errors = []

with h5py.File(path, "r") as f:
    for k in ("pimtune_version", "command_line", "seed", "created", "kind"):
        if k not in f.attrs:
            errors.append(f"file attribute {k} missing")
    r = f["runs"][run]
    if r.attrs["complete"] != 1:
        errors.append("run not complete")
    srun = [x for x in show["runs"] if x["id"] == run][0]
    # The front: N x K float64 with names, units, directions.
    obj = r["pareto/objectives"]
    if obj.dtype != np.float64 or obj.ndim != 2:
        errors.append(f"objectives: {obj.dtype} rank {obj.ndim}")
    names = [str(x) for x in obj.attrs["names"]]
    dirs = [str(x) for x in obj.attrs["directions"]]
    if len(names) != obj.shape[1] or len(obj.attrs["units"]) != obj.shape[1]:
        errors.append("names/units do not match the columns")
    if any(d not in ("max", "min") for d in dirs):
        errors.append(f"directions {dirs}")
    if names != srun["objectives"]["names"]:
        errors.append(f"names {names} != show {srun['objectives']['names']}")
    # JSON numbers carry 15-17 digits: equal to the last unit or so.
    if not np.allclose(obj[()], np.array(srun["objectives"]["values"]).reshape(obj.shape), rtol=1e-14, atol=0):
        errors.append("front values differ from show --json")
    if r["pareto/replication"].shape[0] != obj.shape[0]:
        errors.append("one decision vector per front point expected")
    # The streams of the point against the exported JSON.
    g = r["points"][point]
    if g.attrs["same_as"] >= 0:
        g = r["points"][str(g.attrs["same_as"])]
    p = g["program"]
    nodes = [x.decode() if isinstance(x, bytes) else x for x in r["nodes"][()]]
    opname = {v: k for k, v in h5py.check_enum_dtype(p["core0"].dtype["op"]).items()}
    vopname = {v: k for k, v in h5py.check_enum_dtype(p["core0"].dtype["vop"]).items()}
    cores = prog["cores"]
    if len(cores) != p.attrs["ncores"]:
        errors.append(f"{len(cores)} cores exported, {p.attrs['ncores']} stored")
    total = 0
    for c in cores:
        t = p[f"core{c['core']}"][()]
        ins = c["instructions"]
        total += len(ins)
        if len(t) != len(ins):
            errors.append(f"core {c['core']}: {len(t)} stored, {len(ins)} exported")
            continue
        for row, i in zip(t, ins):
            if opname[row["op"]] != i["op"]:
                errors.append(f"core {c['core']}: op {opname[row['op']]} != {i['op']}")
                break
            if i["op"] == "vec" and vopname[row["vop"]] != i["vop"]:
                errors.append(f"core {c['core']}: vop differs")
                break
            if "len" in i and row["len"] != i["len"]:
                errors.append(f"core {c['core']}: len differs")
                break
            if "dst" in i and row["dst"] != i["dst"]:
                errors.append(f"core {c['core']}: dst differs")
                break
            if ("node" in i) != (row["node"] >= 0) or ("node" in i and nodes[row["node"]] != i["node"]):
                errors.append(f"core {c['core']}: node differs")
                break
        if c["peak_local_bytes"] != p[f"core{c['core']}"].attrs["peak_local_bytes"]:
            errors.append(f"core {c['core']}: peak_local_bytes differs")
    spoint = srun["points"][int(point)]
    if spoint.get("same_as", -1) >= 0:
        spoint = srun["points"][spoint["same_as"]]
    if spoint["instructions"] != total:
        errors.append(f"show says {spoint['instructions']} instructions, export {total}")
    rep = g["report"]
    for k in ("throughput_sps", "energy_j", "latency_s"):
        if k not in rep.attrs:
            errors.append(f"report attribute {k} missing")
    if rep["per_core"].shape[0] != p.attrs["ncores"]:
        errors.append("per_core table: one row per core expected")

for e in errors[:20]:
    print("FAIL:", e)
print(f"{len(errors)} problems")
sys.exit(1 if errors else 0)
