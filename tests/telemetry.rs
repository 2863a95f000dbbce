//! Logs as teams export them (issue #16): OTLP/JSON, Jaeger, Zipkin, Envoy and nginx JSON access
//! logs read through their presets give the verdict of the same requests in shadowgate's own
//! format; mapping by policy alone (nested paths, units, HTTP codes, a version column, row
//! selection) works and fails with messages that name the key to set.

use crate::common::{analyze, bin, repo, Run};
use serde_json::Value;
use std::path::Path;

/// The verdict without what necessarily differs between formats: file names, the policy, the
/// per-format input counts (spans not selected, timestamp units), and the error codes (Envoy's
/// response flags, nginx's none, where the native log says `upstream_timeout`).
fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().expect("object");
    o.remove("policy");
    o.remove("generated_at");
    o.remove("inputs");
    // The memory estimate depends on the files (their sizes and row counts), not the requests.
    o.remove("memory");
    for side in ["v1", "v2"] {
        if let Some(e) = o.get_mut("metrics").and_then(|m| m["errors"].get_mut(side)).and_then(Value::as_object_mut) {
            e.remove("top_error_codes");
        }
    }
    v
}

/// `analyze --input FILE --policy POLICY --out OUT` (quiet or not).
fn analyze_input(file: &Path, policy: &Path, out: &Path, quiet: bool) -> std::process::Output {
    let mut c = bin();
    c.args(["analyze", "--input"]).arg(file).arg("--policy").arg(policy).arg("--out").arg(out);
    if quiet {
        c.arg("-q");
    }
    c.output().expect("runs")
}

/// `analyze --preset otlp --input FILE --out OUT -q`.
fn analyze_otlp(file: &Path, out: &Path) -> std::process::Output {
    bin().args(["analyze", "--preset", "otlp", "--input"]).arg(file).arg("--out").arg(out).arg("-q").output().expect("runs")
}

fn native(out: &Path) -> Run {
    let t = repo().join("fixtures/telemetry/native");
    analyze(&t.join("v1.jsonl"), &t.join("v2.jsonl"), out, &["-q"])
}

fn input(preset: &str, file: &str, out: &Path) -> Run {
    input_with(preset, file, out, &[])
}

fn input_with(preset: &str, file: &str, out: &Path, extra: &[&str]) -> Run {
    let o = bin()
        .args(["analyze", "--preset", preset, "--input"])
        .arg(repo().join("fixtures/telemetry").join(file))
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .output()
        .expect("runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out: out.to_path_buf(),
    }
}

/// The native verdict and its counts.
fn baseline(dir: &Path) -> (Run, Value) {
    let base = native(&dir.join("native"));
    assert_eq!(base.code, 1, "{}", base.stderr);
    let v = base.verdict();
    assert_eq!(v["inputs"]["v1"]["rows_accepted"], 400);
    (base, v)
}

fn check_same(name: &str, run: &Run, base: &Value) {
    assert_eq!(run.code, 1, "{name}: {}", run.stderr);
    let v = run.verdict();
    for side in ["v1", "v2"] {
        let i = &v["inputs"][side];
        assert_eq!(i["rows_read"], 400, "{name} {side}: {i}");
        assert_eq!(i["rows_accepted"], 400, "{name} {side}: {i}");
        assert_eq!(i["rows_rejected"], 0, "{name} {side}: {i}");
    }
    assert_eq!(comparable(&v), comparable(base), "{name}: the verdict differs from the native one");
}

#[test]
fn otlp_jaeger_and_zipkin_exports_give_the_native_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, base) = baseline(dir.path());
    for (preset, file) in [("otlp", "otlp/traces.jsonl"), ("jaeger", "jaeger/traces.json"), ("zipkin", "zipkin/spans.json")] {
        let run = input(preset, file, &dir.path().join(preset));
        check_same(preset, &run, &base);
        // Out of core: both versions' spans of the one export spill their ids by partition.
        let ooc = input_with(preset, file, &dir.path().join(format!("{preset}-ooc")), &["--spill-partitions", "4"]);
        check_same(&format!("{preset} out of core"), &ooc, &base);
        assert_eq!(ooc.verdict()["memory"]["out_of_core"], true);
        let v = run.verdict();
        let i = &v["inputs"]["v1"];
        // The other version's server spans and every span that is not a server span of the
        // validator are counted, not rejected.
        assert_eq!(i["not_selected_by_reason"]["other_version"], 400, "{preset}: {i}");
        assert!(i["not_selected_by_reason"]["select"].as_u64().unwrap_or(0) >= 400, "{preset}: {i}");
        assert_eq!(i["version_values"]["2.0.0"], 400, "{preset}: {i}");
        // The new input counters are in the shipped schema.
        let (schemas, idx) = crate::outputs::schema();
        if let Err(e) = schemas.validate(&v, idx) {
            panic!("{preset}: verdict.json does not match docs/verdict.schema.json: {e:#}");
        }
    }
}

