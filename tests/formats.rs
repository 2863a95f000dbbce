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

/// One Parquet file and one Arrow IPC file holding both versions (a `version` column), which are
/// decoded once for both versions, give the verdict of the two files they were made from.
#[test]
fn one_columnar_file_holding_both_versions_gives_the_two_files_verdict() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "parquet", &["--pairs", "3000", "--seed", "11"]);
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, "[columns]\nversion = \"version\"\nv1_value = \"v1\"\nv2_value = \"v2\"\n").unwrap();
    let two = analyze(&v1, &v2, &tmp.path().join("two"), &[]);
    let mut batches: Vec<RecordBatch> = Vec::new();
    for (path, version) in [(&v1, "v1"), (&v2, "v2")] {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap().build().unwrap();
        for b in reader {
            let b = b.unwrap();
            let mut fields: Vec<Field> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
            fields.push(Field::new("version", DataType::Utf8, false));
            let mut cols: Vec<ArrayRef> = b.columns().to_vec();
            cols.push(Arc::new(StringArray::from(vec![version; b.num_rows()])));
            batches.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap());
        }
    }
    // V2's rows first in half of the batches: the versions interleave in the file.
    batches.sort_by_key(|b| b.num_rows() % 2);
    let schema = batches[0].schema();
    let pq = tmp.path().join("both.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema.clone(), None).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    let ipc = tmp.path().join("both.arrow");
    let mut w = arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(&ipc).unwrap(), &schema).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    for file in [pq, ipc] {
        let out = tmp.path().join(format!("out-{}", file.file_name().unwrap().to_string_lossy()));
        let o = crate::common::bin()
            .args(["analyze", "--input"])
            .arg(&file)
            .arg("--policy")
            .arg(&policy)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(two.code), "{}: {}", file.display(), String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(out.join("verdict.json")).unwrap()).unwrap();
        for side in ["v1", "v2"] {
            assert_eq!(v["inputs"][side]["rows_accepted"], two.verdict()["inputs"][side]["rows_accepted"], "{}", file.display());
            assert_eq!(v["inputs"][side]["not_selected_by_reason"]["other_version"], 3000, "{}", v["inputs"][side]);
        }
        // The inputs differ by design (rows of the other version counted as not selected), and
        // the policy by its version column.
        let without_inputs = |mut v: Value| {
            v.as_object_mut().unwrap().remove("inputs");
            v["policy"]["columns"]["version"] = Value::Null;
            v
        };
        crate::common::assert_same_verdict(&without_inputs(two.verdict()), &without_inputs(v));
    }
}
