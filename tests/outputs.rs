//! Output contracts: the JSON Schema, percentiles against NumPy, JUnit, summary, determinism.

use crate::common::{analyze, repo};
use serde_json::Value;

fn fixtures_run(tmp: &std::path::Path) -> crate::common::Run {
    let f = repo().join("fixtures/shadow");
    analyze(&f.join("v1.jsonl"), &f.join("v2.jsonl"), &tmp.join("out"), &["--segment-by", "validation_type"])
}

pub fn schema() -> (boon::Schemas, boon::SchemaIndex) {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("docs/verdict.schema.json")).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("verdict.schema.json", schema).unwrap();
    let idx = compiler.compile("verdict.schema.json", &mut schemas).unwrap();
    (schemas, idx)
}

#[test]
fn verdict_validates_against_the_shipped_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixtures_run(tmp.path());
    let (schemas, idx) = schema();
    let v = run.verdict();
    if let Err(e) = schemas.validate(&v, idx) {
        panic!("verdict.json does not match docs/verdict.schema.json: {e:#}");
    }
    // The optional blocks too: a rollback drill and sequential intervals.
    let f = repo().join("fixtures/shadow");
    let more = analyze(
        &f.join("v1.jsonl"),
        &f.join("v2.jsonl"),
        &tmp.path().join("more"),
        &["--sequential", "--rollback-at", "2025-11-27T00:30:00Z"],
    );
    let w = more.verdict();
    assert!(w["rollback"].is_object() && w["metrics"]["sequential"].is_object(), "{}", more.stderr);
    if let Err(e) = schemas.validate(&w, idx) {
        panic!("verdict.json with a rollback drill and sequential intervals does not match the schema: {e:#}");
    }
    // A broken document must not validate (the schema is not vacuous).
    let mut broken = v.clone();
    broken["decision"] = Value::from("MAYBE");
    assert!(schemas.validate(&broken, idx).is_err());
    let mut broken = v;
    broken["gates"][0].as_object_mut().unwrap().remove("status");
    assert!(schemas.validate(&broken, idx).is_err());
}

#[test]
fn fixture_percentiles_match_numpy() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixtures_run(tmp.path());
    let v = run.verdict();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/data/fixture_percentiles.json")).unwrap()).unwrap();
    let mut checked = 0;
    for version in ["v1", "v2"] {
        let got = &v["metrics"]["latency_ms"][version];
        let want = &reference[version];
        assert_eq!(got["n"], want["n"], "{version} n");
        for q in ["p50", "p90", "p95", "p99"] {
            let (g, w) = (got[q]["estimate"].as_f64().unwrap(), want[q].as_f64().unwrap());
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{version} {q}: shadowgate {g}, numpy {w}");
            checked += 1;
        }
        let (g, w) = (got["mean"]["estimate"].as_f64().unwrap(), want["mean"].as_f64().unwrap());
        assert!((g - w).abs() <= 1e-9 * w.abs(), "{version} mean: {g} vs {w}");
    }
    assert_eq!(checked, 8);
}

#[test]
fn junit_has_one_testcase_per_gate_and_parses() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixtures_run(tmp.path());
    let xml = std::fs::read_to_string(run.out.join("junit.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) if e.name().as_ref() == b"testcase" => {
                cases += 1
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => panic!("junit.xml does not parse: {e}"),
            _ => {}
        }
    }
    assert_eq!(cases, run.verdict()["gates"].as_array().unwrap().len());
}

#[test]
fn same_inputs_give_byte_identical_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let f = repo().join("fixtures/shadow");
    let a = analyze(&f.join("v1.jsonl"), &f.join("v2.jsonl"), &tmp.path().join("a"), &[]);
    let b = analyze(&f.join("v1.jsonl"), &f.join("v2.jsonl"), &tmp.path().join("b"), &[]);
    let read = |r: &crate::common::Run| std::fs::read(r.out.join("verdict.json")).unwrap();
    assert_eq!(read(&a), read(&b));
}

