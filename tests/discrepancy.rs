//! Discrepancy analysis: field-level diffs, comparison options, noise cancellation with a V1
//! replay, segment and path rankings, examples and the Parquet export.

use crate::common::{analyze, generate};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read_jsonl(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p).unwrap().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Ids of pairs where both versions answered ok and the results differ, counted independently
/// of shadowgate from the generated files.
fn differing_ids(v1: &Path, v2: &Path) -> BTreeSet<String> {
    let by_id = |rows: Vec<Value>| -> BTreeMap<String, Value> {
        rows.into_iter().map(|r| (r["correlation_id"].as_str().unwrap().to_string(), r)).collect()
    };
    let (a, b) = (by_id(read_jsonl(v1)), by_id(read_jsonl(v2)));
    a.iter()
        .filter_map(|(id, r1)| {
            let r2 = b.get(id)?;
            (r1["status"] == "ok" && r2["status"] == "ok" && r1["result"] != r2["result"]).then(|| id.clone())
        })
        .collect()
}

#[test]
fn an_injected_discrepancy_is_found_exactly_and_ranked_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(
        tmp.path(),
        "jsonl",
        &[
            "--pairs",
            "8000",
            "--seed",
            "51",
            "--discrepancy-rate",
            "0.05",
            "--discrepancy-segment",
            "payment",
            "--discrepancy-field",
            "valid",
        ],
    );
    let expected = differing_ids(&v1, &v2);
    assert!(expected.len() > 20, "the generator injected {} discrepancies", expected.len());
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--segment-by", "validation_type", "--segment-by", "region"]);
    let v = run.verdict();
    let d = &v["metrics"]["discrepancy"];
    assert_eq!(d["mismatches"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(d["by_path"][0]["path"], "valid");
    assert_eq!(d["by_path"][0]["count"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(d["by_path"].as_array().unwrap().len(), 1, "only the injected field differs");
    assert_eq!(d["by_segment"][0]["column"], "validation_type");
    assert_eq!(d["by_segment"][0]["value"], "payment");
    assert_eq!(d["by_segment"][0]["mismatches"].as_u64().unwrap() as usize, expected.len());
    assert!(d["by_segment"][0]["q_value"].as_f64().unwrap() < 1e-6);
    // Examples point at real mismatched pairs.
    for ex in d["by_path"][0]["examples"].as_array().unwrap() {
        assert!(expected.contains(ex["correlation_id"].as_str().unwrap()));
        assert_ne!(ex["v1_result"], ex["v2_result"]);
    }
    // The export holds exactly the mismatched pairs.
    use arrow_array::cast::AsArray;
    let file = std::fs::File::open(run.out.join("discrepancies.parquet")).unwrap();
    let batches: Vec<_> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1 << 16).unwrap().collect::<Result<_, _>>().unwrap();
    let column = |name: &str| -> Vec<Option<String>> {
        batches
            .iter()
            .flat_map(|b| b.column_by_name(name).unwrap().as_string::<i32>().iter().map(|s| s.map(str::to_string)).collect::<Vec<_>>())
            .collect()
    };
    let ids: BTreeSet<String> = column("correlation_id").into_iter().map(|s| s.unwrap()).collect();
    assert_eq!(ids, expected);
    assert_eq!(column("correlation_id").len(), expected.len());
    assert!(column("segment.validation_type").iter().all(|s| s.as_deref() == Some("payment")));
}

/// V1 and V2 JSONL where V2's result is `v2(i, r)` for V1's result `r`.
fn write(dir: &Path, name: &str, n: usize, result: impl Fn(usize) -> Value) -> std::path::PathBuf {
    let mut text = String::new();
    for i in 0..n {
        let row = serde_json::json!({"correlation_id": format!("r{i}"), "timestamp": 1_790_000_000_000u64 + i as u64 * 100, "latency_ms": 50, "status": "ok", "result": result(i)});
        text.push_str(&row.to_string());
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn policy(dir: &Path, text: &str) -> String {
    let p = dir.join("policy.toml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn reordered_arrays_are_order_only_and_ignored_as_multisets() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = write(tmp.path(), "v1.jsonl", 1200, |_| serde_json::json!({"valid": false, "violations": ["A", "B"]}));
    let v2 = write(
        tmp.path(),
        "v2.jsonl",
        1200,
        |i| serde_json::json!({"valid": false, "violations": if i % 24 == 0 { ["B", "A"] } else { ["A", "B"] }}),
    );
    let strict = analyze(&v1, &v2, &tmp.path().join("a"), &[]).verdict();
    let d = &strict["metrics"]["discrepancy"];
    assert_eq!(d["mismatches"], 50);
    assert_eq!(d["by_path"][0]["path"], "violations[]");
    assert_eq!(d["by_path"][0]["kinds"]["array_order_only"], 50);
    let p = policy(tmp.path(), "[compare]\nmultiset = [\"violations\"]\n");
    let lenient = analyze(&v1, &v2, &tmp.path().join("b"), &["--policy", &p]).verdict();
    assert_eq!(lenient["metrics"]["discrepancy"]["mismatches"], 0);
}

#[test]
fn numeric_drift_within_tolerance_is_not_a_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = write(tmp.path(), "v1.jsonl", 1200, |i| serde_json::json!({"score": 0.5 + i as f64 / 1e4}));
    let v2 = write(tmp.path(), "v2.jsonl", 1200, |i| serde_json::json!({"score": 0.5 + i as f64 / 1e4 + if i < 30 { 0.3 } else { 1e-9 }}));
    let strict = analyze(&v1, &v2, &tmp.path().join("a"), &[]).verdict();
    assert_eq!(strict["metrics"]["discrepancy"]["mismatches"], 1200);
    let p = policy(tmp.path(), "[compare]\nrel_tolerance = 1e-6\n");
    let tolerant = analyze(&v1, &v2, &tmp.path().join("b"), &["--policy", &p]).verdict();
    let d = &tolerant["metrics"]["discrepancy"];
    assert_eq!(d["mismatches"], 30, "only drift beyond the tolerance counts");
    assert_eq!(d["by_path"][0]["kinds"]["numeric_drift_beyond_tolerance"], 30);
    let p = policy(tmp.path(), "[compare]\nignore = [\"sco*\"]\n");
    let ignored = analyze(&v1, &v2, &tmp.path().join("c"), &["--policy", &p]).verdict();
    assert_eq!(ignored["metrics"]["discrepancy"]["mismatches"], 0);
}

#[test]
fn an_always_changing_field_is_noise_with_a_replay_and_reported_without() {
    let tmp = tempfile::tempdir().unwrap();
    // evaluated_at changes on every run; `valid` really differs in V2 for 40 requests.
    let v1 = write(tmp.path(), "v1.jsonl", 3000, |i| serde_json::json!({"valid": true, "evaluated_at": format!("a{i}")}));
    let replay = write(tmp.path(), "v1b.jsonl", 3000, |i| serde_json::json!({"valid": true, "evaluated_at": format!("b{i}")}));
    let v2 = write(tmp.path(), "v2.jsonl", 3000, |i| serde_json::json!({"valid": i >= 40, "evaluated_at": format!("c{i}")}));
    let without = analyze(&v1, &v2, &tmp.path().join("a"), &[]).verdict();
    let d = &without["metrics"]["discrepancy"];
    assert_eq!(d["mismatches"], 3000, "without a replay nothing is assumed to be noise");
    assert!(d["by_path"].as_array().unwrap().iter().any(|f| f["path"] == "evaluated_at" && f["count"] == 3000));
    let with = analyze(&v1, &v2, &tmp.path().join("b"), &["--v1-replay", replay.to_str().unwrap()]).verdict();
    let d = &with["metrics"]["discrepancy"];
    assert_eq!(d["mismatches"], 40, "only the real difference counts");
    let noise = &d["noise"];
    assert_eq!(noise["mismatches_including_noise"], 3000);
    let paths = noise["paths"].as_array().unwrap();
    let get = |p: &str| paths.iter().find(|x| x["path"] == p).cloned().unwrap();
    assert_eq!(get("evaluated_at")["noise"], true);
    assert_eq!(get("valid")["noise"], false);
}

#[test]
fn noise_is_listed_in_the_report_not_hidden() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = write(tmp.path(), "v1.jsonl", 1500, |i| serde_json::json!({"valid": true, "evaluated_at": format!("a{i}")}));
    let replay = write(tmp.path(), "v1b.jsonl", 1500, |i| serde_json::json!({"valid": true, "evaluated_at": format!("b{i}")}));
    let v2 = write(tmp.path(), "v2.jsonl", 1500, |i| serde_json::json!({"valid": true, "evaluated_at": format!("c{i}")}));
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--v1-replay", replay.to_str().unwrap()]);
    assert_eq!(run.verdict()["metrics"]["discrepancy"]["mismatches"], 0);
    let html = std::fs::read_to_string(run.out.join("report.html")).unwrap();
    assert!(html.contains("Noise (V1 against its replay)") && html.contains("<code>evaluated_at</code>"), "noise table in the report");
}
