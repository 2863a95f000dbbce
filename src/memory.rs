//! The memory budget of a run (`--memory-limit`) and the choice between the in-memory and the
//! out-of-core pipeline.
//!
//! Before reading, the number of input rows is estimated (Parquet: the footers' row counts and
//! the id column's size; text: file size over the average line of the first 64 KiB), and from it
//! the peak memory of
//! each pipeline, with per-row costs measured on the benchmark files (BENCHMARKS.md: ~95 bytes
//! a row in memory with 36-character ids, of which ~44 are the id). When the in-memory estimate
//! exceeds the limit (or with `--out-of-core`), the ids are spilled to disk by hash partition
//! ([`crate::ingest::spill`]) and paired one partition at a time ([`crate::pair::spilled`]);
//! every other column stays in memory, so the verdict is the same as in memory. When even
//! that would not fit, the run stops before reading, with the sample rate that would fit.

use crate::error::{Error, Result};
use crate::ingest::Format;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// Peak bytes per input row in memory, apart from the id text and segment columns: 1.89 GB for
/// the 20M rows (20-character ids) of the 10M-pair benchmark, ~75 + 20 bytes a row.
const IN_MEMORY_ROW: u64 = 75;
/// Peak bytes per input row out of core after pairing (the metrics stage's): 1.53 GB for those
/// 20M rows.
const OUT_OF_CORE_ROW: u64 = 78;
/// Resident bytes per input row while partitions are paired, outside the partition: the
/// columns without ids (~37 bytes), an empty id's offset, pairing's per-row arrays and what
/// ingest left allocated (1.33 GB for those 20M rows).
const PAIRING_ROW: u64 = 68;
/// Bytes per row of the partition being paired, apart from the id text: row number,
/// timestamp, pairing keys, de-duplication and join arrays.
const PARTITION_ROW: u64 = 64;
/// Id length assumed before reading when the files do not say (a UUID).
const ID_BYTES: u64 = 36;
/// Share of physical memory (or of a cgroup's limit) used when no limit is given.
const DEFAULT_SHARE: f64 = 0.7;

/// What verdict.json reports under `memory`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemoryUse {
    /// The memory limit in bytes (absent when none was given and physical memory is unknown).
    pub limit_bytes: Option<u64>,
    /// Where the limit comes from: the flag, or the share of physical memory.
    pub limit_source: String,
    /// Input rows estimated before reading (both versions).
    pub estimated_rows: u64,
    /// Estimated peak of the in-memory pipeline for those rows.
    pub estimated_bytes: u64,
    /// Whether the ids were spilled to disk and paired one partition at a time.
    pub out_of_core: bool,
    /// Spill partitions per version (0 in memory).
    pub partitions: u32,
    /// Bytes of spill files written (removed when the run ends).
    pub spill_bytes: u64,
    /// Bytes of the input files, for comparison with `spill_bytes`.
    pub input_bytes: u64,
}

/// Parses a size: bytes, or a number with K, M, G or T (powers of 1024; KB, MB, GB, KiB, ...
/// and lower case are accepted), e.g. `8G`, `512M`, `1.5GB`.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_uppercase();
    let scale: u64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => 0,
    };
    match number.parse::<f64>() {
        Ok(v) if scale > 0 && v.is_finite() && v > 0.0 && (v * scale as f64) < u64::MAX as f64 => Ok((v * scale as f64) as u64),
        _ => Err(Error::Usage(format!("--memory-limit {text}: not a size; give bytes or a number with K, M, G or T, e.g. 8G or 512M"))),
    }
}

/// Bytes as people read them (GB = 2^30 bytes, as the flag counts them).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GB", b / (1u64 << 30) as f64)
    } else if b >= (10u64 << 20) as f64 {
        format!("{:.0} MB", b / (1u64 << 20) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KB", b / 1024.0)
    }
}

/// Physical memory, or the cgroup's memory limit when lower (a container), in bytes.
pub fn available() -> Option<(u64, &'static str)> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches("kB").trim().parse::<u64>().ok()? * 1024;
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|s| s.trim().parse::<u64>().ok());
    Some(match cgroup {
        Some(c) if c < total => (c, "the cgroup's memory limit"),
        _ => (total, "physical memory"),
    })
}

/// The process's peak resident memory so far (VmHWM), where the OS reports it.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse::<u64>().ok()?;
    Some(kb * 1024)
}