#[test]
fn the_order_of_the_rows_does_not_change_the_verdict() {
    // The same requests in another order (another export, another engine's part files): the
    // pairs are put in V1's time order (then the id's hash), so every interval is the same.
    use rand::{seq::SliceRandom, SeedableRng};
    let tmp = tempfile::tempdir().unwrap();
    let f = repo().join("fixtures/shadow");
    let mut shuffled = Vec::new();
    for v in ["v1", "v2"] {
        let text = std::fs::read_to_string(f.join(format!("{v}.jsonl"))).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.shuffle(&mut rand::rngs::StdRng::seed_from_u64(11));
        let path = tmp.path().join(format!("{v}.jsonl"));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        shuffled.push(path);
    }
    let flags = ["--segment-by", "validation_type"];
    let a = analyze(&f.join("v1.jsonl"), &f.join("v2.jsonl"), &tmp.path().join("a"), &flags);
    let b = analyze(&shuffled[0], &shuffled[1], &tmp.path().join("b"), &flags);
    assert_eq!(a.code, b.code, "{}", b.stderr);
    crate::common::assert_same_verdict(&a.verdict(), &b.verdict());
}

#[test]
fn summary_markdown_escapes_log_strings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v1 = String::new();
    let mut v2 = String::new();
    for i in 0..1500 {
        let seg = if i % 2 == 0 { "<script>alert(1)</script>" } else { "a|b" };
        let line = |r: &str| {
            format!("{{\"correlation_id\":\"c{i}\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"latency_ms\":10,\"status\":\"ok\",\"kind\":\"{seg}\",\"result\":{r}}}\n")
        };
        v1.push_str(&line("{\"v\":1}"));
        v2.push_str(&line(if i == 3 { "{\"v\":2}" } else { "{\"v\":1}" }));
    }
    std::fs::write(tmp.path().join("v1.jsonl"), v1).unwrap();
    std::fs::write(tmp.path().join("v2.jsonl"), v2).unwrap();
    let run = analyze(&tmp.path().join("v1.jsonl"), &tmp.path().join("v2.jsonl"), &tmp.path().join("out"), &["--segment-by", "kind"]);
    let md = std::fs::read_to_string(run.out.join("summary.md")).unwrap();
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("`c3`"), "example id listed: {md}");
}

#[test]
fn verdict_is_identical_across_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let f = repo().join("fixtures/shadow");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("t{threads}"));
        let o = crate::common::bin()
            .env("RAYON_NUM_THREADS", threads)
            .args(["analyze", "--quiet", "--segment-by", "validation_type", "--v1"])
            .arg(f.join("v1.parquet"))
            .arg("--v2")
            .arg(f.join("v2.parquet"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1 | 3)));
        outputs.push(std::fs::read(out.join("verdict.json")).unwrap());
    }
    assert!(outputs[0] == outputs[1], "verdict.json differs between 1 and 2 threads");
}

#[test]
fn summary_is_appended_to_the_github_step_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let f = repo().join("fixtures/shadow");
    let summary = tmp.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = crate::common::bin()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["analyze", "--quiet", "--v1"])
        .arg(f.join("v1.jsonl"))
        .arg("--v2")
        .arg(f.join("v2.jsonl"))
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n# shadowgate: 🔴 NO_GO"), "{text}");
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
}

#[test]
fn sampling_keeps_both_halves_of_each_pair_and_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = crate::common::generate(tmp.path(), "parquet", &["--pairs", "20000", "--seed", "61"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--sample-rate", "0.25"]);
    let v = run.verdict();
    assert_eq!(v["sample_rate"], 0.25);
    let pairs = v["pairing"]["pairs"].as_u64().unwrap();
    assert!((4400..=5600).contains(&pairs), "{pairs} pairs kept of 20000");
    assert_eq!(v["pairing"]["coverage"], 1.0, "the same requests are kept in both versions");
    assert_eq!(v["inputs"]["v1"]["rows_sampled_out"].as_u64().unwrap() + pairs, 20000);
    let again = analyze(&v1, &v2, &tmp.path().join("again"), &["--sample-rate", "0.25"]);
    assert_eq!(again.verdict()["pairing"]["pairs"].as_u64().unwrap(), pairs, "deterministic");
    let bad = analyze(&v1, &v2, &tmp.path().join("bad"), &["--sample-rate", "0"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--sample-rate"));
}
