#!/usr/bin/env python3
"""Writes fixtures/telemetry/: the same shadow-mode requests in shadowgate's own JSON Lines and
as OpenTelemetry OTLP/JSON, Jaeger JSON, Zipkin v2 JSON, Envoy JSON access logs and nginx JSON
access logs, each laid out as its public documentation describes:

- OTLP/JSON (opentelemetry-proto, collector file exporter): one {"resourceSpans": [...]} per line,
  resource and scope nesting, attribute values as {"stringValue": ...} / {"intValue": "200"},
  times in nanoseconds as strings, kind as a number (2 = SERVER), status {"code": 2} on errors.
- Jaeger JSON (UI download / query API): {"data": [{"traceID", "spans", "processes"}]}, tags as
  [{"key", "type", "value"}], startTime and duration in microseconds.
- Zipkin v2: an array of spans, kind "SERVER", timestamp and duration in microseconds, string tags.
- Envoy: the fields of the default format as a JSON access log; duration in ms, START_TIME RFC 3339.
- nginx: a JSON log_format with escape=json: every value a string, $msec and $request_time in s.

Each trace holds V1's and V2's server span of the validator (shadow mode: the mirrored request
keeps the trace context), plus spans that are not the requests under test: the edge proxy's
CLIENT span, and an INTERNAL span in some traces. The presets' [input] select leaves those out.

Latencies are whole milliseconds and timestamps whole milliseconds, so every format holds the
requests exactly and the verdicts can be compared. Run from the repository root:
    python3 scripts/make_telemetry_fixtures.py
"""
import hashlib
import json
import math
import os
import random
from datetime import datetime, timezone

N = 400
T0_MS = 1_764_460_800_000  # 2025-11-30T00:00:00Z
OUT = "fixtures/telemetry"
VERSIONS = {1: "1.0.0", 2: "2.0.0"}

rng = random.Random(20261201)


