//! Canary mode: two independent samples, the sample-ratio-mismatch check, a leaking split.

use crate::common::{analyze, generate};

#[test]
fn canary_split_matching_the_expected_share_passes_srm() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "parquet", &["--pairs", "200000", "--canary-share", "0.05", "--seed", "31"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--mode", "canary", "--expected-v2-share", "0.05", "--stage", "canary-1"]);
    assert!(matches!(run.code, 0 | 3), "{}", run.stdout);
    let v = run.verdict();
    assert_eq!(v["mode"], "canary");
    assert_eq!(v["pairing"]["pairs"], 0);
    assert_eq!(run.gate("data.srm")["status"], "pass");
    assert_eq!(run.gate("discrepancy.rate")["status"], "skipped");
    assert_eq!(v["metrics"]["latency_ms"]["comparison"]["paired"], false);
    assert_eq!(v["metrics"]["latency_ms"]["comparison"]["test"]["test"], "mann-whitney-u");
    assert_eq!(v["metrics"]["errors"]["diff"]["interval_method"], "newcombe");
}

#[test]
fn a_sample_ratio_mismatch_is_inconclusive() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "parquet", &["--pairs", "200000", "--canary-share", "0.05", "--seed", "32"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--mode", "canary", "--expected-v2-share", "0.10"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let g = run.gate("data.srm");
    assert_eq!(g["status"], "fail");
    assert!(g["message"].as_str().unwrap().contains("sample-ratio mismatch"), "{g}");
}

#[test]
fn ids_in_both_versions_are_reported_as_a_leaking_split() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "3000", "--seed", "33"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--mode", "canary"]);
    assert_eq!(run.verdict()["pairing"]["pairs"], 3000);
    assert!(run.gate("data.srm")["message"].as_str().unwrap().contains("split leaks"));
}
