//! The policy: printed defaults round-trip, and mistakes name the key and line.

use crate::common::{analyze, bin, generate};

#[test]
fn printed_default_policy_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().arg("policy").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[gates.\"latency.p95.vs_v1\"]") && text.contains("threshold = 1.05"));
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, &text).unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "3000", "--seed", "8"]);
    let a = analyze(&v1, &v2, &tmp.path().join("a"), &[]);
    let b = analyze(&v1, &v2, &tmp.path().join("b"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(a.code, b.code);
    let read = |r: &crate::common::Run| std::fs::read_to_string(r.out.join("verdict.json")).unwrap();
    assert_eq!(read(&a), read(&b), "a printed default policy must behave like no policy");
}

#[test]
fn unknown_key_and_wrong_type_name_the_key_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, "[analysis]\nconfidence = 0.95\n\n[columns]\ncorelation_id = \"x\"\n").unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("p.toml") && run.stderr.contains("corelation_id") && run.stderr.contains("line 5"), "{}", run.stderr);
    std::fs::write(&policy, "[gates.\"errors.rate\"]\nthreshold = \"one percent\"\n").unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("threshold") && run.stderr.contains("line 2"), "{}", run.stderr);
}

#[test]
fn impossible_values_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "100"]);
    let policy = tmp.path().join("p.toml");
    for (text, needle) in [
        ("[gates.\"latency.p95.vs_v1\"]\nthreshold = 0.9\n", "below 1"),
        ("[gates.\"errors.rate\"]\nthreshold = -0.01\n", ">= 0"),
        ("[analysis]\nconfidence = 95\n", "confidence"),
        ("[gates.\"my.gate\"]\nthreshold = 1.0\n", "needs `statistic`"),
        ("[gates.\"my.gate\"]\nstatistic = \"v2.latency.p42\"\nthreshold = 1.0\nseverity = \"blocking\"\n", "not a known statistic"),
    ] {
        std::fs::write(&policy, text).unwrap();
        let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{text}");
        assert!(run.stderr.contains(needle), "{text}: {}", run.stderr);
    }
}

#[test]
fn a_custom_gate_is_evaluated() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "5000", "--seed", "9"]);
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, "[gates.\"latency.p99.budget\"]\nstatistic = \"v2.latency.p99\"\nthreshold = 1.0\nseverity = \"blocking\"\n")
        .unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(run.gate("latency.p99.budget")["status"], "fail");
}