#[test]
fn envoy_and_nginx_access_logs_give_the_native_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, base) = baseline(dir.path());
    let t = repo().join("fixtures/telemetry");
    for preset in ["envoy", "nginx"] {
        let run = analyze(&t.join(preset).join("v1"), &t.join(preset).join("v2"), &dir.path().join(preset), &["-q", "--preset", preset]);
        check_same(preset, &run, &base);
    }
    // 4xx is the caller's error: the fixture's 422s count as successes, as in the native log.
    let nginx = dir.path().join("nginx");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(nginx.join("verdict.json")).expect("read")).expect("json");
    assert_eq!(v["metrics"]["errors"]["v1"]["errors"], base_errors(dir.path(), "v1"));
}

fn base_errors(dir: &Path, side: &str) -> Value {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("native/verdict.json")).expect("read")).expect("json");
    v["metrics"]["errors"][side]["errors"].clone()
}

#[test]
fn a_trace_export_gzipped_and_detected_by_content() {
    // No --format, no [input] format: a .json(.gz) file that is an OTLP export is recognized.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read(repo().join("fixtures/telemetry/otlp/traces.jsonl")).expect("read");
    let gz = dir.path().join("export.json.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).expect("create"), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &src).expect("write");
    enc.finish().expect("finish");
    let policy = dir.path().join("p.toml");
    let preset = std::fs::read_to_string(repo().join("presets/otlp.toml")).expect("preset");
    std::fs::write(&policy, preset.replace("format = \"otlp\"", "")).expect("write");
    let o = analyze_input(&gz, &policy, &dir.path().join("o"), true);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Writes JSON Lines of nested records (a warehouse export with its own names and units).
fn nested_logs(dir: &Path) -> std::path::PathBuf {
    let mut lines = Vec::new();
    for i in 0..1500u64 {
        for (version, slow) in [("blue", 0u64), ("green", 3)] {
            let start = 1_790_000_000_000_000u64 + i * 200_000;
            let dur = 20_000 + (i * 7919) % 30_000 + slow * 1000;
            let code = if (i + slow) % 97 == 0 {
                502
            } else if i % 31 == 0 {
                404
            } else {
                200
            };
            lines.push(format!(
                r#"{{"req":{{"headers":{{"x-correlation-id":"c-{i}"}}}},"timing":{{"start_us":{start},"end_us":{}}},"deploy":{{"color":"{version}"}},"http":{{"status":"{code}"}},"body":{{"verdict":{{"ok":{}}}}}}}"#,
                start + dur,
                i % 50 != 0
            ));
        }
    }
    let path = dir.join("warehouse.jsonl");
    std::fs::write(&path, lines.join("\n")).expect("write");
    path
}

const NESTED_POLICY: &str = r#"
[columns]
correlation_id = 'req.headers."x-correlation-id"'
timestamp = "timing.start_us"
timestamp_unit = "us"
latency_start = "timing.start_us"
latency_end = "timing.end_us"
latency_unit = "us"
status = "http.status"
result = "body.verdict"
version = "deploy.color"
v1_value = "blue"
v2_value = "green"
"#;

#[test]
fn mapping_by_policy_alone_reads_nested_records_with_units_and_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = nested_logs(dir.path());
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, NESTED_POLICY).expect("write");
    let o = analyze_input(&logs, &policy, &dir.path().join("o"), true);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{stderr}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("o/verdict.json")).expect("read")).expect("json");
    for side in ["v1", "v2"] {
        assert_eq!(v["inputs"][side]["rows_accepted"], 1500, "{side}: {}", v["inputs"][side]);
        assert_eq!(v["inputs"][side]["not_selected_by_reason"]["other_version"], 1500);
    }
    assert_eq!(v["pairing"]["pairs"], 1500, "{}", v["pairing"]);
    // 502s are errors, 404s are not: V1 has i % 97 == 0 (16 of 1500), V2 (i + 3) % 97 == 0 (15).
    assert_eq!(v["metrics"]["errors"]["v1"]["errors"], 16);
    assert_eq!(v["metrics"]["errors"]["v2"]["errors"], 15);
    // Latency = end - start in microseconds: V1's median is near 35 ms, V2 3 ms slower.
    let p50 = |side: &str| v["metrics"]["latency_ms"][side]["p50"]["estimate"].as_f64().unwrap_or(f64::NAN);
    assert!((p50("v1") - 35.0).abs() < 1.5, "{}", p50("v1"));
    assert!((p50("v2") - p50("v1") - 3.0).abs() < 0.5, "{} {}", p50("v1"), p50("v2"));
}

