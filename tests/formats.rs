//! The same data in JSON Lines, CSV, Parquet and Arrow IPC gives the same verdict, whoever
//! wrote the file.

use crate::common::{analyze, generate, repo};
use serde_json::Value;

fn comparable(v: &Value) -> Value {
    // Everything that depends on the data, not on the file format or path.
    serde_json::json!({
        "decision": v["decision"],
        "gates": v["gates"],
        "pairing": v["pairing"],
        "metrics": v["metrics"],
        "windows": v["windows"],
    })
}

#[test]
fn jsonl_csv_parquet_give_identical_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let flags =
        ["--pairs", "3000", "--seed", "7", "--v2-error-rate", "0.01", "--discrepancy-rate", "0.003", "--duplicates", "4", "--orphans", "6"];
    let mut verdicts = Vec::new();
    for fmt in ["jsonl", "csv", "parquet"] {
        let dir = tmp.path().join(fmt);
        let (v1, v2) = generate(&dir, fmt, &flags);
        let run = analyze(&v1, &v2, &dir.join("out"), &["--segment-by", "validation_type"]);
        assert!(matches!(run.code, 0 | 1 | 3), "{fmt}: {}", run.stderr);
        let v = run.verdict();
        assert_eq!(v["inputs"]["v1"]["rows_rejected"], 0, "{fmt}");
        assert_eq!(v["inputs"]["v1"]["duplicate_rows"], 4, "{fmt}");
        verdicts.push((fmt, comparable(&v)));
    }
    for (fmt, v) in &verdicts[1..] {
        assert_eq!(v, &verdicts[0].1, "{fmt} differs from jsonl");
    }
}

#[test]
fn gzip_and_zstd_jsonl_read_like_plain() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "1500", "--seed", "3"]);
    let plain = analyze(&v1, &v2, &tmp.path().join("plain"), &[]);
    let raw1 = std::fs::read(&v1).unwrap();
    let raw2 = std::fs::read(&v2).unwrap();
    let gz = tmp.path().join("v1.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&raw1).unwrap();
    enc.finish().unwrap();
    let zst = tmp.path().join("v2.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&raw2[..], 3).unwrap()).unwrap();
    let packed = analyze(&gz, &zst, &tmp.path().join("packed"), &[]);
    assert_eq!(plain.code, packed.code, "{}", packed.stderr);
    assert_eq!(comparable(&plain.verdict()), comparable(&packed.verdict()));
}

#[test]
fn a_directory_of_partitions_reads_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(&tmp.path().join("g"), "jsonl", &["--pairs", "2000", "--seed", "5"]);
    let whole = analyze(&v1, &v2, &tmp.path().join("whole"), &[]);
    // Split V1 into two hive-style partitions.
    let text = std::fs::read_to_string(&v1).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    for (part, rows) in [("hour=00", a), ("hour=01", b)] {
        let d = tmp.path().join("v1dir").join(part);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("part-0.jsonl"), rows.join("\n") + "\n").unwrap();
    }
    let split = analyze(&tmp.path().join("v1dir"), &v2, &tmp.path().join("split"), &[]);
    assert_eq!(split.verdict()["inputs"]["v1"]["files"].as_array().unwrap().len(), 2);
    assert_eq!(comparable(&whole.verdict()), comparable(&split.verdict()));
}

/// Parquet and Arrow IPC written by pyarrow (scripts/make_columnar_fixtures.py), not by the Rust
/// arrow crates shadowgate reads with: dictionary, binary, large and view strings, INT96,
/// nanosecond and timezone-less timestamps, int32, uint32, int16, float32 and decimal latencies
/// and sizes, every Parquet codec, data pages v2, small row groups and compressed IPC batches.
/// Each holds the requests of fixtures/telemetry/native and gives its verdict.
#[test]
fn parquet_and_arrow_from_other_writers_give_the_native_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let native = repo().join("fixtures/telemetry/native");
    let want = analyze(&native.join("v1.jsonl"), &native.join("v2.jsonl"), &tmp.path().join("native"), &["-q"]);
    assert!(matches!(want.code, 0 | 1 | 3), "{}", want.stderr);
    let want_v = want.verdict();
    let fixtures = repo().join("fixtures/columnar");
    for (dir, ext) in
        [("pyarrow", "parquet"), ("spark", "parquet"), ("mixed", "parquet"), ("feather-lz4", "arrow"), ("feather-zstd", "arrow")]
    {
        let d = fixtures.join(dir);
        let run = analyze(&d.join(format!("v1.{ext}")), &d.join(format!("v2.{ext}")), &tmp.path().join(dir), &["-q"]);
        assert_eq!(run.code, want.code, "{dir}: {}", run.stderr);
        let v = run.verdict();
        for side in ["v1", "v2"] {
            assert_eq!(v["inputs"][side]["rows_read"], 400, "{dir}");
            assert_eq!(v["inputs"][side]["rows_rejected"], 0, "{dir}");
        }
        assert_eq!(comparable(&v), comparable(&want_v), "{dir} differs from the native JSON Lines");
    }
}
