"""Independent reference for the fixture percentiles test (tests/outputs.rs).

Reads fixtures/shadow/v{1,2}.jsonl with Python's json module, applies DESIGN.md section 2's rules
(skip malformed lines; drop rows with a missing id, a bad latency, timestamp or status; keep the
earliest row per correlation id), and writes NumPy's default (type 7, "linear") quantiles and the
mean of latency_ms per version to tests/data/fixture_percentiles.json.

Run by hand from the repository root after regenerating the fixtures:
    python3 scripts/fixture_percentiles.py
"""
import json
import math
from datetime import datetime

import numpy as np


def ts_ms(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str) and v.strip():
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000.0
        except ValueError:
            return None
    return None


def load(path):
    best = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(row, dict):
                continue
            cid = row.get("correlation_id")
            lat = row.get("latency_ms")
            t = ts_ms(row.get("timestamp"))
            st = row.get("status")
            if not isinstance(cid, str) or not cid.strip():
                continue
            if not isinstance(lat, (int, float)) or isinstance(lat, bool) or not math.isfinite(lat) or lat < 0:
                continue
            if t is None or not isinstance(st, str) or not st.strip():
                continue
            cid = cid.strip()
            if cid not in best:
                best[cid] = (t, float(lat))
                order.append(cid)
            elif t < best[cid][0]:
                best[cid] = (t, float(lat))
    return np.array([best[c][1] for c in order])


out = {"generated_with": {"numpy": np.__version__}, "method": "numpy.quantile(method='linear')"}
for v in ("v1", "v2"):
    x = load(f"fixtures/shadow/{v}.jsonl")
    qs = np.quantile(x, [0.5, 0.9, 0.95, 0.99])
    out[v] = {"n": int(len(x)), "p50": float(qs[0]), "p90": float(qs[1]), "p95": float(qs[2]), "p99": float(qs[3]), "mean": float(np.mean(x))}
with open("tests/data/fixture_percentiles.json", "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print("wrote tests/data/fixture_percentiles.json", {k: out[k]["n"] for k in ("v1", "v2")})