#[test]
fn bad_mappings_name_the_path_and_the_key_to_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = nested_logs(dir.path());
    let run = |policy_text: &str| {
        let policy = dir.path().join("p.toml");
        std::fs::write(&policy, policy_text).expect("write");
        let o = analyze_input(&logs, &policy, &dir.path().join("o"), false);
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // A wrong nested key: where the walk stopped and what is there.
    let (code, err) = run(&NESTED_POLICY.replace("req.headers.\"x-correlation-id\"", "req.header.id"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("req.header.id") && err.contains("columns.correlation_id") && err.contains("`req` has keys `headers`"), "{err}");
    // A version value that does not occur: the values found and the key to set.
    let (code, err) = run(&NESTED_POLICY.replace("v2_value = \"green\"", "v2_value = \"red\""));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("\"green\" (1500 rows)") && err.contains("columns.v2_value"), "{err}");
    // A path that does not parse.
    let (code, err) = run(&NESTED_POLICY.replace("timing.end_us", "timing..end_us"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("columns.latency_end") && err.contains("empty key"), "{err}");
    // Half of a span mapping.
    let (code, err) = run(&NESTED_POLICY.replace("latency_end = \"timing.end_us\"\n", ""));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("latency_start") && err.contains("set both"), "{err}");
    // A bad status class.
    let (code, err) = run(&format!("{NESTED_POLICY}error_status_codes = [\"5xy\"]\n"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("error_status_codes") && err.contains("5xy"), "{err}");
    // One file without a version column to split it.
    let o = bin().args(["analyze", "--input"]).arg(&logs).arg("--out").arg(dir.path().join("o")).output().expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("[columns] version"), "{err}");
    // A select that keeps nothing.
    let (code, err) = run(&format!("{NESTED_POLICY}[input.select]\n\"deploy.color\" = [\"purple\"]\n"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("[input] select") && err.contains("purple"), "{err}");
    // An unknown preset.
    let o = bin().args(["analyze", "--preset", "splunk", "--input"]).arg(&logs).output().expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("otlp, jaeger, zipkin, envoy, nginx"), "{err}");
}

#[test]
fn a_broken_otlp_line_and_a_span_without_an_end_are_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read_to_string(repo().join("fixtures/telemetry/otlp/traces.jsonl")).expect("read");
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    // A truncated batch line, and one V2 server span without endTimeUnixNano.
    lines.insert(2, r#"{"resourceSpans":[{"resource":{"#.to_string());
    let v2_line = lines.iter().position(|l| l.contains("\"2.0.0\"")).expect("a V2 batch");
    lines[v2_line] = lines[v2_line].replacen(r#""endTimeUnixNano":"#, r#""endTimeUnixNanoX":"#, 1);
    let file = dir.path().join("traces.jsonl");
    std::fs::write(&file, lines.join("\n")).expect("write");
    let o = analyze_otlp(&file, &dir.path().join("o"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(1 | 3)), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("o/verdict.json")).expect("read")).expect("json");
    assert_eq!(v["inputs"]["v2"]["rejected_by_reason"]["malformed"], 1, "{}", v["inputs"]["v2"]);
    assert_eq!(v["inputs"]["v2"]["rejected_by_reason"]["invalid_latency"], 1, "{}", v["inputs"]["v2"]);
    assert_eq!(v["inputs"]["v2"]["rows_accepted"], 399);
    let rejected = std::fs::read_to_string(dir.path().join("o/rejected.jsonl")).expect("rejected.jsonl");
    assert!(rejected.contains("endTimeUnixNano") && rejected.contains("traces.jsonl"), "{rejected}");
}

