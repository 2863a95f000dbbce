#!/usr/bin/env python3
"""A DuckDB peer of `shadowgate analyze`: the core of a shadow-mode analysis in SQL.

Usage:
    python3 benches/peer_duckdb.py --v1 V1 --v2 V2 [--threads 2] [--json OUT.json]
                                   [--format parquet|jsonl] [--any-tie]

Needs the `duckdb` Python package (`pip install duckdb`; measured with duckdb 2.0.1).

It computes, over the same files and with shadowgate's default column mapping
(`shadowgate policy`, [columns]):

  * validation: a row counts only with a non-empty correlation id, a finite latency in
    [0, 1e9] ms, a parseable timestamp and a non-empty status (shadowgate's rules in
    src/ingest/mod.rs, Normalizer::normalize; edge cases of odd value types are not all
    mirrored, see `ts_ms_sql` / `status_ok_sql`);
  * de-duplication per version: the earliest row per correlation id by timestamp (epoch
    milliseconds, as shadowgate keeps them), ties broken by file order;
  * the full outer join V1/V2 by id: pairs, v1_only, v2_only, distinct ids, duplicate rows/ids;
  * discrepancies: pairs where both answered ok and the `result` texts differ. This is a RAW
    string comparison, while shadowgate compares canonical JSON (keys sorted, numbers
    normalized). On `shadowgate generate` data the two agree, because the generator writes
    results whose text is already canonical and DuckDB re-serializes JSON Lines results
    minified with key order kept;
  * per version, over the de-duplicated rows: n, mean, max, p50/p90/p95/p99 of latency with
    quantile_cont (type-7 linear interpolation, NumPy's default and shadowgate's), and the
    error rate (share of rows whose status is not "ok"/"success", case-insensitive);
  * the paired quantile ratios q(V2 latency over pairs) / q(V1 latency over pairs) for
    p50/p90/p95/p99 (shadowgate's ratio estimates; the p95 one is the latency.p95.vs_v1 gate).

Each file is scanned once: one statement per version de-duplicates into a temp table, one
more aggregates over their full outer join. The whole SQL pass (reading the files included)
is timed with a wall clock; the numbers are printed as a small table and, with --json,
written for benches/compare_peer.py.
"""
import argparse
import json
import os
import sys
import time

import duckdb

# shadowgate's default column mapping (`shadowgate policy`, [columns]).
COL_ID = "correlation_id"
COL_TS = "timestamp"
COL_LATENCY = "latency_ms"
COL_STATUS = "status"
COL_RESULT = "result"
OK_VALUES = ("ok", "success")  # compared lower-cased and trimmed, like shadowgate
MAX_LATENCY_MS = 1e9  # shadowgate rejects larger latencies as implausible
QUANTILES = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99))