def rfc3339(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def requests():
    out = []
    for i in range(N):
        trace = hashlib.md5(f"trace-{i}".encode()).hexdigest()
        ts1 = T0_MS + i * 150 + rng.randint(0, 40)
        base = max(1, round(math.exp(rng.gauss(math.log(40), 0.5))))
        kind = rng.random()
        client_error = kind < 0.05  # 422: the caller's mistake, not the service's
        violations = [] if rng.random() < 0.8 else ["postcode_format"]
        result1 = {"valid": not violations, "violations": violations, "rule_set": "2026.11"}
        rows = {}
        for v in (1, 2):
            err = rng.random() < (0.02 if v == 1 else 0.035)
            lat = base if v == 1 else max(1, round(base * rng.uniform(0.92, 1.12)))
            result = dict(result1)
            if v == 2 and not err and rng.random() < 0.03:
                result = {"valid": not result1["valid"], "violations": [] if violations else ["street_missing"], "rule_set": "2026.11"}
            code = 503 if err else (422 if client_error else 200)
            rows[v] = {
                "id": trace,
                "span": hashlib.md5(f"span-{i}-{v}".encode()).hexdigest()[:16],
                "ts": ts1 + (0 if v == 1 else rng.randint(1, 3)),
                "lat": lat,
                "code": code,
                "err": err,
                "result": None if err else result,
                "bytes": 0 if err else 180 + 40 * len(result["violations"]) + rng.randint(0, 60),
            }
        out.append(rows)
    return out


def rj(v):
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def write_lines(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")


def native(reqs):
    for v in (1, 2):
        lines = []
        for r in reqs:
            x = r[v]
            lines.append(rj({
                "correlation_id": x["id"], "timestamp": rfc3339(x["ts"]), "latency_ms": x["lat"],
                "status": "error" if x["err"] else "ok", "error_code": "upstream_timeout" if x["err"] else None,
                "result": x["result"], "net_bytes": x["bytes"],
            }))
        write_lines(f"{OUT}/native/v{v}.jsonl", lines)


def otlp_attr(k, v):
    if isinstance(v, bool):
        val = {"boolValue": v}
    elif isinstance(v, int):
        val = {"intValue": str(v)}
    elif isinstance(v, float):
        val = {"doubleValue": v}
    else:
        val = {"stringValue": v}
    return {"key": k, "value": val}


def otlp(reqs):
    def resource(service, version):
        return {"attributes": [otlp_attr("service.name", service), otlp_attr("service.version", version),
                               otlp_attr("telemetry.sdk.language", "java"), otlp_attr("host.name", f"{service}-7f9c")]}

    def server_span(x, r_index):
        attrs = [otlp_attr("http.request.method", "POST"), otlp_attr("url.path", "/v1/validate"),
                 otlp_attr("http.route", "/v1/validate"), otlp_attr("http.response.status_code", x["code"])]
        if x["err"]:
            attrs.append(otlp_attr("error.type", "upstream_timeout"))
        else:
            attrs.append(otlp_attr("validation.result", rj(x["result"])))
        attrs.append(otlp_attr("http.response.body.size", x["bytes"]))
        status = {"code": 2, "message": "upstream timeout"} if x["err"] else ({"code": 1} if r_index % 7 == 0 else {})
        return {"traceId": x["id"], "spanId": x["span"], "parentSpanId": hashlib.md5(f"proxy-{x['id']}".encode()).hexdigest()[:16],
                "name": "POST /v1/validate", "kind": 2, "startTimeUnixNano": str(x["ts"] * 1_000_000),
                "endTimeUnixNano": str((x["ts"] + x["lat"]) * 1_000_000), "attributes": attrs, "status": status}

    lines = []
    batch = 50
    for start in range(0, N, batch):
        chunk = list(enumerate(reqs))[start:start + batch]
        for v in (1, 2):
            spans = [server_span(r[v], i) for i, r in chunk]
            internal = [{"traceId": r[v]["id"], "spanId": hashlib.md5(f"rules-{i}-{v}".encode()).hexdigest()[:16],
                         "parentSpanId": r[v]["span"], "name": "load rules", "kind": 1,
                         "startTimeUnixNano": str((r[v]["ts"] + 1) * 1_000_000),
                         "endTimeUnixNano": str((r[v]["ts"] + 2) * 1_000_000), "attributes": [], "status": {}}
                        for i, r in chunk if i % 5 == 0]
            lines.append(rj({"resourceSpans": [{"resource": resource("validator", VERSIONS[v]),
                                                "scopeSpans": [{"scope": {"name": "io.opentelemetry.servlet-5.0", "version": "2.10.0"},
                                                                "spans": spans + internal}],
                                                "schemaUrl": "https://opentelemetry.io/schemas/1.26.0"}]}))
        proxy = [{"traceId": r[1]["id"], "spanId": hashlib.md5(f"proxy-{r[1]['id']}".encode()).hexdigest()[:16], "parentSpanId": "",
                  "name": "egress validator", "kind": 3, "startTimeUnixNano": str((r[1]["ts"] - 1) * 1_000_000),
                  "endTimeUnixNano": str((r[1]["ts"] + r[1]["lat"] + 1) * 1_000_000),
                  "attributes": [otlp_attr("upstream_cluster", "validator-v1")], "status": {}} for _, r in chunk]
        lines.append(rj({"resourceSpans": [{"resource": resource("edge-proxy", "1.31.0"),
                                            "scopeSpans": [{"scope": {"name": "envoy"}, "spans": proxy}]}]}))
    write_lines(f"{OUT}/otlp/traces.jsonl", lines)


def jaeger(reqs):
    def tag(k, v):
        t = "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else "string"
        return {"key": k, "type": t, "value": v}

    traces = []
    for i, r in enumerate(reqs):
        spans = []
        proxy_id = hashlib.md5(f"proxy-{r[1]['id']}".encode()).hexdigest()[:16]
        spans.append({"traceID": r[1]["id"], "spanID": proxy_id, "flags": 1, "operationName": "egress validator", "references": [],
                      "startTime": (r[1]["ts"] - 1) * 1000, "duration": (r[1]["lat"] + 2) * 1000,
                      "tags": [tag("span.kind", "client")], "logs": [], "processID": "p3", "warnings": None})
        for v in (1, 2):
            x = r[v]
            tags = [tag("span.kind", "server"), tag("http.method", "POST"), tag("http.status_code", x["code"])]
            if x["err"]:
                tags += [tag("error", True), tag("error.type", "upstream_timeout")]
            else:
                tags.append(tag("validation.result", rj(x["result"])))
            tags.append(tag("http.response.body.size", x["bytes"]))
            spans.append({"traceID": x["id"], "spanID": x["span"], "flags": 1, "operationName": "POST /v1/validate",
                          "references": [{"refType": "CHILD_OF", "traceID": x["id"], "spanID": proxy_id}],
                          "startTime": x["ts"] * 1000, "duration": x["lat"] * 1000, "tags": tags,
                          "logs": [], "processID": f"p{v}", "warnings": None})
        traces.append({"traceID": r[1]["id"], "spans": spans, "processes": {
            "p1": {"serviceName": "validator", "tags": [tag("service.version", VERSIONS[1]), tag("hostname", "validator-v1-0")]},
            "p2": {"serviceName": "validator", "tags": [tag("service.version", VERSIONS[2]), tag("hostname", "validator-v2-0")]},
            "p3": {"serviceName": "edge-proxy", "tags": [tag("hostname", "proxy-0")]}}, "warnings": None})
    os.makedirs(f"{OUT}/jaeger", exist_ok=True)
    with open(f"{OUT}/jaeger/traces.json", "w") as f:
        json.dump({"data": traces, "total": 0, "limit": 0, "offset": 0, "errors": None}, f, separators=(",", ":"))
        f.write("\n")


def zipkin(reqs):
    spans = []
    for r in reqs:
        proxy_id = hashlib.md5(f"proxy-{r[1]['id']}".encode()).hexdigest()[:16]
        spans.append({"traceId": r[1]["id"], "id": proxy_id, "name": "egress validator", "kind": "CLIENT",
                      "timestamp": (r[1]["ts"] - 1) * 1000, "duration": (r[1]["lat"] + 2) * 1000,
                      "localEndpoint": {"serviceName": "edge-proxy", "ipv4": "10.0.0.2"},
                      "remoteEndpoint": {"serviceName": "validator", "port": 8080}, "tags": {}})
        for v in (1, 2):
            x = r[v]
            tags = {"http.method": "POST", "http.path": "/v1/validate", "http.status_code": str(x["code"]), "service.version": VERSIONS[v]}
            if x["err"]:
                tags["error"] = "upstream_timeout"
            else:
                tags["validation.result"] = rj(x["result"])
            tags["http.response.body.size"] = str(x["bytes"])
            spans.append({"traceId": x["id"], "parentId": proxy_id, "id": x["span"], "name": "post /v1/validate", "kind": "SERVER",
                          "timestamp": x["ts"] * 1000, "duration": x["lat"] * 1000,
                          "localEndpoint": {"serviceName": "validator", "ipv4": f"10.0.1.{v}", "port": 8080}, "tags": tags})
    os.makedirs(f"{OUT}/zipkin", exist_ok=True)
    with open(f"{OUT}/zipkin/spans.json", "w") as f:
        json.dump(spans, f, separators=(",", ":"))
        f.write("\n")


def envoy(reqs):
    for v in (1, 2):
        lines = []
        for r in reqs:
            x = r[v]
            lines.append(rj({
                "start_time": rfc3339(x["ts"]), "method": "POST", "path": "/v1/validate", "protocol": "HTTP/1.1",
                "response_code": x["code"], "response_flags": "UT" if x["err"] else "-", "bytes_received": 412,
                "bytes_sent": x["bytes"], "duration": x["lat"], "upstream_service_time": str(max(0, x["lat"] - 1)),
                "x_forwarded_for": "203.0.113.7", "user_agent": "checkout/5.2", "request_id": x["id"],
                "authority": "validator.internal", "upstream_host": f"10.0.1.{v}:8080",
                "upstream_cluster": f"outbound|8080|v{v}|validator.default.svc.cluster.local",
                "validation_result": None if x["result"] is None else rj(x["result"]),
            }))
        write_lines(f"{OUT}/envoy/v{v}/access.jsonl", lines)


def nginx(reqs):
    for v in (1, 2):
        lines = []
        for r in reqs:
            x = r[v]
            lines.append(json.dumps({
                "time_iso8601": rfc3339(x["ts"])[:19] + "+00:00", "msec": f"{x['ts'] // 1000}.{x['ts'] % 1000:03d}",
                "request_id": x["id"], "method": "POST", "uri": "/v1/validate", "status": str(x["code"]),
                "request_time": f"{x['lat'] / 1000:.3f}", "upstream_response_time": f"{max(0, x['lat'] - 1) / 1000:.3f}",
                "body_bytes_sent": str(x["bytes"]), "upstream_addr": f"10.0.1.{v}:8080",
                "validation_result": "" if x["result"] is None else rj(x["result"]),
            }, separators=(",", ":")))
        write_lines(f"{OUT}/nginx/v{v}/access.jsonl", lines)


if __name__ == "__main__":
    reqs = requests()
    native(reqs)
    otlp(reqs)
    jaeger(reqs)
    zipkin(reqs)
    envoy(reqs)
    nginx(reqs)
    print(f"wrote {OUT}/ ({N} requests per version)")
