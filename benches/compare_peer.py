#!/usr/bin/env python3
"""Checks that shadowgate's verdict.json and the DuckDB peer (benches/peer_duckdb.py --json)
agree on the numbers both compute from the same files.

Usage:
    python3 benches/compare_peer.py --verdict OUT/verdict.json --peer peer.json [--rel-tol 1e-9]

Counts (rows, ids, pairs, orphans, duplicates, errors, comparable pairs, mismatches, status
changes) and error rates must be equal exactly; latency quantiles, means and paired quantile
ratios within a relative tolerance (1e-9: both use type-7 interpolation, so they differ only by
floating-point rounding, e.g. the summation order of a mean). Prints every comparison; exits 1
on any disagreement, 2 when a file cannot be read.

Discrepancy counts differ by construction on some data: the peer compares the raw `result`
texts, shadowgate canonical JSON (keys sorted, numbers normalized, a string holding JSON parsed).
A mismatch there with everything else agreeing means results whose texts differ but whose JSON
is equal (the peer's count is then the higher one).
"""
import argparse
import json
import math
import sys


def get(doc, path):
    """The value at a dotted path, or a KeyError naming the path."""
    cur = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verdict", required=True, help="verdict.json of `shadowgate analyze`")
    ap.add_argument("--peer", required=True, help="JSON written by benches/peer_duckdb.py --json")
    ap.add_argument("--rel-tol", type=float, default=1e-9, help="relative tolerance of float comparisons")
    args = ap.parse_args()
    try:
        with open(args.verdict) as f:
            verdict = json.load(f)
        with open(args.peer) as f:
            peer = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"compare_peer: {e}", file=sys.stderr)
        return 2

    # (label, verdict.json path, peer path, kind): kind "exact" or "rel" (relative tolerance).
    checks = []
    for v in ("v1", "v2"):
        checks += [
            (f"{v} rows read", f"inputs.{v}.rows_read", f"{v}.rows_read", "exact"),
            (f"{v} rows accepted", f"inputs.{v}.rows_accepted", f"{v}.rows_accepted", "exact"),
            (f"{v} duplicate rows", f"inputs.{v}.duplicate_rows", f"{v}.duplicate_rows", "exact"),
            (f"{v} duplicate ids", f"inputs.{v}.duplicate_ids", f"{v}.duplicate_ids", "exact"),
        ]
    for k in ("v1_ids", "v2_ids", "pairs", "v1_only", "v2_only"):
        checks.append((f"pairing {k}", f"pairing.{k}", f"pairing.{k}", "exact"))
    for v in ("v1", "v2"):
        lat = f"metrics.latency_ms.{v}"
        checks.append((f"{v} latency n", f"{lat}.n", f"{v}.latency_ms.n", "exact"))
        checks.append((f"{v} latency max", f"{lat}.max", f"{v}.latency_ms.max", "exact"))
        checks.append((f"{v} latency mean", f"{lat}.mean.estimate", f"{v}.latency_ms.mean", "rel"))
        for p in ("p50", "p90", "p95", "p99"):
            checks.append((f"{v} latency {p}", f"{lat}.{p}.estimate", f"{v}.latency_ms.{p}", "rel"))
    for v in ("v1", "v2"):
        checks.append((f"{v} error n", f"metrics.errors.{v}.n", f"{v}.ids", "exact"))
        checks.append((f"{v} errors", f"metrics.errors.{v}.errors", f"{v}.errors", "exact"))
        checks.append((f"{v} error rate", f"metrics.errors.{v}.estimate", f"{v}.error_rate", "exact"))
    for p in ("p50", "p90", "p95", "p99"):
        checks.append((f"paired {p} ratio V2/V1", f"metrics.latency_ms.comparison.ratios.{p}.estimate",
                       f"paired_ratio.{p}", "rel"))
    disc = "metrics.discrepancy"
    checks += [
        ("comparable pairs (both ok)", f"{disc}.comparable_pairs", "discrepancy.comparable_pairs", "exact"),
        ("discrepancies (peer: raw text)", f"{disc}.mismatches", "discrepancy.mismatches", "exact"),
        ("status ok -> error", f"{disc}.status_changes.v1_ok_v2_error", "discrepancy.v1_ok_v2_error", "exact"),
        ("status error -> ok", f"{disc}.status_changes.v1_error_v2_ok", "discrepancy.v1_error_v2_ok", "exact"),
    ]

    failures = 0
    print(f"{'check':32} {'shadowgate':>22} {'duckdb':>22}  result")
    for label, vpath, ppath, kind in checks:
        try:
            a, b = get(verdict, vpath), get(peer, ppath)
        except KeyError as e:
            print(f"{label:32} {'':>22} {'':>22}  MISSING {e}")
            failures += 1
            continue
        if kind == "exact":
            ok = a == b
            note = "ok" if ok else "DIFFERENT"
        else:
            if a is None or b is None:
                ok = a is None and b is None
                rel = 0.0
            else:
                rel = abs(a - b) / max(abs(a), abs(b)) if a != b else 0.0
                ok = math.isfinite(rel) and rel <= args.rel_tol
            note = f"{'ok' if ok else 'DIFFERENT'} (rel {rel:.1e})"
        failures += not ok
        print(f"{label:32} {a!s:>22} {b!s:>22}  {note}")

    if failures:
        print(f"compare_peer: {failures} of {len(checks)} checks disagree")
        return 1
    print(f"compare_peer: all {len(checks)} checks agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