def q(name):
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text):
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def detect_format(path):
    name = path.lower()
    for suffix in (".gz", ".zst", ".zstd"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json", ".log")):
        return "jsonl"
    sys.exit(f"peer_duckdb: cannot tell the format of {path}; pass --format parquet|jsonl")


def numeric_ts_ms_sql(x):
    """Epoch ms from a number, the unit guessed from its magnitude like shadowgate's
    timestamp_unit = "auto": below 1e11 seconds, below 1e14 ms, below 1e17 us, else ns."""
    v = f"CAST({x} AS DOUBLE)"
    ms = (
        f"CASE WHEN {v} < 1e11 THEN {v} * 1000 WHEN {v} < 1e14 THEN {v} "
        f"WHEN {v} < 1e17 THEN {v} / 1e3 ELSE {v} / 1e6 END"
    )
    return f"CASE WHEN isfinite({v}) AND {v} >= 0 AND ({ms}) < 9e15 THEN CAST(floor({ms}) AS BIGINT) END"


def ts_ms_sql(col, col_type):
    """SQL for the timestamp in epoch milliseconds (NULL when it does not parse).

    Parquet/Arrow temporal columns convert directly. Text is read as a number when it is one
    (shadowgate: only digits, '.' and '-'), else as an RFC 3339 / ISO 8601 date-time (no offset
    = UTC, the session time zone is set to UTC). Known edge case: DuckDB also accepts a bare
    date such as "2026-11-27", which shadowgate rejects; generated data never has one.
    """
    t = col_type.upper()
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"epoch_ms(CAST({col} AS TIMESTAMPTZ))"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
        return numeric_ts_ms_sql(col)
    s = f"trim(CAST({col} AS VARCHAR))"
    return (
        f"CASE WHEN TRY_CAST({s} AS DOUBLE) IS NOT NULL THEN {numeric_ts_ms_sql(f'TRY_CAST({s} AS DOUBLE)')} "
        f"ELSE epoch_ms(TRY_CAST({s} AS TIMESTAMPTZ)) END"
    )


def status_ok_sql(col):
    """true = ok, false = error, NULL = invalid (missing or empty). Text statuses only: a
    numeric or boolean status column (which shadowgate maps 2xx/true to ok) is not mirrored."""
    s = f"lower(trim(CAST({col} AS VARCHAR)))"
    oks = ", ".join(lit(v) for v in OK_VALUES)
    return f"CASE WHEN {s} <> '' THEN {s} IN ({oks}) END"


def source_sql(path, fmt, any_tie):
    """The scan (a table function call) of one file, and the SQL of `ord`: the row's position
    in the file, the tie-breaker of the de-duplication."""
    if fmt == "parquet":
        scan = f"read_parquet({lit(path)}, file_row_number = true)"
        return scan, "file_row_number"
    # JSON Lines: malformed lines become all-NULL rows (ignore_errors), which the validation
    # then drops; they still count as rows read, as they do in shadowgate. The columns are
    # given explicitly, so nothing is sampled and only they are materialized; `result` stays
    # JSON text. read_json has no file_row_number: row_number() OVER () numbers rows in scan
    # order (DuckDB's streaming window), at the cost of running the scan on one thread.
    # --any-tie skips it (exact timestamp ties among duplicate ids then resolve arbitrarily).
    cols = {COL_ID: "VARCHAR", COL_TS: "VARCHAR", COL_LATENCY: "DOUBLE", COL_STATUS: "VARCHAR", COL_RESULT: "JSON"}
    spec = "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in cols.items()) + "}"
    scan = f"read_json({lit(path)}, format = 'newline_delimited', ignore_errors = true, columns = {spec})"
    return scan, ("0" if any_tie else "row_number() OVER ()")


def column_types(con, scan):
    return {name: typ for name, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}


