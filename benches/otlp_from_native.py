#!/usr/bin/env python3
"""Converts shadowgate-native JSON Lines (v1.jsonl, v2.jsonl from `shadowgate generate`) into one
OTLP/JSON file exporter output holding both versions, for the OTLP ingest benchmark in
BENCHMARKS.md: 100 server spans per line, service.version 1.0.0 / 2.0.0, plus one edge-proxy
CLIENT span per 5 requests that the preset's select leaves out.

    python3 benches/otlp_from_native.py DIR   # reads DIR/v1.jsonl, DIR/v2.jsonl, writes DIR/traces.otlp.jsonl
"""
import hashlib
import json
import sys
from datetime import datetime

d = sys.argv[1]


def ns(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000) * 1_000_000


def attr(k, v):
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    if isinstance(v, float):
        return {"key": k, "value": {"doubleValue": v}}
    return {"key": k, "value": {"stringValue": v}}


def resource(version):
    return {"attributes": [attr("service.name", "validator"), attr("service.version", version), attr("host.name", "validator-0")]}


with open(f"{d}/traces.otlp.jsonl", "w") as out:
    for v, version in ((1, "1.0.0"), (2, "2.0.0")):
        batch, proxy = [], []
        with open(f"{d}/v{v}.jsonl") as f:
            for i, line in enumerate(f):
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                start = ns(r["timestamp"])
                end = start + int(round(r["latency_ms"] * 1e6))
                a = [attr("http.request.method", "POST"), attr("http.route", "/v1/validate"),
                     attr("http.response.status_code", 200 if r["status"] == "ok" else 503)]
                if r.get("result") is not None:
                    a.append(attr("validation.result", json.dumps(r["result"], separators=(",", ":"))))
                if r.get("error_code"):
                    a.append(attr("error.type", r["error_code"]))
                for k, name in (("cpu_ms", "process.cpu.time_ms"), ("memory_mb", "process.memory.usage_mb"), ("net_bytes", "http.response.body.size")):
                    if r.get(k) is not None:
                        a.append(attr(name, r[k]))
                trace = r["correlation_id"]
                batch.append({"traceId": trace, "spanId": hashlib.md5(f"{trace}{v}".encode()).hexdigest()[:16], "name": "POST /v1/validate",
                              "kind": 2, "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": a,
                              "status": {} if r["status"] == "ok" else {"code": 2}})
                if v == 1 and i % 5 == 0:
                    proxy.append({"traceId": trace, "spanId": hashlib.md5(f"{trace}p".encode()).hexdigest()[:16], "name": "egress",
                                  "kind": 3, "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": [], "status": {}})
                if len(batch) == 100:
                    out.write(json.dumps({"resourceSpans": [{"resource": resource(version), "scopeSpans": [{"scope": {"name": "servlet"}, "spans": batch}]}]}, separators=(",", ":")) + "\n")
                    batch = []
                if len(proxy) == 100:
                    out.write(json.dumps({"resourceSpans": [{"resource": {"attributes": [attr("service.name", "edge-proxy")]}, "scopeSpans": [{"scope": {"name": "envoy"}, "spans": proxy}]}]}, separators=(",", ":")) + "\n")
                    proxy = []
        for spans, res in ((batch, resource(version)), (proxy, {"attributes": [attr("service.name", "edge-proxy")]})):
            if spans:
                out.write(json.dumps({"resourceSpans": [{"resource": res, "scopeSpans": [{"scope": {"name": "servlet"}, "spans": spans}]}]}, separators=(",", ":")) + "\n")
