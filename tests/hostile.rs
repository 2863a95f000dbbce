//! A table of hostile and broken inputs (issue #8's matrix): each has its expected exit code and a
//! message (or count) to find, and no run may panic or print a backtrace.

use crate::common::{analyze, bin};
use std::io::Write;
use std::path::{Path, PathBuf};

const GOOD: usize = 1200;

fn line(i: usize, latency: &str, ts: &str) -> String {
    format!(r#"{{"correlation_id":"id-{i}","timestamp":{ts},"latency_ms":{latency},"status":"ok","result":{{"valid":true}}}}"#)
}

fn ts(i: usize) -> String {
    format!("\"2026-11-27T10:{:02}:{:02}Z\"", (i / 60) % 60, i % 60)
}

/// A valid V1/V2 pair of JSONL files; `extra` lines are appended to V2.
fn base(dir: &Path, extra: &[String]) -> (PathBuf, PathBuf) {
    let mut v1 = String::new();
    let mut v2 = String::new();
    for i in 0..GOOD {
        v1.push_str(&line(i, "100", &ts(i)));
        v1.push('\n');
        v2.push_str(&line(i, "101", &ts(i)));
        v2.push('\n');
    }
    for e in extra {
        v2.push_str(e);
        v2.push('\n');
    }
    std::fs::write(dir.join("v1.jsonl"), v1).unwrap();
    std::fs::write(dir.join("v2.jsonl"), v2).unwrap();
    (dir.join("v1.jsonl"), dir.join("v2.jsonl"))
}

enum Expect {
    /// Exit 2 and this text in stderr.
    Error(&'static str),
    /// A verdict (0, 1 or 3), and this JSON pointer in verdict.json equals the value.
    Counted(&'static str, serde_json::Value),
}

struct Case {
    name: &'static str,
    /// Builds the inputs; returns (v1, v2, extra flags).
    setup: fn(&Path) -> (PathBuf, PathBuf, Vec<String>),
    expect: Expect,
}

fn one_bad(dir: &Path, bad: &str) -> (PathBuf, PathBuf, Vec<String>) {
    let (a, b) = base(dir, &[bad.to_string()]);
    (a, b, vec![])
}

fn cases() -> Vec<Case> {
    use serde_json::json;
    use Expect::*;
    vec![
        Case {
            name: "empty file",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::fs::write(d.join("e.jsonl"), "").unwrap();
                (a, d.join("e.jsonl"), vec![])
            },
            expect: Error("no data rows"),
        },
        Case {
            name: "header-only CSV",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::fs::write(d.join("h.csv"), "correlation_id,timestamp,latency_ms,status\n").unwrap();
                (a, d.join("h.csv"), vec![])
            },
            expect: Error("no data rows"),
        },
        Case {
            name: "binary garbage named .parquet",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::fs::write(d.join("g.parquet"), [0u8, 159, 146, 150, 1, 2, 3]).unwrap();
                (a, d.join("g.parquet"), vec![])
            },
            expect: Error("not a Parquet file"),
        },
        Case {
            name: "truncated Parquet",
            setup: |d| {
                let (a, _) = base(d, &[]);
                let src = crate::common::repo().join("fixtures/shadow/v2.parquet");
                let bytes = std::fs::read(src).unwrap();
                std::fs::write(d.join("t.parquet"), &bytes[..bytes.len() / 2]).unwrap();
                (a, d.join("t.parquet"), vec![])
            },
            expect: Error("t.parquet"),
        },
        Case {
            name: "truncated gzip",
            setup: |d| {
                let (a, b) = base(d, &[]);
                let raw = std::fs::read(b).unwrap();
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(&raw).unwrap();
                let gz = enc.finish().unwrap();
                std::fs::write(d.join("t.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
                (a, d.join("t.jsonl.gz"), vec![])
            },
            expect: Error("truncated"),
        },
        Case {
            name: "truncated zstd",
            setup: |d| {
                let (a, b) = base(d, &[]);
                let z = zstd::encode_all(&std::fs::read(b).unwrap()[..], 3).unwrap();
                std::fs::write(d.join("t.jsonl.zst"), &z[..z.len() / 2]).unwrap();
                (a, d.join("t.jsonl.zst"), vec![])
            },
            expect: Error("t.jsonl.zst"),
        },
        Case {
            name: "CSV with semicolons is sniffed",
            setup: |d| {
                let (a, _) = base(d, &[]);
                let mut t = String::from("correlation_id;timestamp;latency_ms;status\n");
                for i in 0..GOOD {
                    t.push_str(&format!("id-{i};2026-11-27T10:00:00Z;100;ok\n"));
                }
                std::fs::write(d.join("s.csv"), t).unwrap();
                (a, d.join("s.csv"), vec![])
            },
            expect: Counted("/pairing/pairs", json!(GOOD)),
        },
        Case {
            name: "CSV with an unknown delimiter",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::fs::write(d.join("x.csv"), "correlation_id#timestamp#latency_ms#status\nid-1#2026-11-27T10:00:00Z#100#ok\n").unwrap();
                (a, d.join("x.csv"), vec![])
            },
            expect: Error("single column"),
        },
        Case {
            name: "latency \"12ms\"",
            setup: |d| one_bad(d, &line(9001, "\"12ms\"", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/invalid_latency", json!(1)),
        },
        Case {
            name: "latency \"NaN\"",
            setup: |d| one_bad(d, &line(9001, "\"NaN\"", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/invalid_latency", json!(1)),
        },
        Case {
            name: "latency NaN literal",
            setup: |d| one_bad(d, &line(9001, "NaN", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/malformed", json!(1)),
        },
        Case {
            name: "latency \"Infinity\"",
            setup: |d| one_bad(d, &line(9001, "\"Infinity\"", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/invalid_latency", json!(1)),
        },
        Case {
            name: "latency -1",
            setup: |d| one_bad(d, &line(9001, "-1", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/invalid_latency", json!(1)),
        },
        Case {
            name: "latency 1e308",
            setup: |d| one_bad(d, &line(9001, "1e308", &ts(1))),
            expect: Counted("/inputs/v2/rejected_by_reason/invalid_latency", json!(1)),
        },
        Case {
            name: "timestamps in seconds are detected and reported",
            setup: |d| {
                let (a, _) = base(d, &[]);
                let t: String = (0..GOOD).map(|i| line(i, "101", &(1_795_000_000 + i).to_string()) + "\n").collect();
                std::fs::write(d.join("sec.jsonl"), t).unwrap();
                (a, d.join("sec.jsonl"), vec![])
            },
            expect: Counted("/inputs/v2/timestamp_units/s", json!(GOOD)),
        },
        Case {
            name: "a log from another day does not overlap",
            setup: |d| {
                let (a, _) = base(d, &[]);
                let t: String =
                    (0..GOOD).map(|i| line(i, "101", &format!("\"2026-11-29T10:{:02}:{:02}Z\"", (i / 60) % 60, i % 60)) + "\n").collect();
                std::fs::write(d.join("late.jsonl"), t).unwrap();
                (a, d.join("late.jsonl"), vec![])
            },
            expect: Counted("/decision", json!("INCONCLUSIVE")),
        },
        Case {
            name: "V2 truncated to a third of V1",
            setup: |d| {
                let (a, b) = base(d, &[]);
                let t: String = std::fs::read_to_string(&b).unwrap().lines().take(GOOD / 3).map(|l| l.to_string() + "\n").collect();
                std::fs::write(&b, t).unwrap();
                (a, b, vec![])
            },
            expect: Counted("/decision", json!("INCONCLUSIVE")),
        },
        Case {
            name: "non-UTF-8 bytes",
            setup: |d| {
                let (a, b) = base(d, &[]);
                let mut f = std::fs::OpenOptions::new().append(true).open(&b).unwrap();
                f.write_all(b"{\"correlation_id\":\"x\xff\xfe\"}\n").unwrap();
                (a, b, vec![])
            },
            expect: Counted("/inputs/v2/rejected_by_reason/malformed", json!(1)),
        },
        Case {
            name: "a 10 MB line",
            setup: |d| {
                let big = format!(
                    r#"{{"correlation_id":"big","timestamp":{},"latency_ms":5,"status":"ok","result":{{"blob":"{}"}}}}"#,
                    ts(1),
                    "x".repeat(10 << 20)
                );
                one_bad(d, &big)
            },
            expect: Counted("/inputs/v2/rows_accepted", json!(GOOD + 1)),
        },
        Case {
            name: "a result nested 10,000 levels deep",
            setup: |d| {
                let deep = format!(
                    r#"{{"correlation_id":"deep","timestamp":{},"latency_ms":5,"status":"ok","result":{}{}}}"#,
                    ts(1),
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                );
                one_bad(d, &deep)
            },
            expect: Counted("/inputs/v2/rejected_by_reason/malformed", json!(1)),
        },
        Case {
            name: "one id repeated 200,000 times",
            setup: |d| {
                let rep: Vec<String> = (0..200_000).map(|k| line(5, "100", &(1_795_000_000_000u64 + k).to_string())).collect();
                let (a, b) = base(d, &rep);
                (a, b, vec![])
            },
            expect: Counted("/inputs/v2/duplicate_rows", json!(200_000)),
        },
        Case {
            name: "every row rejected",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::fs::write(d.join("bad.jsonl"), "nope\n".repeat(50)).unwrap();
                (a, d.join("bad.jsonl"), vec![])
            },
            expect: Error("every one of the 50 rows"),
        },
        Case {
            name: "files with different schemas in one directory",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::create_dir_all(d.join("mixed")).unwrap();
                std::fs::copy(&b, d.join("mixed/a.jsonl")).unwrap();
                std::fs::write(d.join("mixed/b.csv"), "trace,timestamp,latency_ms,status\nt1,2026-11-27T10:00:00Z,5,ok\n").unwrap();
                (a, d.join("mixed"), vec![])
            },
            expect: Error("b.csv"),
        },
        Case {
            name: "a directory with a symlink loop",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::create_dir_all(d.join("loop")).unwrap();
                std::fs::copy(&b, d.join("loop/v2.jsonl")).unwrap();
                std::os::unix::fs::symlink(d.join("loop"), d.join("loop/again")).unwrap();
                (a, d.join("loop"), vec![])
            },
            expect: Error("symlink loop"),
        },
        Case {
            name: "a dangling symlink",
            setup: |d| {
                let (a, _) = base(d, &[]);
                std::os::unix::fs::symlink(d.join("gone.jsonl"), d.join("link.jsonl")).unwrap();
                (a, d.join("link.jsonl"), vec![])
            },
            expect: Error("no such file"),
        },
        Case {
            name: "a glob that matches nothing",
            setup: |d| {
                let (a, _) = base(d, &[]);
                (a, d.join("nothing-*.jsonl"), vec![])
            },
            expect: Error("matches no files"),
        },
        Case {
            name: "an unknown extension",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::copy(&b, d.join("v2.txt")).unwrap();
                (a, d.join("v2.txt"), vec![])
            },
            expect: Error("--format"),
        },
        Case {
            name: "--format reads an unknown extension",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::copy(&a, d.join("v1.txt")).unwrap();
                std::fs::copy(&b, d.join("v2.txt")).unwrap();
                (d.join("v1.txt"), d.join("v2.txt"), vec!["--format".into(), "jsonl".into()])
            },
            expect: Counted("/pairing/pairs", json!(GOOD)),
        },
        Case {
            name: "the output path is a file",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::write(d.join("taken"), "x").unwrap();
                (a, b, vec!["--out".into(), d.join("taken").display().to_string()])
            },
            expect: Error("must name a directory"),
        },
        Case {
            name: "the output path is not writable",
            setup: |d| {
                let (a, b) = base(d, &[]);
                (a, b, vec!["--out".into(), "/proc/shadowgate-out".into()])
            },
            expect: Error("cannot write"),
        },
        Case {
            name: "V1 and V2 given the same file",
            setup: |d| {
                let (a, _) = base(d, &[]);
                (a.clone(), a, vec![])
            },
            expect: Error("same path"),
        },
        Case {
            name: "a policy with an unknown key",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::write(d.join("p.toml"), "[analysis]\nconfidnce = 0.9\n").unwrap();
                (a, b, vec!["--policy".into(), d.join("p.toml").display().to_string()])
            },
            expect: Error("confidnce"),
        },
        Case {
            name: "a policy with a negative threshold",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::write(d.join("p.toml"), "[gates.\"errors.rate\"]\nthreshold = -1.0\n").unwrap();
                (a, b, vec!["--policy".into(), d.join("p.toml").display().to_string()])
            },
            expect: Error(">= 0"),
        },
        Case {
            name: "a policy with a margin below 1",
            setup: |d| {
                let (a, b) = base(d, &[]);
                std::fs::write(d.join("p.toml"), "[gates.\"memory.vs_v1\"]\nthreshold = 0.8\n").unwrap();
                (a, b, vec!["--policy".into(), d.join("p.toml").display().to_string()])
            },
            expect: Error("below 1"),
        },
        Case {
            name: "a policy file that does not exist",
            setup: |d| {
                let (a, b) = base(d, &[]);
                (a, b, vec!["--policy".into(), d.join("none.toml").display().to_string()])
            },
            expect: Error("none.toml"),
        },
        Case {
            name: "a JSON array instead of an object",
            setup: |d| one_bad(d, "[1, 2, 3]"),
            expect: Counted("/inputs/v2/rejected_by_reason/malformed", json!(1)),
        },
        Case {
            name: "a byte-order mark and CRLF line ends",
            setup: |d| {
                let (a, _) = base(d, &[]);
                let t: String = (0..GOOD).map(|i| line(i, "101", &ts(i)) + "\r\n").collect();
                std::fs::write(d.join("bom.jsonl"), format!("\u{feff}{t}")).unwrap();
                (a, d.join("bom.jsonl"), vec![])
            },
            expect: Counted("/inputs/v2/rows_rejected", json!(0)),
        },
        Case {
            name: "numeric ids, boolean status and HTTP codes",
            setup: |d| {
                let mk = |status: &str| {
                    (0..GOOD)
                        .map(|i| format!(r#"{{"correlation_id":{i},"timestamp":{},"latency_ms":10,"status":{status}}}"#, ts(i)) + "\n")
                        .collect::<String>()
                };
                std::fs::write(d.join("n1.jsonl"), mk("true")).unwrap();
                std::fs::write(d.join("n2.jsonl"), mk("200")).unwrap();
                (d.join("n1.jsonl"), d.join("n2.jsonl"), vec![])
            },
            expect: Counted("/metrics/errors/v2/errors", json!(0)),
        },
        Case {
            name: "a ragged CSV row",
            setup: |d| {
                let mut t = String::from("correlation_id,timestamp,latency_ms,status\n");
                for i in 0..GOOD {
                    t.push_str(&format!("id-{i},2026-11-27T10:00:00Z,100,ok\n"));
                }
                t.push_str("id-x,2026-11-27T10:00:00Z\n");
                std::fs::write(d.join("r.csv"), t.replace(",100,", ",101,")).unwrap();
                let (a, _) = base(d, &[]);
                (a, d.join("r.csv"), vec![])
            },
            expect: Counted("/inputs/v2/rejected_by_reason/malformed", json!(1)),
        },
        Case {
            name: "a Parquet file missing a required column",
            setup: |d| {
                use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
                use std::sync::Arc;
                let (a, _) = base(d, &[]);
                let batch = RecordBatch::try_from_iter([
                    ("trace", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
                    ("latency_ms", Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef),
                ])
                .unwrap();
                let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(d.join("m.parquet")).unwrap(), batch.schema(), None)
                    .unwrap();
                w.write(&batch).unwrap();
                w.close().unwrap();
                (a, d.join("m.parquet"), vec![])
            },
            expect: Error("`correlation_id` is missing"),
        },
    ]
}

#[test]
fn hostile_inputs_fail_cleanly_or_are_counted() {
    let all = cases();
    assert!(all.len() >= 40, "the matrix has {} cases", all.len());
    let mut failures = Vec::new();
    for case in all {
        let tmp = tempfile::tempdir().unwrap();
        let (v1, v2, extra) = (case.setup)(tmp.path());
        let has_out = extra.iter().any(|e| e == "--out");
        let mut cmd = bin();
        cmd.arg("analyze").arg("--v1").arg(&v1).arg("--v2").arg(&v2).args(&extra);
        if !has_out {
            cmd.arg("--out").arg(tmp.path().join("out"));
        }
        let o = cmd.output().unwrap();
        let (code, stderr) = (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).to_string());
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            failures.push(format!("{}: panic: {stderr}", case.name));
            continue;
        }
        match case.expect {
            Expect::Error(text) => {
                if code != 2 || !stderr.contains(text) {
                    failures.push(format!("{}: want exit 2 with {text:?}, got {code}: {stderr}", case.name));
                }
            }
            Expect::Counted(pointer, want) => {
                let verdict = std::fs::read_to_string(tmp.path().join("out/verdict.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
                match verdict {
                    Some(v) if matches!(code, 0 | 1 | 3) && v.pointer(pointer) == Some(&want) => {}
                    Some(v) => failures.push(format!("{}: exit {code}, {pointer} = {:?}, want {want}", case.name, v.pointer(pointer))),
                    None => failures.push(format!("{}: no verdict (exit {code}): {stderr}", case.name)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} case(s) misbehaved:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn unreadable_output_is_reported_without_a_partial_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = base(tmp.path(), &[]);
    let out = tmp.path().join("report");
    let first = analyze(&v1, &v2, &out, &[]);
    assert!(matches!(first.code, 0 | 1 | 3));
    let before = std::fs::read(out.join("verdict.json")).unwrap();
    // A second run that fails on input leaves the previous report untouched.
    let o = bin()
        .arg("analyze")
        .arg("--v1")
        .arg(&v1)
        .arg("--v2")
        .arg(tmp.path().join("missing.jsonl"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("verdict.json")).unwrap(), before);
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains(".tmp-")),
        "no temp dir left behind"
    );
}

/// Pairing sorts ids by 40 bits of their hash and confirms by text; ids that share those bits
/// must stay distinct through de-duplication and the join, in every arrangement.
#[test]
fn ids_sharing_a_hash_fragment_stay_distinct() {
    use rustc_hash::FxBuildHasher;
    use shadowgate::ingest::Requests;
    use shadowgate::pair::{dedup, join};
    use std::collections::HashMap;
    use std::hash::BuildHasher;
    // The bits pairing keys on (pair.rs: partition = top 8 bits, fragment = the next 32).
    let bits = |s: &str| FxBuildHasher.hash_one(s) >> 24;
    let mut seen: HashMap<u64, String> = HashMap::new();
    let (a, b) = (0u64..)
        .find_map(|i| {
            let id = format!("req-{i}");
            seen.insert(bits(&id), id.clone()).map(|other| (other, id))
        })
        .expect("a shared fragment exists");
    assert_ne!(a, b);
    let reqs = |rows: &[(&str, i64)]| {
        let mut r = Requests::new(&[]);
        r.id = rows.iter().map(|(id, _)| *id).collect();
        r.ts_ms = rows.iter().map(|(_, t)| *t).collect();
        r.latency_ms = vec![1.0; rows.len()];
        r.ok = vec![true; rows.len()];
        r.error_code = rows.iter().map(|_| None::<&str>).collect();
        r.result = rows.iter().map(|_| None::<&str>).collect();
        r.cpu_ms = rows.iter().map(|_| f64::NAN).collect();
        r.memory_mb = rows.iter().map(|_| f64::NAN).collect();
        r.net_bytes = rows.iter().map(|_| f64::NAN).collect();
        r
    };
    // V1: a, b, then a again with an earlier timestamp (it wins); V2 has only b.
    let v1 = reqs(&[(&a, 10), (&b, 11), ("other", 12), (&a, 5)]);
    let v2 = reqs(&[(&b, 20), ("other", 21)]);
    let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
    assert_eq!(d1.keep, vec![3, 1, 2], "a's earliest row (3) in a's first place, then b and other");
    assert_eq!((d1.duplicate_rows, d1.duplicate_ids), (1, 1));
    let p = join(&v1, &mut d1, &v2, &mut d2);
    assert_eq!((p.pairs, p.v1_only, p.v2_only), (2, 1, 0));
    // Pairs come in V1's time order (b at 11, other at 12).
    let pairs = |p: &shadowgate::pair::Pairing| p.v1_index.iter().zip(&p.v2_index).map(|(&i, &j)| (i, j)).collect::<Vec<_>>();
    assert_eq!(pairs(&p), vec![(1, 0), (2, 1)]);
    // One id per side, sharing the fragment but not the text: no pair.
    let (v1, v2) = (reqs(&[(&a, 1)]), reqs(&[(&b, 1)]));
    let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
    let p = join(&v1, &mut d1, &v2, &mut d2);
    assert_eq!((p.pairs, p.v1_only, p.v2_only), (0, 1, 1));
    // Both on both sides, in opposite orders: each pairs with its own twin, in V1's time order
    // whatever the order of the rows.
    let (v1, v2) = (reqs(&[(&a, 1), (&b, 2)]), reqs(&[(&b, 3), (&a, 4)]));
    let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
    let p = join(&v1, &mut d1, &v2, &mut d2);
    assert_eq!(pairs(&p), vec![(0, 1), (1, 0)]);
    let (v1, v2) = (reqs(&[(&b, 2), (&a, 1)]), reqs(&[(&a, 4), (&b, 3)]));
    let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
    let p = join(&v1, &mut d1, &v2, &mut d2);
    assert_eq!(pairs(&p), vec![(1, 0), (0, 1)]);
    // In the same millisecond: by the id's hash, in either row order.
    let first_a = FxBuildHasher.hash_one(&a) < FxBuildHasher.hash_one(&b);
    for (v1, v2, pa, pb) in [
        (reqs(&[(&a, 7), (&b, 7)]), reqs(&[(&b, 3), (&a, 4)]), (0, 1), (1, 0)),
        (reqs(&[(&b, 7), (&a, 7)]), reqs(&[(&a, 4), (&b, 3)]), (1, 0), (0, 1)),
    ] {
        let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
        let p = join(&v1, &mut d1, &v2, &mut d2);
        assert_eq!(pairs(&p), if first_a { vec![pa, pb] } else { vec![pb, pa] });
    }
}