#[test]
fn every_preset_prints_as_a_policy_that_reads_back_the_same() {
    for (name, _) in shadowgate::policy::PRESETS {
        let o = bin().args(["policy", "--preset", name]).output().expect("runs");
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let printed = String::from_utf8_lossy(&o.stdout);
        let back = shadowgate::policy::Policy::from_toml(&printed).unwrap_or_else(|e| panic!("{name}: {e}"));
        let preset = shadowgate::policy::Policy::load_layers(Some(name), None).expect("preset loads");
        assert_eq!(back, preset, "{name}");
        assert_ne!(preset, shadowgate::policy::Policy::default(), "{name} changes nothing");
    }
}

#[test]
fn a_csv_table_holding_both_versions_splits_by_its_version_column() {
    // A warehouse table with its own names, seconds, HTTP codes and one `deployment` column.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("req_id,ts,elapsed_s,http_code,deployment\n");
    for i in 0..1500u64 {
        for (dep, extra) in [("stable", 0u64), ("canary", 2)] {
            let code = if (i + extra) % 101 == 0 {
                500
            } else if i % 17 == 0 {
                429
            } else {
                200
            };
            csv.push_str(&format!("r{i},{},{:.3},{code},{dep}\n", 1_790_000_000 + i, (30 + (i * 13) % 40 + extra) as f64 / 1000.0));
        }
    }
    // A row of a third deployment: counted as not selected, not rejected.
    csv.push_str("r0,1790000000,0.030,200,shadow-test\n");
    let file = dir.path().join("requests.csv");
    std::fs::write(&file, csv).expect("write");
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[columns]\ncorrelation_id = \"req_id\"\ntimestamp = \"ts\"\nlatency_ms = \"elapsed_s\"\nlatency_unit = \"s\"\nstatus = \"http_code\"\nerror_status_codes = [\"5xx\", \"429\"]\nversion = \"deployment\"\nv1_value = \"stable\"\nv2_value = \"canary\"\n",
    )
    .expect("write");
    let out = dir.path().join("o");
    let o = analyze_input(&file, &policy, &out, true);
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out.join("verdict.json")).expect("read")).expect("json");
    for side in ["v1", "v2"] {
        assert_eq!(v["inputs"][side]["rows_accepted"], 1500, "{}", v["inputs"][side]);
        assert_eq!(v["inputs"][side]["not_selected_by_reason"]["other_version"], 1501, "{}", v["inputs"][side]);
        assert_eq!(v["inputs"][side]["version_values"]["shadow-test"], 1);
    }
    // 429 listed as an error: V1 has 15 of i % 101 == 0 plus the 429s not already counted.
    let errors_v1 = (0..1500u64).filter(|i| i % 101 == 0 || i % 17 == 0).count();
    let errors_v2 = (0..1500u64).filter(|i| (i + 2) % 101 == 0 || i % 17 == 0).count();
    assert_eq!(v["metrics"]["errors"]["v1"]["errors"], errors_v1 as u64);
    assert_eq!(v["metrics"]["errors"]["v2"]["errors"], errors_v2 as u64);
    // Seconds to ms: the V2 median is 2 ms above V1's.
    let p50 = |side: &str| v["metrics"]["latency_ms"][side]["p50"]["estimate"].as_f64().unwrap_or(f64::NAN);
    assert!((p50("v2") - p50("v1") - 2.0).abs() < 1e-9, "{} {}", p50("v1"), p50("v2"));
    // A version column the CSV lacks is named in the error.
    std::fs::write(&policy, "[columns]\ncorrelation_id = \"req_id\"\ntimestamp = \"ts\"\nlatency_ms = \"elapsed_s\"\nstatus = \"http_code\"\nversion = \"deploy\"\nv1_value = \"stable\"\nv2_value = \"canary\"\n").expect("write");
    let o = analyze_input(&file, &policy, &out, false);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`deploy`") && err.contains("version") && err.contains("deployment"), "{err}");
}

#[test]
fn one_pretty_printed_otlp_document_reads_like_the_lines() {
    // An OTLP/JSON document (here an array of the fixture's batches, pretty-printed) rather than
    // one batch per line.
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, base) = baseline(dir.path());
    let src = std::fs::read_to_string(repo().join("fixtures/telemetry/otlp/traces.jsonl")).expect("read");
    let batches: Vec<Value> = src.lines().map(|l| serde_json::from_str(l).expect("fixture line")).collect();
    let file = dir.path().join("traces.json");
    std::fs::write(&file, serde_json::to_string_pretty(&batches).expect("json")).expect("write");
    let o = analyze_otlp(&file, &dir.path().join("doc"));
    let run = Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out: dir.path().join("doc"),
    };
    check_same("otlp document", &run, &base);
}
