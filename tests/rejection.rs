//! Every rejection reason is counted exactly, rejected rows are sampled to rejected.jsonl, and
//! the rest of the file is still read.

use crate::common::analyze;
use std::fmt::Write as _;

/// `good` valid paired rows plus one row per defect, written as V1 and V2 JSONL.
fn write_pair(dir: &std::path::Path, good: usize, defects: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut v1 = String::new();
    let mut v2 = String::new();
    for i in 0..good {
        let ts = format!("2026-11-27T10:{:02}:{:02}.000Z", (i / 60) % 60, i % 60);
        let _ = writeln!(
            v1,
            r#"{{"correlation_id":"id-{i}","timestamp":"{ts}","latency_ms":{},"status":"ok","result":{{"valid":true}}}}"#,
            100 + i % 50
        );
        let _ = writeln!(
            v2,
            r#"{{"correlation_id":"id-{i}","timestamp":"{ts}","latency_ms":{},"status":"ok","result":{{"valid":true}}}}"#,
            101 + i % 50
        );
        if i == good / 2 {
            for d in defects {
                v2.push_str(d);
                v2.push('\n');
            }
        }
    }
    let (p1, p2) = (dir.join("v1.jsonl"), dir.join("v2.jsonl"));
    std::fs::write(&p1, v1).unwrap();
    std::fs::write(&p2, v2).unwrap();
    (p1, p2)
}

