"""Check a `pimtune export --format pimsim` directory against the format
the pimsim-nn simulator reads (../shared/pimsim-format.md, its exporter
checklist): the instruction file's fields, one stream per core, send/recv
pairing per channel, registers, the chip config and a complete NoC table.
Usage: check_pimsim.py DIR"""
import json
import os
import sys
from collections import defaultdict

d = sys.argv[1]
inst = json.load(open(os.path.join(d, "instructions.json")))
arch = json.load(open(os.path.join(d, "arch.json")))
errors = []

SCALAR = {"sldi", "sld", "sadd", "ssub", "smul", "saddi", "smuli"}
MATRIX = {"setbw", "mvmul"}
VECTOR = {"vvadd", "vvsub", "vvmul", "vvdmul", "vvmax", "vvsll", "vvsra",
          "vavg", "vrelu", "vtanh", "vsigm", "vmv", "vrsu", "vrsl"}
TRANSFER = {"ld", "st", "lldi", "lmv", "send", "recv", "wait", "sync"}
OPS = SCALAR | MATRIX | VECTOR | TRANSFER | {"nop"}

cfg = inst.get("config")
if not isinstance(cfg, dict) or not isinstance(cfg.get("core_cnt"), int):
    sys.exit("FAIL: config.core_cnt missing")
n = cfg["core_cnt"]
agmap = cfg.get("array_group_map")
if not isinstance(agmap, dict):
    errors.append("config.array_group_map missing")
    agmap = {}
for c in range(n):
    if f"core{c}" not in inst:
        errors.append(f"core{c} missing (core_cnt {n})")
sends = defaultdict(list)
recvs = defaultdict(list)
for c in range(n):
    prog = inst.get(f"core{c}", [])
    if not prog:
        errors.append(f"core{c}: empty instruction list")
        continue
    if prog[0].get("op") != "setbw" or prog[0].get("ibiw", 0) <= 0:
        errors.append(f"core{c}: does not start with setbw")
    if prog[-1].get("op") in SCALAR or prog[-1].get("op") == "setbw":
        errors.append(f"core{c}: ends with a scalar instruction")
    nag = len(agmap.get(f"core{c}", []))
    for k, i in enumerate(prog):
        op = i.get("op")
        if op not in OPS:
            errors.append(f"core{c}[{k}]: unknown op {op}")
            break
        for f, v in i.items():
            if f in ("op", "pimtune_op"):
                continue
            if not isinstance(v, int) or isinstance(v, bool):
                errors.append(f"core{c}[{k}]: field {f} is not an integer")
        for r in ("rd", "rs1", "rs2"):
            if not 0 <= i.get(r, 0) < 32:
                errors.append(f"core{c}[{k}]: register {r}={i[r]} out of 0..31")
        if op == "mvmul" and not 0 <= i.get("group", 0) < nag:
            errors.append(f"core{c}[{k}]: group {i.get('group')} but {nag} AGs")
        if op == "send":
            if i.get("rd") != i.get("rs1"):
                errors.append(f"core{c}[{k}]: send rd != rs1")
            if not 0 <= i["core"] < n or i["core"] == c:
                errors.append(f"core{c}[{k}]: send to core {i['core']}")
            sends[(c, i["core"])].append(i["size"])
        if op == "recv":
            recvs[(i["core"], c)].append(i["size"])
        if op in ("ld", "st"):
            pair = i["rs1"] if op == "ld" else i["rd"]
            if pair % 2:
                errors.append(f"core{c}[{k}]: global address in odd register pair")
        if op == "lmv" and i.get("len") != i.get("size"):
            errors.append(f"core{c}[{k}]: lmv len != size")
if len(errors) > 20:
    errors = errors[:20]
for ch in set(sends) | set(recvs):
    if sends[ch] != recvs[ch]:
        errors.append(f"channel {ch}: sends {len(sends[ch])} and recvs "
                      f"{len(recvs[ch])} do not pair (sizes in order)")
        break
# Chip config and NoC table.
cc = arch.get("chip_config", {})
if cc.get("core_cnt") != n:
    errors.append(f"arch core_cnt {cc.get('core_cnt')} != {n}")
gm = cc.get("global_memory_switch_id")
if cc.get("core_config", {}).get("global_memory_switch_id") != gm:
    errors.append("global_memory_switch_id differs between chip and core")
if "sim_config" not in arch:
    errors.append("sim_config missing")
net = cc.get("network_config", {}).get("net_config_file_path", "")
npath = os.path.join(d, net)
if not os.path.exists(npath):
    errors.append(f"NoC file {net} missing")
else:
    noc = json.load(open(npath))
    nodes = [str(x) for x in list(range(n)) + [gm]]
    for key in ("latency", "energy"):
        t = noc.get(key, {})
        missing = [(s, dd) for s in nodes for dd in nodes
                   if s != dd and not isinstance(t.get(s, {}).get(dd), (int, float))]
        if missing:
            errors.append(f"NoC {key}: {len(missing)} pairs missing, e.g. {missing[0]}")
        elif any(t[s][dd] <= 0 for s in nodes for dd in nodes if s != dd):
            errors.append(f"NoC {key}: a pair between different nodes is free")

for e in errors:
    print("FAIL:", e)
print(f"{n} cores, {sum(len(v) for v in sends.values())} transfers; {len(errors)} problems")
sys.exit(1 if errors else 0)