/// The limit and where it comes from.
pub fn limit(flag: Option<&str>) -> Result<(Option<u64>, String)> {
    if let Some(text) = flag {
        return Ok((Some(parse_size(text)?), format!("--memory-limit {text}")));
    }
    Ok(match available() {
        Some((bytes, what)) => {
            (Some((bytes as f64 * DEFAULT_SHARE) as u64), format!("{:.0}% of {what} ({})", DEFAULT_SHARE * 100.0, human(bytes)))
        }
        None => (None, "none (physical memory unknown; give --memory-limit)".to_string()),
    })
}

/// What the files say before they are read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InputEstimate {
    pub rows: u64,
    pub bytes: u64,
    /// Rows and id bytes of the files whose footers give the id column's size (Parquet).
    id_rows: u64,
    id_bytes: u64,
}

impl InputEstimate {
    /// The average id length where the footers tell it, else a UUID's.
    pub fn id_bytes(&self) -> u64 {
        self.id_bytes.checked_div(self.id_rows).map_or(ID_BYTES, |b| b.clamp(1, 4096))
    }
}

/// The rows of a Parquet file and, when its footer has the id column (`id_column`, a top-level
/// or dotted path), the id bytes: the column's uncompressed size less the 4-byte length of each
/// plainly encoded value.
fn parquet_rows(path: &Path, id_column: &str) -> Option<InputEstimate> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).ok()?).ok()?;
    let meta = reader.metadata();
    let rows = meta.file_metadata().num_rows().max(0) as u64;
    let mut est = InputEstimate { rows, ..Default::default() };
    let chunks: Vec<_> =
        meta.row_groups().iter().filter_map(|g| g.columns().iter().find(|c| c.column_path().string() == id_column)).collect();
    if chunks.len() == meta.num_row_groups() && rows > 0 {
        let values: i64 = chunks.iter().map(|c| c.num_values()).sum();
        let size: i64 = chunks.iter().map(|c| c.uncompressed_size()).sum();
        est.id_rows = rows;
        est.id_bytes = (size - 4 * values).max(0) as u64;
    }
    Some(est)
}

/// Estimated data rows of one file, and its size in bytes.
fn file_rows(path: &Path, format: Format, id_column: &str) -> InputEstimate {
    // A pipe (`--v1 <(zcat ...)`) has no size, and reading it here would take its rows.
    let Some(size) = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len()) else {
        return InputEstimate::default();
    };
    if format == Format::Parquet {
        if let Some(est) = parquet_rows(path, id_column) {
            return InputEstimate { bytes: size, ..est };
        }
    }
    let compressed = compressed_name(path);
    let row_bytes = match format {
        // Arrow IPC: the mapped columns of a typical export, uncompressed.
        Format::Ipc | Format::Parquet => 60,
        Format::Otlp | Format::Jaeger | Format::Zipkin => 600,
        _ if compressed => 300,
        _ => average_line(path).unwrap_or(300),
    };
    let text_bytes = if compressed { size.saturating_mul(8) } else { size };
    InputEstimate { rows: text_bytes / row_bytes.max(1), bytes: size, ..Default::default() }
}

/// Rows of an uncompressed text file (lines), estimated from its size and the average line of
/// its first 64 KiB: None for a pipe, a compressed file, or no line end in that much.
pub fn text_rows(path: &Path) -> Option<u64> {
    let size = std::fs::metadata(path).ok().filter(|m| m.is_file())?.len();
    if compressed_name(path) {
        return None;
    }
    Some(size / average_line(path)?.max(1))
}

/// Whether the file's name says gzip or zstd.
fn compressed_name(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    [".gz", ".zst", ".zstd"].iter().any(|e| name.ends_with(e))
}

/// The average line length of the first 64 KiB of a text file.
fn average_line(path: &Path) -> Option<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut f = std::fs::File::open(path).ok()?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return None,
        }
    }
    let lines = memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    (lines > 0).then(|| n as u64 / lines)
}

