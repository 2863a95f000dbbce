#!/usr/bin/env python3
"""Writes fixtures/columnar/: the requests of fixtures/telemetry/native/ as Parquet and Arrow IPC
files written by pyarrow, an implementation independent of the Rust arrow crates shadowgate reads
with, in the layouts and types other systems export:

- pyarrow/: pyarrow's defaults (snappy, dictionary pages), timestamp[ms, UTC], latency int32,
  status dictionary<int8, string>, result large_string, row groups of 37 rows.
- spark/: what older Spark, Hive and Impala write: INT96 timestamps, strings as plain BINARY
  (no UTF8 annotation), latency decimal(10, 3), net_bytes uint32, gzip, no dictionary.
- mixed/: a codec per column (zstd, brotli, lz4, snappy, none), data pages v2, timestamp[ns, UTC],
  latency float32, row groups of 150 rows.
- feather-lz4/, feather-zstd/: Arrow IPC files (Feather v2), lz4 or zstd compressed batches of
  64 and 300 rows, correlation_id as string_view, timestamp[us].

Every variant holds the same values, so each must give the native verdict (tests/formats.rs).
Needs pyarrow (pip install pyarrow). Run from the repository root:
    python3 scripts/make_columnar_fixtures.py
"""
import decimal
import json
import os
from datetime import datetime

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

SRC = "fixtures/telemetry/native"
OUT = "fixtures/columnar"


def load(version):
    rows = [json.loads(line) for line in open(f"{SRC}/{version}.jsonl")]
    ts = [datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")) for r in rows]
    return {
        "correlation_id": [r["correlation_id"] for r in rows],
        "timestamp": ts,
        "latency_ms": [r["latency_ms"] for r in rows],
        "status": [r["status"] for r in rows],
        "error_code": [r["error_code"] for r in rows],
        "result": [json.dumps(r["result"], separators=(",", ":")) for r in rows],
        "net_bytes": [r["net_bytes"] for r in rows],
    }


def pyarrow_default(c):
    return pa.table({
        "correlation_id": pa.array(c["correlation_id"], pa.string()),
        "timestamp": pa.array(c["timestamp"], pa.timestamp("ms", tz="UTC")),
        "latency_ms": pa.array(c["latency_ms"], pa.int32()),
        "status": pa.array(c["status"], pa.string()).dictionary_encode().cast(pa.dictionary(pa.int8(), pa.string())),
        "error_code": pa.array(c["error_code"], pa.string()),
        "result": pa.array(c["result"], pa.large_string()),
        "net_bytes": pa.array(c["net_bytes"], pa.int64()),
    })


def spark(c):
    return pa.table({
        "correlation_id": pa.array([s.encode() for s in c["correlation_id"]], pa.binary()),
        "timestamp": pa.array(c["timestamp"], pa.timestamp("ns", tz="UTC")),
        "latency_ms": pa.array([decimal.Decimal(v).quantize(decimal.Decimal("0.001")) for v in c["latency_ms"]], pa.decimal128(10, 3)),
        "status": pa.array([s.encode() for s in c["status"]], pa.binary()),
        "error_code": pa.array([None if s is None else s.encode() for s in c["error_code"]], pa.binary()),
        "result": pa.array([s.encode() for s in c["result"]], pa.binary()),
        "net_bytes": pa.array(c["net_bytes"], pa.uint32()),
    })


def mixed(c):
    return pa.table({
        "correlation_id": pa.array(c["correlation_id"], pa.string()),
        "timestamp": pa.array(c["timestamp"], pa.timestamp("ns", tz="UTC")),
        "latency_ms": pa.array(c["latency_ms"], pa.float32()),
        "status": pa.array(c["status"], pa.string()),
        "error_code": pa.array(c["error_code"], pa.string()),
        "result": pa.array(c["result"], pa.string()),
        "net_bytes": pa.array(c["net_bytes"], pa.int16()),
    })


def feather_table(c):
    return pa.table({
        "correlation_id": pa.array(c["correlation_id"], pa.string_view()),
        "timestamp": pa.array(c["timestamp"], pa.timestamp("us")),
        "latency_ms": pa.array(c["latency_ms"], pa.float64()),
        "status": pa.array(c["status"], pa.string()),
        "error_code": pa.array(c["error_code"], pa.string()),
        "result": pa.array(c["result"], pa.string()),
        "net_bytes": pa.array(c["net_bytes"], pa.int64()),
    })


def main():
    for version in ["v1", "v2"]:
        c = load(version)
        for name in ["pyarrow", "spark", "mixed", "feather-lz4", "feather-zstd"]:
            os.makedirs(f"{OUT}/{name}", exist_ok=True)
        pq.write_table(pyarrow_default(c), f"{OUT}/pyarrow/{version}.parquet", row_group_size=37)
        pq.write_table(spark(c), f"{OUT}/spark/{version}.parquet", compression="gzip", use_dictionary=False,
                       use_deprecated_int96_timestamps=True, row_group_size=1000)
        pq.write_table(mixed(c), f"{OUT}/mixed/{version}.parquet", row_group_size=150, data_page_version="2.0",
                       compression={"correlation_id": "zstd", "timestamp": "brotli", "latency_ms": "lz4",
                                    "status": "snappy", "error_code": "none", "result": "zstd", "net_bytes": "brotli"})
        t = feather_table(c)
        feather.write_feather(t, f"{OUT}/feather-lz4/{version}.arrow", compression="lz4", chunksize=64)
        feather.write_feather(t, f"{OUT}/feather-zstd/{version}.arrow", compression="zstd", chunksize=300)


if __name__ == "__main__":
    main()
