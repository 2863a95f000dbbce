//! User mistakes: exit code 2 and one clear message naming the file, the column and the fix.

use crate::common::{analyze, bin, generate};
use predicates::prelude::*;

#[test]
fn missing_required_column_names_file_column_found_columns_and_policy_key() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = tmp.path().join("v1.jsonl");
    let v2 = tmp.path().join("v2.jsonl");
    let row = |id: &str| format!(r#"{{"request_id":"{id}","timestamp":"2026-11-27T10:00:00Z","latency_ms":5,"status":"ok"}}"#);
    std::fs::write(&v1, row("a") + "\n" + &row("b") + "\n").unwrap();
    std::fs::write(&v2, row("a") + "\n").unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    for needle in ["v1.jsonl", "`correlation_id` is missing", "`request_id`", "correlation_id = \"your_column\"", "--policy"] {
        assert!(run.stderr.contains(needle), "missing {needle:?} in: {}", run.stderr);
    }
    assert!(!run.out.join("verdict.json").exists());
}

#[test]
fn the_mapping_fixes_the_missing_column() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "csv", &["--pairs", "1200"]);
    for p in [&v1, &v2] {
        let text = std::fs::read_to_string(p).unwrap().replacen("correlation_id", "trace_id", 1).replacen("latency_ms", "duration_s", 1);
        std::fs::write(p, text).unwrap();
    }
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`correlation_id` is missing"), "{}", run.stderr);
    let policy = tmp.path().join("p.toml");
    // duration_s holds milliseconds here, but declaring the unit as ms keeps the numbers as they are.
    std::fs::write(&policy, "[columns]\ncorrelation_id = \"trace_id\"\nlatency_ms = \"duration_s\"\n").unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
    assert_eq!(run.verdict()["pairing"]["pairs"], 1200);
}

#[test]
fn empty_file_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let run = analyze(&v1, &empty, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("empty.jsonl") && run.stderr.contains("no data rows"), "{}", run.stderr);
}

#[test]
fn header_only_csv_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _) = generate(tmp.path(), "csv", &["--pairs", "100"]);
    let header = tmp.path().join("header.csv");
    std::fs::write(&header, "correlation_id,timestamp,latency_ms,status\n").unwrap();
    let run = analyze(&v1, &header, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("header.csv") && run.stderr.contains("no data rows"), "{}", run.stderr);
}

#[test]
fn mislabelled_and_missing_files_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let fake = tmp.path().join("fake.parquet");
    std::fs::copy(&v2, &fake).unwrap();
    let run = analyze(&v1, &fake, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("fake.parquet") && run.stderr.contains("not a Parquet file") && run.stderr.contains("JSON Lines"),
        "{}",
        run.stderr
    );
    let run = analyze(&v1, &tmp.path().join("nope.jsonl"), &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.jsonl") && run.stderr.contains("no such file"), "{}", run.stderr);
    let garbage = tmp.path().join("garbage.parquet");
    std::fs::write(&garbage, b"PAR1\x00\x01\x02 truncated").unwrap();
    let run = analyze(&v1, &garbage, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("garbage.parquet"), "{}", run.stderr);
}

#[test]
fn same_file_twice_and_bad_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let run = analyze(&v1, &v1, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("same path"), "{}", run.stderr);
    bin().args(["analyze", "--v1"]).assert().code(2);
    bin().args(["analyze", "--v1", "a", "--v2", "b", "--mode", "sideways"]).assert().code(2).stderr(predicate::str::contains("sideways"));
}

#[test]
fn every_row_rejected_is_an_input_error_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"correlation_id\":\"a\",\"timestamp\":\"x\",\"latency_ms\":1,\"status\":\"ok\"}\n".repeat(5)).unwrap();
    let run = analyze(&v1, &bad, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("every one of the 5 rows") && run.stderr.contains("invalid_timestamp"), "{}", run.stderr);
}

#[test]
fn a_segment_column_no_row_has_is_a_usage_error_not_one_missing_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = (crate::common::repo().join("fixtures/shadow/v1.parquet"), crate::common::repo().join("fixtures/shadow/v2.parquet"));
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--segment-by", "validation_typo"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--segment-by validation_typo") && run.stderr.contains("no row of V1 or V2 has a value there"),
        "{}",
        run.stderr
    );
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--segment-by", "validation_type"]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
}