/// Estimated rows, bytes and id length of the inputs (each path counted once); `id_column` is
/// the correlation id's column.
pub fn estimate_input(paths: &[&Path], format: Option<Format>, id_column: &str) -> Result<InputEstimate> {
    let mut all = InputEstimate::default();
    let mut seen: Vec<&Path> = Vec::new();
    for &p in paths {
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        for (file, f) in crate::ingest::paths::resolve(p, format)? {
            let e = file_rows(&file, format.unwrap_or(f), id_column);
            all.rows += e.rows;
            all.bytes += e.bytes;
            all.id_rows += e.id_rows;
            all.id_bytes += e.id_bytes;
        }
    }
    Ok(all)
}

/// How a run will use memory.
pub struct Plan {
    pub usage: MemoryUse,
    /// Spill partitions when out of core.
    pub partitions: Option<usize>,
}

/// Chooses in memory or out of core for the input's rows (both versions, after any sampling)
/// with `segments` segment columns.
pub fn plan(
    input: &InputEstimate,
    segments: usize,
    limit: Option<u64>,
    source: String,
    force: bool,
    partitions: Option<usize>,
) -> Result<Plan> {
    if let Some(p) = partitions.filter(|p| !p.is_power_of_two() || *p > crate::ingest::spill::MAX_PARTITIONS) {
        return Err(Error::Usage(format!(
            "--spill-partitions {p}: must be a power of two from 1 to {} (or leave it out to choose from the memory limit)",
            crate::ingest::spill::MAX_PARTITIONS
        )));
    }
    let (rows, input_bytes, id_bytes) = (input.rows, input.bytes, input.id_bytes());
    let seg = 4 * segments as u64;
    let in_memory = rows * (IN_MEMORY_ROW + id_bytes + seg);
    let mut usage = MemoryUse {
        limit_bytes: limit,
        limit_source: source,
        estimated_rows: rows,
        estimated_bytes: in_memory,
        input_bytes,
        ..Default::default()
    };
    let over = limit.is_some_and(|l| in_memory > l);
    if !force && !over {
        return Ok(Plan { usage, partitions: None });
    }
    // Partitions: one partition's pairing within an eighth of the limit (16 when there is none).
    let per_partition = rows * (PARTITION_ROW + id_bytes);
    let partitions = match (partitions, limit) {
        (Some(p), _) => p,
        (None, Some(l)) => {
            per_partition.div_ceil((l / 8).max(1)).next_power_of_two().clamp(2, crate::ingest::spill::MAX_PARTITIONS as u64) as usize
        }
        (None, None) => 16,
    };
    let resident = (rows * (OUT_OF_CORE_ROW + seg)).max(rows * (PAIRING_ROW + seg) + per_partition / partitions as u64);
    if let Some(l) = limit.filter(|&l| resident > l) {
        let rate = (l as f64 / resident as f64 * 100.0).floor() / 100.0;
        let advice = if rate >= 0.01 {
            format!("analyze a sample of the requests with --sample-rate {rate} (chosen by id hash, so both halves of each sampled pair stay; recorded in verdict.json), ")
        } else {
            String::new()
        };
        return Err(Error::Usage(format!(
            "the inputs hold about {} rows, and analyzing them takes about {} even out of core (every column but the ids stays in memory), more than the memory limit of {} ({}). Either {advice}raise --memory-limit, or split the logs by time and analyze each part.",
            rows,
            human(resident),
            human(l),
            usage.limit_source
        )));
    }
    usage.out_of_core = true;
    usage.partitions = partitions as u32;
    Ok(Plan { usage, partitions: Some(partitions) })
}

/// The file system type of `path` when it keeps files in memory (tmpfs, ramfs), from
/// /proc/mounts (the longest mount point above the path).
pub fn in_memory_filesystem(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let mut f = line.split_whitespace();
        let (Some(_), Some(point), Some(fstype)) = (f.next(), f.next(), f.next()) else { continue };
        // /proc/mounts writes a space in a mount point as \040.
        let point = point.replace("\\040", " ");
        if path.starts_with(&point) && best.as_ref().is_none_or(|(len, _)| point.len() >= *len) {
            best = Some((point.len(), fstype.to_string()));
        }
    }
    best.map(|(_, t)| t).filter(|t| t == "tmpfs" || t == "ramfs")
}

/// The spill folder of one run: created empty, removed when dropped and on interrupt.
pub struct SpillDir {
    pub path: std::path::PathBuf,
    _registered: crate::interrupt::Registered,
}