#[test]
fn each_reason_is_counted_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let ts = "2026-11-27T10:00:00Z";
    let defects = [
        // malformed: 3
        r#"{"correlation_id":"x1","timestamp":"#.to_string(),
        "not json at all".to_string(),
        "[1,2,3]".to_string(),
        // missing_correlation_id: 3
        format!(r#"{{"timestamp":"{ts}","latency_ms":5,"status":"ok"}}"#),
        format!(r#"{{"correlation_id":"","timestamp":"{ts}","latency_ms":5,"status":"ok"}}"#),
        format!(r#"{{"correlation_id":null,"timestamp":"{ts}","latency_ms":5,"status":"ok"}}"#),
        // invalid_latency: 4
        format!(r#"{{"correlation_id":"l1","timestamp":"{ts}","latency_ms":-1,"status":"ok"}}"#),
        format!(r#"{{"correlation_id":"l2","timestamp":"{ts}","latency_ms":"12ms","status":"ok"}}"#),
        format!(r#"{{"correlation_id":"l3","timestamp":"{ts}","status":"ok"}}"#),
        format!(r#"{{"correlation_id":"l4","timestamp":"{ts}","latency_ms":"NaN","status":"ok"}}"#),
        // invalid_timestamp: 2
        r#"{"correlation_id":"t1","timestamp":"yesterday","latency_ms":5,"status":"ok"}"#.to_string(),
        r#"{"correlation_id":"t2","latency_ms":5,"status":"ok"}"#.to_string(),
        // invalid_status: 2
        format!(r#"{{"correlation_id":"s1","timestamp":"{ts}","latency_ms":5}}"#),
        format!(r#"{{"correlation_id":"s2","timestamp":"{ts}","latency_ms":5,"status":""}}"#),
    ];
    let refs: Vec<&str> = defects.iter().map(|s| s.as_str()).collect();
    let (v1, v2) = write_pair(tmp.path(), 1200, &refs);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
    let v = run.verdict();
    let r = &v["inputs"]["v2"];
    assert_eq!(r["rows_read"], 1200 + 14);
    assert_eq!(r["rows_rejected"], 14);
    assert_eq!(r["rows_accepted"], 1200);
    let by = &r["rejected_by_reason"];
    assert_eq!(by["malformed"], 3);
    assert_eq!(by["missing_correlation_id"], 3);
    assert_eq!(by["invalid_latency"], 4);
    assert_eq!(by["invalid_timestamp"], 2);
    assert_eq!(by["invalid_status"], 2);
    assert_eq!(v["inputs"]["v1"]["rows_rejected"], 0);
    // The malformed line in the middle did not cost any other line: every id paired.
    assert_eq!(v["pairing"]["pairs"], 1200);
    let sample = std::fs::read_to_string(tmp.path().join("out/rejected.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = sample.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 14);
    assert!(lines.iter().all(|l| l["file"].as_str().unwrap().ends_with("v2.jsonl") && l["line"].as_u64().unwrap() > 600));
    assert_eq!(lines[0]["reason"], "malformed");
    assert_eq!(lines[0]["line"], 602);
}

#[test]
fn rejected_sample_is_bounded_but_all_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let bad: Vec<String> =
        (0..30).map(|i| format!(r#"{{"correlation_id":"b{i}","timestamp":"x","latency_ms":1,"status":"ok"}}"#)).collect();
    let refs: Vec<&str> = bad.iter().map(|s| s.as_str()).collect();
    let (v1, v2) = write_pair(tmp.path(), 1100, &refs);
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, "[analysis]\nmax_rejected_samples = 10\n").unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(run.verdict()["inputs"]["v2"]["rejected_by_reason"]["invalid_timestamp"], 30);
    let sample = std::fs::read_to_string(tmp.path().join("out/rejected.jsonl")).unwrap();
    assert_eq!(sample.lines().count(), 10);
}

#[test]
fn duplicates_and_orphans_are_counted_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) =
        crate::common::generate(tmp.path(), "jsonl", &["--pairs", "2000", "--duplicates", "7", "--orphans", "10", "--seed", "11"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    let v = run.verdict();
    assert_eq!(v["inputs"]["v1"]["duplicate_rows"], 7);
    assert_eq!(v["inputs"]["v1"]["duplicate_ids"], 7);
    assert_eq!(v["inputs"]["v2"]["duplicate_rows"], 7);
    assert_eq!(v["pairing"]["pairs"], 2000);
    // --orphans 10: ten V1 requests without a V2 twin and ten V2 requests without a V1 twin.
    assert_eq!(v["pairing"]["v1_only"], 10);
    assert_eq!(v["pairing"]["v2_only"], 10);
    assert_eq!(v["pairing"]["v1_ids"], 2010);
}

#[test]
fn the_earliest_duplicate_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v1 = String::new();
    let mut v2 = String::new();
    for i in 0..1000 {
        let line = format!(r#"{{"correlation_id":"r{i}","timestamp":{},"latency_ms":100,"status":"ok"}}"#, 1_790_000_000_000u64 + i * 1000);
        v1.push_str(&line);
        v1.push('\n');
        v2.push_str(&line);
        v2.push('\n');
    }
    // A later duplicate of r5 in V2 with a huge latency comes first in the file; an earlier one later.
    let late = r#"{"correlation_id":"r5","timestamp":1790000999000,"latency_ms":999999,"status":"error"}"#;
    v2 = format!("{late}\n{v2}");
    std::fs::write(tmp.path().join("v1.jsonl"), v1).unwrap();
    std::fs::write(tmp.path().join("v2.jsonl"), v2).unwrap();
    let run = analyze(&tmp.path().join("v1.jsonl"), &tmp.path().join("v2.jsonl"), &tmp.path().join("out"), &[]);
    let v = run.verdict();
    assert_eq!(v["inputs"]["v2"]["duplicate_rows"], 1);
    assert_eq!(v["metrics"]["errors"]["v2"]["errors"], 0, "the earlier, ok row must win");
    assert_eq!(v["metrics"]["latency_ms"]["v2"]["max"], 100.0);
}

/// A runaway line (longer than the 64 MiB line cap: a lost newline in a big export) costs one
/// malformed row, is not held in memory, and every line after it is still read with its own line
/// number.
#[test]
fn a_runaway_line_is_one_malformed_row() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = format!(r#"{{"correlation_id":"id-huge","result":"{}"}}"#, "x".repeat(shadowgate::ingest::jsonl::MAX_LINE_BYTES + 1000));
    let (v1, v2) = write_pair(tmp.path(), 800, &[&huge, "{broken"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
    let v = run.verdict();
    let r = &v["inputs"]["v2"];
    assert_eq!(r["rows_read"], 800 + 2);
    assert_eq!(r["rejected_by_reason"]["malformed"], 2);
    assert_eq!(v["pairing"]["pairs"], 800);
    let sample = std::fs::read_to_string(tmp.path().join("out/rejected.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = sample.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line"], 402);
    assert!(lines[0]["detail"].as_str().unwrap().contains("longer than 64 MiB"), "{}", lines[0]);
    assert!(lines[0]["raw"].as_str().unwrap().len() < 2100);
    assert_eq!(lines[1]["line"], 403);
}