def load_version(con, name, path, fmt, any_tie):
    """Creates the temp table {name}_kept: for each correlation id, its earliest valid row
    (ties: first in file order), with `copies` = valid rows sharing the id.

    One scan and one window pass: invalid rows get the id NULL, so they fall into a single
    partition whose one kept row (id NULL) carries in `copies` the number of invalid rows. The
    row counts come from summing `copies`; the join below leaves the NULL row out.
    """
    scan, ord_sql = source_sql(path, fmt, any_tie)
    types = column_types(con, scan)
    for col in (COL_ID, COL_TS, COL_LATENCY, COL_STATUS):
        if col not in types:
            sys.exit(f"peer_duckdb: {path} has no column {col!r} (found: {', '.join(types)})")
    result = f"CAST({q(COL_RESULT)} AS VARCHAR)" if COL_RESULT in types else "NULL"
    lat = f"TRY_CAST({q(COL_LATENCY)} AS DOUBLE)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name}_kept AS
        WITH normalized AS (          -- NULL where a value is missing or invalid
            SELECT
                nullif(trim(CAST({q(COL_ID)} AS VARCHAR)), '')         AS id,
                {ts_ms_sql(q(COL_TS), types[COL_TS])}                   AS ts_ms,
                CASE WHEN isfinite({lat}) AND {lat} BETWEEN 0 AND {MAX_LATENCY_MS}
                     THEN {lat} END                                     AS latency_ms,
                {status_ok_sql(q(COL_STATUS))}                          AS ok,
                {result}                                                AS result,
                {ord_sql}                                               AS ord
            FROM {scan}
        ), keyed AS (                 -- accepted rows (all four required values valid) keep
                                      -- their id; every other row gets the id NULL
            SELECT CASE WHEN ts_ms IS NOT NULL AND latency_ms IS NOT NULL AND ok IS NOT NULL
                        THEN id END AS id,
                   ts_ms, latency_ms, ok, result, ord
            FROM normalized
        )
        SELECT id, latency_ms, ok, result, copies FROM (
            SELECT *,
                   row_number() OVER (PARTITION BY id ORDER BY ts_ms, ord) AS rank,
                   count(*)     OVER (PARTITION BY id)                     AS copies
            FROM keyed
        ) WHERE rank = 1
    """)


def analyze(con, v1, v2, fmt1, fmt2, any_tie):
    load_version(con, "v1", v1, fmt1, any_tie)
    load_version(con, "v2", v2, fmt2, any_tie)
    out = {}
    for name in ("v1", "v2"):
        rows_read, rows_accepted = con.execute(
            f"SELECT coalesce(sum(copies), 0), coalesce(sum(copies) FILTER (WHERE id IS NOT NULL), 0) FROM {name}_kept"
        ).fetchone()
        out[name] = {"rows_read": rows_read, "rows_accepted": rows_accepted}

    qs = ", ".join(str(p) for _, p in QUANTILES)
    # One pass over the full outer join: every kept row of a version appears exactly once, so
    # the per-version aggregates filter on its side being present, the paired ones on both.
    row = con.execute(f"""
        SELECT
            count(*) FILTER (WHERE a.id IS NOT NULL AND b.id IS NOT NULL)             AS pairs,
            count(*) FILTER (WHERE b.id IS NULL)                                      AS v1_only,
            count(*) FILTER (WHERE a.id IS NULL)                                      AS v2_only,
            count(a.id), count(b.id),
            count(*) FILTER (WHERE a.copies > 1), count(*) FILTER (WHERE b.copies > 1),
            avg(a.latency_ms), avg(b.latency_ms), max(a.latency_ms), max(b.latency_ms),
            quantile_cont(a.latency_ms, [{qs}]), quantile_cont(b.latency_ms, [{qs}]),
            count(*) FILTER (WHERE NOT a.ok), count(*) FILTER (WHERE NOT b.ok),
            quantile_cont(a.latency_ms, [{qs}]) FILTER (WHERE b.id IS NOT NULL),
            quantile_cont(b.latency_ms, [{qs}]) FILTER (WHERE a.id IS NOT NULL),
            count(*) FILTER (WHERE a.ok AND b.ok)                                     AS comparable,
            count(*) FILTER (WHERE a.ok AND b.ok AND a.result IS DISTINCT FROM b.result) AS mismatches,
            count(*) FILTER (WHERE a.ok AND NOT b.ok)                                 AS v1_ok_v2_error,
            count(*) FILTER (WHERE NOT a.ok AND b.ok)                                 AS v1_error_v2_ok
        FROM (SELECT * FROM v1_kept WHERE id IS NOT NULL) a
        FULL OUTER JOIN (SELECT * FROM v2_kept WHERE id IS NOT NULL) b ON a.id = b.id
    """).fetchone()
    (pairs, v1_only, v2_only, ids1, ids2, dupids1, dupids2, mean1, mean2, max1, max2, qv1, qv2,
     err1, err2, pq1, pq2, comparable, mismatches, ok_err, err_ok) = row

    for name, ids, dupids, mean, mx, qv, err in (
        ("v1", ids1, dupids1, mean1, max1, qv1, err1),
        ("v2", ids2, dupids2, mean2, max2, qv2, err2),
    ):
        o = out[name]
        o["ids"] = ids
        o["duplicate_rows"] = o["rows_accepted"] - ids
        o["duplicate_ids"] = dupids
        o["latency_ms"] = {"n": ids, "mean": mean, "max": mx, **{k: v for (k, _), v in zip(QUANTILES, qv or [None] * 4)}}
        o["errors"] = err
        o["error_rate"] = err / ids if ids else None
    out["pairing"] = {"v1_ids": ids1, "v2_ids": ids2, "pairs": pairs, "v1_only": v1_only, "v2_only": v2_only}
    ratios = {}
    for (k, _), a, b in zip(QUANTILES, pq1 or [None] * 4, pq2 or [None] * 4):
        ratios[k] = b / a if a else None
    out["paired_ratio"] = ratios
    out["discrepancy"] = {
        "comparison": "raw result text (shadowgate: canonical JSON)",
        "comparable_pairs": comparable,
        "mismatches": mismatches,
        "v1_ok_v2_error": ok_err,
        "v1_error_v2_ok": err_ok,
    }
    return out


def print_table(r):
    rows = [
        ("rows read", r["v1"]["rows_read"], r["v2"]["rows_read"]),
        ("rows accepted", r["v1"]["rows_accepted"], r["v2"]["rows_accepted"]),
        ("distinct ids", r["v1"]["ids"], r["v2"]["ids"]),
        ("duplicate rows", r["v1"]["duplicate_rows"], r["v2"]["duplicate_rows"]),
        ("duplicate ids", r["v1"]["duplicate_ids"], r["v2"]["duplicate_ids"]),
        ("only in this version", r["pairing"]["v1_only"], r["pairing"]["v2_only"]),
    ]
    for k in ("mean", "p50", "p90", "p95", "p99", "max"):
        rows.append((f"latency {k} (ms)", r["v1"]["latency_ms"][k], r["v2"]["latency_ms"][k]))
    rows.append(("errors", r["v1"]["errors"], r["v2"]["errors"]))
    rows.append(("error rate", r["v1"]["error_rate"], r["v2"]["error_rate"]))

    def fmt(v):
        if isinstance(v, float):
            return f"{v:.6g}"
        return "-" if v is None else str(v)

    print(f"{'':24} {'V1':>14} {'V2':>14}")
    for label, a, b in rows:
        print(f"{label:24} {fmt(a):>14} {fmt(b):>14}")
    d = r["discrepancy"]
    p = r["pairing"]
    print(f"pairs {p['pairs']}; paired p95 ratio V2/V1 {fmt(r['paired_ratio']['p95'])}")
    print(f"discrepancies (raw text) {d['mismatches']} of {d['comparable_pairs']} comparable pairs; "
          f"status changes ok->error {d['v1_ok_v2_error']}, error->ok {d['v1_error_v2_ok']}")
    print(f"duckdb {r['duckdb_version']}, {r['threads']} threads: {r['seconds']:.3f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--v1", required=True, help="V1 log file (Parquet or JSON Lines; a glob works too)")
    ap.add_argument("--v2", required=True, help="V2 log file")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (SET threads), default 2")
    ap.add_argument("--json", help="write the numbers, seconds, duckdb_version and threads here")
    ap.add_argument("--format", choices=("parquet", "jsonl"), help="input format (default: from the file names)")
    ap.add_argument("--any-tie", action="store_true",
                    help="JSON Lines: do not number rows in file order (keeps the scan parallel); "
                         "duplicate ids with exactly equal timestamps then keep an arbitrary row")
    args = ap.parse_args()
    for p in (args.v1, args.v2):
        if "*" not in p and not os.path.exists(p):
            sys.exit(f"peer_duckdb: {p} does not exist")
    fmt1 = args.format or detect_format(args.v1)
    fmt2 = args.format or detect_format(args.v2)

    con = duckdb.connect()  # in-memory database
    con.execute(f"SET threads = {int(args.threads)}")
    con.execute("SET TimeZone = 'UTC'")  # timestamps without an offset are UTC, as in shadowgate
    start = time.perf_counter()
    result = analyze(con, args.v1, args.v2, fmt1, fmt2, args.any_tie)
    seconds = time.perf_counter() - start

    result = {
        "tool": "duckdb-peer",
        "duckdb_version": duckdb.__version__,
        "threads": args.threads,
        "seconds": seconds,
        "inputs": {"v1": args.v1, "v2": args.v2, "format_v1": fmt1, "format_v2": fmt2,
                   "jsonl_file_order_ties": not args.any_tie},
        **result,
    }
    print_table(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
