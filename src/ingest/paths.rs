//! Turning `--v1` / `--v2` arguments into a list of files with their formats.

use super::Format;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Expands a path into files: a file is itself; a directory is every file below it (recursively,
/// so hive-style `key=value/` partitions are included) whose extension is a known format; anything
/// with glob characters is a glob. Files are sorted so the order (and therefore tie-breaking
/// between duplicates) is deterministic. Hidden files and `_SUCCESS`-style markers are skipped.
pub fn resolve(path: &Path, format: Option<Format>) -> Result<Vec<(PathBuf, Format)>> {
    let text = path.to_string_lossy();
    let mut files: Vec<PathBuf> = Vec::new();
    if !path.exists() && text.contains(['*', '?', '[']) {
        let entries = glob::glob(&text).map_err(|e| Error::Usage(format!("{text}: not a valid glob pattern: {e}")))?;
        for entry in entries {
            match entry {
                Ok(p) if p.is_file() => files.push(p),
                Ok(p) if p.is_dir() => walk(&p, &mut files, 0)?,
                Ok(_) => {}
                Err(e) => return Err(Error::input(e.path(), format!("cannot read: {}", e.error()))),
            }
        }
        if files.is_empty() {
            return Err(Error::input(path, "the glob matches no files. Check the pattern (quote it so the shell does not expand it)."));
        }
    } else if path.is_dir() {
        walk(path, &mut files, 0)?;
        files.retain(|f| format.is_some() || Format::from_path(f).is_some());
        if files.is_empty() {
            return Err(Error::input(
                path,
                "the directory holds no log files (.jsonl, .ndjson, .json, .csv, .tsv, .parquet, .arrow, .ipc, optionally .gz/.zst). Pass a file, a glob, or --format.",
            ));
        }
    } else if path.exists() {
        // A regular file, or a pipe such as `--v1 <(zcat v1.jsonl.gz)` (text formats only).
        files.push(path.to_path_buf());
    } else {
        return Err(Error::input(path, "no such file or directory. Check the path given to --v1/--v2."));
    }
    files.sort();
    files.dedup();
    files
        .into_iter()
        .map(|f| {
            let fmt = format.or_else(|| Format::from_path(&f)).ok_or_else(|| {
                Error::input(
                    &f,
                    "cannot tell the format from the file name. Use an extension (.jsonl, .csv, .parquet, .arrow, optionally .gz/.zst) or pass --format jsonl|csv|parquet|ipc.",
                )
            })?;
            Ok((f, fmt))
        })
        .collect()
}

const MAX_DEPTH: usize = 32;

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::input(
            dir,
            format!("directories nested more than {MAX_DEPTH} deep (a symlink loop?). Point --v1/--v2 at the data directory itself."),
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::input(dir, format!("cannot list the directory: {e}")))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::input(dir, format!("cannot list the directory: {e}")))?;
        paths.push(entry.path());
    }
    paths.sort();
    for p in paths {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, depth + 1)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}
