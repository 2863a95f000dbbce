//! The engine SQL (engines/, `shadowgate sql`) and the paired table it builds (`analyze --pairs`).

use crate::common::{assert_same_verdict, bin, repo};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const DIALECTS: [&str; 4] = ["duckdb", "spark", "trino", "bigquery"];

#[test]
fn engines_sql_files_are_what_sql_prints_for_the_default_policy() {
    for d in DIALECTS {
        let out = bin().args(["sql", "--dialect", d]).output().expect("runs");
        assert!(out.status.success(), "{d}: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).expect("utf-8");
        let file = repo().join("engines").join(format!("{d}.sql"));
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            printed == committed,
            "{} is not what `shadowgate sql --dialect {d}` prints; regenerate: for d in duckdb spark trino bigquery; do cargo run --release -q -- sql --dialect $d > engines/$d.sql; done",
            file.display()
        );
    }
}

#[test]
fn sql_names_the_policy_columns_and_refuses_nested_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "[columns]\ncorrelation_id = \"request_id\"\nlatency_ms = \"duration\"\n").expect("write");
    let out = bin().args(["sql", "--dialect", "spark", "--v1-table", "logs.v1", "--policy"]).arg(&policy).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("PARTITION BY `request_id`"), "{sql}");
    assert!(sql.contains("`duration` AS `duration`") && sql.contains("AS `v2_duration`"), "{sql}");
    assert!(sql.contains("FROM logs.v1\n"), "{sql}");
    let out = bin().args(["sql", "--dialect", "duckdb", "--segment-by", "attributes.\"http.route\""]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nested path"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn pairs_with_a_missing_column_names_it_and_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pairs = dir.path().join("pairs.csv");
    std::fs::write(&pairs, "correlation_id,v1_present,v1_timestamp,v1_latency_ms,v1_status,v2_present,v2_timestamp,v2_status\na,true,2026-11-27T00:00:00Z,5,ok,true,2026-11-27T00:00:00Z,ok\n")
        .expect("write");
    let out = bin().args(["analyze", "--pairs"]).arg(&pairs).arg("--out").arg(dir.path().join("o")).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pairs.csv") && err.contains("`v2_latency_ms`") && err.contains("docs/pairs.md"), "{err}");
    // A table with no V2 side at all.
    std::fs::write(&pairs, "correlation_id,v1_present,v1_timestamp,v1_latency_ms,v1_status,v2_present,v2_timestamp,v2_latency_ms,v2_status\na,true,2026-11-27T00:00:00Z,5,ok,false,,,\n")
        .expect("write");
    let out = bin().args(["analyze", "--pairs"]).arg(&pairs).arg("--out").arg(dir.path().join("o")).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("v2_present = true") && err.contains("no V2 request"), "{err}");
}

/// Python with the duckdb package, or None after saying why the test skips (`.ci/run` installs
/// the package).
fn duckdb() -> Option<String> {
    if Command::new("python3").args(["-c", "import duckdb"]).output().is_ok_and(|o| o.status.success()) {
        return Some("python3".into());
    }
    eprintln!("SKIPPED: the DuckDB end-to-end test needs python3 with duckdb (pip install duckdb; .ci/run installs it)");
    None
}

/// Runs the DuckDB SQL of `shadowgate sql` with `flags` over V1 and V2 Parquet files in `dir`;
/// returns the paired table.
fn duckdb_pairs(python: &str, v1: &Path, v2: &Path, dir: &Path, flags: &[&str]) -> std::path::PathBuf {
    let out = bin().args(["sql", "--dialect", "duckdb"]).args(flags).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = dir.join("pairs.sql");
    std::fs::write(&sql, &out.stdout).expect("write");
    let script = r#"
import duckdb, sys
v1, v2, sql = sys.argv[1:4]
con = duckdb.connect()
con.execute(f"CREATE VIEW v1_requests AS SELECT * FROM read_parquet('{v1}')")
con.execute(f"CREATE VIEW v2_requests AS SELECT * FROM read_parquet('{v2}')")
con.execute(open(sql).read())
"#;
    let out = Command::new(python).current_dir(dir).args(["-c", script]).arg(v1).arg(v2).arg(&sql).output().expect("python runs");
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    dir.join("shadowgate_pairs.parquet")
}