impl SpillDir {
    pub fn create(parent: Option<&Path>) -> Result<Self> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let path = parent.join(format!("shadowgate-spill-{}-{nanos}", std::process::id()));
        let registered = crate::interrupt::register(path.clone());
        std::fs::create_dir_all(&path).map_err(|e| {
            Error::input(
                &path,
                format!("cannot create the spill folder: {e}. Give a writable folder with room for the ids with --spill-dir."),
            )
        })?;
        Ok(SpillDir { path, _registered: registered })
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("8G").ok(), Some(8 << 30));
        assert_eq!(parse_size("512M").ok(), Some(512 << 20));
        assert_eq!(parse_size("1.5GB").ok(), Some(3 << 29));
        assert_eq!(parse_size("2gib").ok(), Some(2 << 30));
        assert_eq!(parse_size("64k").ok(), Some(64 << 10));
        assert_eq!(parse_size("1000").ok(), Some(1000));
        for bad in ["", "G", "-1G", "0", "8X", "1e3G", "abc"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_rows_are_estimated_from_the_first_lines_and_compressed_files_from_a_ratio() {
        let dir = tempfile::tempdir().expect("tempdir");
        let line = format!("{{\"correlation_id\":\"{}\"}}\n", "x".repeat(80));
        let plain = dir.path().join("v1.jsonl");
        std::fs::write(&plain, line.repeat(5000)).expect("write");
        let e = estimate_input(&[plain.as_path()], None, "correlation_id").expect("estimate");
        assert_eq!((e.rows, e.bytes), (5000, 5000 * line.len() as u64));
        assert_eq!(e.id_bytes(), ID_BYTES, "text files do not tell the id length");
        // The same path twice (`--input`) is counted once.
        assert_eq!(estimate_input(&[plain.as_path(), plain.as_path()], None, "correlation_id").expect("estimate"), e);
        // A compressed file: 8x its size at 300 bytes a row.
        let gz = dir.path().join("v2.jsonl.gz");
        std::fs::write(&gz, vec![0u8; 3000]).expect("write");
        assert_eq!(estimate_input(&[gz.as_path()], None, "correlation_id").expect("estimate").rows, 80);
        // What the JSON Lines and CSV readers reserve their columns for: lines of plain files.
        assert_eq!(text_rows(&plain), Some(5000));
        assert_eq!(text_rows(&gz), None);
        let mut sink = crate::ingest::Sink::new("v1", &[], 10);
        sink.sample_threshold = Some(u64::MAX / 4);
        sink.reserve_for_text(5000);
        assert!((1312..2000).contains(&sink.requests.ts_ms.capacity()), "a quarter sampled, 5% to spare");
        // An estimate (or a footer) no machine could hold reserves nothing and does not abort:
        // the columns grow as rows arrive.
        sink.reserve_for_text(u64::MAX / 2);
        sink.requests.reserve(usize::MAX / 2);
        assert!(sink.requests.ts_ms.capacity() < 1 << 40);
    }

    fn sized(rows: u64) -> InputEstimate {
        InputEstimate { rows, ..Default::default() }
    }

    #[test]
    fn the_plan_spills_only_when_the_estimate_exceeds_the_limit() {
        let rows = 20_000_000;
        let fits = plan(&sized(rows), 0, Some(4 << 30), "t".into(), false, None).expect("plan");
        assert!(!fits.usage.out_of_core && fits.partitions.is_none());
        let spills = plan(&sized(rows), 0, Some(2 << 30), "t".into(), false, None).expect("plan");
        assert!(spills.usage.out_of_core);
        let p = spills.partitions.expect("partitions");
        assert!(p.is_power_of_two() && (2..=256).contains(&p));
        // 20M rows at 78 bytes each cannot fit 1 GB even out of core: the error names a rate.
        let e = plan(&sized(rows), 0, Some(1 << 30), "t".into(), false, None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("--sample-rate 0.") && e.contains("memory limit"), "{e}");
        // Forced out of core with room to spare: two partitions.
        assert_eq!(plan(&sized(1000), 0, Some(1 << 30), "t".into(), true, None).expect("plan").partitions, Some(2));
        assert_eq!(plan(&sized(1000), 0, Some(1 << 30), "t".into(), true, Some(64)).expect("plan").partitions, Some(64));
        for bad in [0, 3, 512] {
            assert!(plan(&sized(1000), 0, None, "t".into(), true, Some(bad)).is_err(), "{bad}");
        }
    }
}