/// Copies a Parquet log with DuckDB, adding the defects the engine must carry through: rows
/// without an id, with a negative latency, without a timestamp or status, later duplicates, and
/// earlier duplicates, valid ones (which the de-duplication must keep instead of the original)
/// and invalid ones (which must be rejected, leaving the original to be kept).
fn with_defects(python: &str, from: &Path, to: &Path) {
    let script = r#"
import duckdb, sys
src, dst = sys.argv[1:3]
con = duckdb.connect()
con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{src}')")
con.execute(f"""COPY (
  SELECT * FROM s
  UNION ALL SELECT * REPLACE (NULL AS correlation_id) FROM (SELECT * FROM s LIMIT 2 OFFSET 5)
  UNION ALL SELECT * REPLACE (-1.0 AS latency_ms) FROM (SELECT * FROM s LIMIT 3 OFFSET 10)
  UNION ALL SELECT * REPLACE (NULL AS "timestamp") FROM (SELECT * FROM s LIMIT 2 OFFSET 20)
  UNION ALL SELECT * REPLACE (NULL AS status) FROM (SELECT * FROM s LIMIT 2 OFFSET 30)
  UNION ALL SELECT * REPLACE ("timestamp" + INTERVAL 3 SECOND AS "timestamp") FROM (SELECT * FROM s LIMIT 4 OFFSET 40)
  UNION ALL SELECT * REPLACE ("timestamp" - INTERVAL 1 SECOND AS "timestamp", latency_ms * 3 AS latency_ms) FROM (SELECT * FROM s LIMIT 5 OFFSET 100)
  UNION ALL SELECT * REPLACE ("timestamp" - INTERVAL 2 SECOND AS "timestamp", -5.0 AS latency_ms) FROM (SELECT * FROM s LIMIT 5 OFFSET 200)
) TO '{dst}' (FORMAT parquet)""")
"#;
    let out = Command::new(python).args(["-c", script]).arg(from).arg(to).output().expect("python runs");
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn duckdb_paired_table_gives_the_raw_logs_verdict() {
    let Some(python) = duckdb() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = (dir.path().join("v1.parquet"), dir.path().join("v2.parquet"));
    with_defects(&python, &repo().join("fixtures/shadow/v1.parquet"), &v1);
    with_defects(&python, &repo().join("fixtures/shadow/v2.parquet"), &v2);
    let pairs = duckdb_pairs(&python, &v1, &v2, dir.path(), &["--segment-by", "validation_type"]);
    let flags = ["--segment-by", "validation_type", "--seed", "7", "-q"];
    let raw = crate::common::analyze(&v1, &v2, &dir.path().join("raw"), &flags);
    let out = bin().args(["analyze", "--pairs"]).arg(&pairs).arg("--out").arg(dir.path().join("pairs")).args(flags).output().expect("runs");
    assert_eq!(out.status.code(), Some(raw.code), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.path().join("pairs/verdict.json")).expect("verdict.json");
    let from_pairs: Value = serde_json::from_str(&text).expect("parses");
    let from_raw = raw.verdict();
    let inputs = &from_raw["inputs"]["v1"];
    let rejected = &inputs["rejected_by_reason"];
    for reason in ["missing_correlation_id", "invalid_latency", "invalid_timestamp", "invalid_status"] {
        assert!(rejected[reason].as_u64() > Some(0), "{reason}: {inputs}");
    }
    assert!(inputs["duplicate_rows"].as_u64() > Some(9), "{inputs}");
    assert!(from_raw["pairing"]["v1_only"].as_u64() > Some(0) && from_raw["pairing"]["v2_only"].as_u64() > Some(0));
    assert_same_verdict(&from_raw, &from_pairs);
    // Out of core, the paired table's ids are spilled by partition: the same verdict.
    let ooc_out = dir.path().join("pairs-ooc");
    let out = bin()
        .args(["analyze", "--pairs"])
        .arg(&pairs)
        .arg("--out")
        .arg(&ooc_out)
        .args(flags)
        .args(["--spill-partitions", "4"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(raw.code), "{}", String::from_utf8_lossy(&out.stderr));
    let ooc: Value = serde_json::from_str(&std::fs::read_to_string(ooc_out.join("verdict.json")).expect("verdict.json")).expect("parses");
    assert_eq!(ooc["memory"]["out_of_core"], true);
    assert_same_verdict(&from_pairs, &ooc);
    // A segment the SQL did not carry is named, with the fix.
    let out = bin()
        .args(["analyze", "--pairs"])
        .arg(&pairs)
        .arg("--out")
        .arg(dir.path().join("x"))
        .args(["--segment-by", "region"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("v1_region and v2_region") && err.contains("shadowgate sql --segment-by region"), "{err}");
}

/// Python with pyspark and a Java runtime, or None after saying why the test skips.
fn spark() -> Option<String> {
    let ok = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
    if ok(Command::new("python3").args(["-c", "import pyspark"])) && ok(Command::new("java").arg("-version")) {
        return Some("python3".into());
    }
    eprintln!("SKIPPED: the Spark end-to-end test needs python3 with pyspark and a Java runtime (pip install pyspark; apt-get install openjdk-17-jre-headless)");
    None
}

/// Runs engines/spark.sql in a local Spark (2 threads) over V1 and V2 Parquet files; returns
/// the folder of the table it creates.
fn spark_pairs(python: &str, v1: &Path, v2: &Path, dir: &Path) -> std::path::PathBuf {
    let script = r#"
import sys
from pyspark.sql import SparkSession
v1, v2, sql, warehouse = sys.argv[1:5]
spark = (SparkSession.builder.master("local[2]").appName("shadowgate-test")
         .config("spark.sql.warehouse.dir", warehouse).config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "4").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spark.read.parquet(v1).createOrReplaceTempView("v1_requests")
spark.read.parquet(v2).createOrReplaceTempView("v2_requests")
text = "\n".join(l for l in open(sql).read().splitlines() if not l.startswith("--"))
spark.sql(text.strip().rstrip(";"))
spark.stop()
"#;
    let warehouse = dir.join("warehouse");
    let out = Command::new(python)
        .current_dir(dir)
        .args(["-c", script])
        .arg(v1)
        .arg(v2)
        .arg(repo().join("engines/spark.sql"))
        .arg(&warehouse)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "spark: {}", String::from_utf8_lossy(&out.stderr));
    warehouse.join("shadowgate_pairs")
}

#[test]
fn spark_paired_table_gives_the_raw_logs_verdict() {
    let (Some(python), Some(spark)) = (duckdb(), spark()) else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = (dir.path().join("v1.parquet"), dir.path().join("v2.parquet"));
    with_defects(&python, &repo().join("fixtures/shadow/v1.parquet"), &v1);
    with_defects(&python, &repo().join("fixtures/shadow/v2.parquet"), &v2);
    let pairs = spark_pairs(&spark, &v1, &v2, dir.path());
    let raw = crate::common::analyze(&v1, &v2, &dir.path().join("raw"), &["-q"]);
    let out = bin().args(["analyze", "-q", "--pairs"]).arg(&pairs).arg("--out").arg(dir.path().join("pairs")).output().expect("runs");
    assert_eq!(out.status.code(), Some(raw.code), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.path().join("pairs/verdict.json")).expect("verdict.json");
    let from_pairs: Value = serde_json::from_str(&text).expect("parses");
    let from_raw = raw.verdict();
    assert!(from_raw["inputs"]["v1"]["rows_rejected"].as_u64() > Some(0) && from_raw["inputs"]["v1"]["duplicate_rows"].as_u64() > Some(0));
    assert_same_verdict(&from_raw, &from_pairs);
}

#[test]
fn duckdb_paired_table_of_a_canary_gives_the_raw_logs_verdict() {
    let Some(python) = duckdb() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = crate::common::generate(
        dir.path(),
        "parquet",
        &["--pairs", "20000", "--canary-share", "0.1", "--duplicates", "40", "--seed", "3", "--latency-shift", "1.08"],
    );
    let pairs = duckdb_pairs(&python, &v1, &v2, dir.path(), &[]);
    let flags = ["--mode", "canary", "--expected-v2-share", "0.1", "-q"];
    let raw = crate::common::analyze(&v1, &v2, &dir.path().join("raw"), &flags);
    let out = bin().args(["analyze", "--pairs"]).arg(&pairs).arg("--out").arg(dir.path().join("pairs")).args(flags).output().expect("runs");
    assert_eq!(out.status.code(), Some(raw.code), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.path().join("pairs/verdict.json")).expect("verdict.json");
    assert_same_verdict(&raw.verdict(), &serde_json::from_str(&text).expect("parses"));
}
