//! Spill files of the out-of-core run (`--memory-limit`, `--out-of-core`).
//!
//! The correlation ids are the largest column (a UUID's text and its offset are 44 of the ~80
//! bytes a row takes after ingest), and only pairing needs all of them. Out of core, ingest
//! keeps every other column in memory and writes each row's (row number, id) to one of
//! `partitions` files per version, chosen by the id's hash, so that both versions' rows of an id
//! land in the same partition. Pairing then reads one partition of both versions at a time
//! (`pair::spilled`). The files are Arrow IPC streams, zstd-compressed, in a temporary folder
//! that is removed when the run ends, fails or is interrupted.

use crate::error::{Error, Result};
use crate::ingest::StrCol;
use arrow_array::{Array, RecordBatch, StringArray, UInt32Array};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::{DataType, Field, Schema};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where and into how many partitions to spill.
#[derive(Debug, Clone)]
pub struct SpillPlan {
    /// An existing, empty folder owned by this run.
    pub dir: PathBuf,
    /// A power of two, at most [`MAX_PARTITIONS`].
    pub partitions: usize,
}

pub const MAX_PARTITIONS: usize = 256;

/// The spill partition of an id hash ([`crate::pair::hash_id`]): bits 48..56. Pairing
/// partitions in memory by the top 8 bits, so each spill partition still spreads over all of
/// pairing's parallel partitions; and ids whose hashes agree in their top 16 bits share a spill
/// partition, which keeps the pair order's rare ties inside one partition (`pair::spilled`).
pub fn partition_of(hash: u64, partitions: usize) -> usize {
    ((hash >> 48) as usize) & (partitions - 1)
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("row", DataType::UInt32, false), Field::new("id", DataType::Utf8, false)]))
}

/// One version's spill while ingest runs: rows are routed as parts are absorbed, in input order,
/// so each partition file lists its rows in ascending row number.
pub struct KeySpill {
    out: PartitionFiles,
    /// Per partition: the rows and ids waiting to be written.
    buffers: Vec<(Vec<u32>, StrCol)>,
    /// Rows buffered per partition before a batch is written.
    batch_rows: usize,
}

/// A finished spill: one file per partition, and the bytes written.
#[derive(Debug, Clone, Default)]
pub struct SpilledKeys {
    pub files: Vec<PathBuf>,
    pub bytes: u64,
}

pub(crate) fn spill_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(
        path,
        format!("cannot write or read this spill file of the out-of-core run: {e}. Check the free space of the spill folder (--spill-dir, default the system's temporary folder)."),
    )
}

/// The partition files of one spill (one zstd Arrow IPC stream each) and the first write
/// error: routing rows cannot return one, so it is kept until [`PartitionFiles::close`]. Shared
/// by the id spill and the whole-row spill ([`super::row_spill`]).
pub(crate) struct PartitionFiles {
    files: Vec<(PathBuf, Option<StreamWriter<BufWriter<File>>>)>,
    error: Option<Error>,
}

impl PartitionFiles {
    /// `name(p)` for each of the plan's partitions, in its folder, written with `schema`.
    pub(crate) fn create(plan: &SpillPlan, name: impl Fn(usize) -> String, schema: &Schema) -> Result<Self> {
        let options = IpcWriteOptions::default()
            .try_with_compression(Some(arrow_ipc::CompressionType::ZSTD))
            .and_then(|o| o.try_with_compression_level(Some(1)))
            .map_err(|e| Error::Usage(format!("internal: spill options: {e}")))?;
        let mut files = Vec::with_capacity(plan.partitions);
        for p in 0..plan.partitions {
            let path = plan.dir.join(name(p));
            let file = File::create(&path).map_err(|e| spill_err(&path, e))?;
            let writer =
                StreamWriter::try_new_with_options(BufWriter::new(file), schema, options.clone()).map_err(|e| spill_err(&path, e))?;
            files.push((path, Some(writer)));
        }
        Ok(PartitionFiles { files, error: None })
    }

    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether a write has failed (later batches need not be built).
    pub(crate) fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Writes a batch to partition `p`, keeping the first failure.
    pub(crate) fn write(&mut self, p: usize, batch: std::result::Result<RecordBatch, String>) {
        if self.error.is_some() {
            return;
        }
        let (path, writer) = &mut self.files[p];
        let written = batch.and_then(|b| writer.as_mut().map_or(Ok(()), |w| w.write(&b).map_err(|e| e.to_string())));
        if let Err(e) = written {
            self.error = Some(spill_err(path, e));
        }
    }

    /// The first write error, or each stream ended and the bytes written counted.
    pub(crate) fn close(mut self) -> Result<SpilledKeys> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut out = SpilledKeys::default();
        for (path, writer) in &mut self.files {
            if let Some(mut w) = writer.take() {
                w.finish().map_err(|e| spill_err(path, e))?;
                let mut file = w.into_inner().map_err(|e| spill_err(path, e))?;
                std::io::Write::flush(&mut file).map_err(|e| spill_err(path, e))?;
            }
            out.bytes += std::fs::metadata(&*path).map_err(|e| spill_err(path, e))?.len();
            out.files.push(path.clone());
        }
        Ok(out)
    }
}

impl KeySpill {
    pub fn create(plan: &SpillPlan, version: &str) -> Result<Self> {
        let out = PartitionFiles::create(plan, |p| format!("{version}-{p:04}.arrows"), &schema())?;
        // About a million rows buffered over all partitions (~50 MB), whatever their number.
        let batch_rows = ((1 << 20) / plan.partitions).max(1024);
        Ok(KeySpill { out, buffers: vec![(Vec::new(), StrCol::default()); plan.partitions], batch_rows })
    }

    /// Routes rows `first_row..` whose ids are `ids` to their partitions.
    pub fn push(&mut self, first_row: u32, ids: &StrCol) {
        let n = self.out.len();
        for k in 0..ids.len() {
            let id = ids.get(k);
            let p = partition_of(crate::pair::hash_id(id), n);
            let (rows, buffered) = &mut self.buffers[p];
            rows.push(first_row + k as u32);
            buffered.push(id);
            if rows.len() >= self.batch_rows {
                self.flush(p);
            }
        }
    }

    fn flush(&mut self, p: usize) {
        let (rows, ids) = &mut self.buffers[p];
        if rows.is_empty() || self.out.failed() {
            rows.clear();
            ids.clear();
            return;
        }
        let rows = UInt32Array::from(std::mem::take(rows));
        let texts = StringArray::from_iter_values((0..ids.len()).map(|k| ids.get(k)));
        ids.clear();
        self.out.write(p, RecordBatch::try_new(schema(), vec![Arc::new(rows), Arc::new(texts)]).map_err(|e| e.to_string()));
    }

    /// Writes what is buffered and closes every file.
    pub fn finish(mut self) -> Result<SpilledKeys> {
        (0..self.out.len()).for_each(|p| self.flush(p));
        self.out.close()
    }
}

/// One partition file's rows (ascending) and ids.
pub fn read_partition(path: &Path) -> Result<(Vec<u32>, StrCol)> {
    let file = File::open(path).map_err(|e| spill_err(path, e))?;
    let reader = StreamReader::try_new(BufReader::with_capacity(1 << 20, file), None).map_err(|e| spill_err(path, e))?;
    let (mut rows, mut ids) = (Vec::new(), StrCol::default());
    for batch in reader {
        let batch = batch.map_err(|e| spill_err(path, e))?;
        let r = batch.column(0).as_any().downcast_ref::<UInt32Array>();
        let s = batch.column(1).as_any().downcast_ref::<StringArray>();
        let (Some(r), Some(s)) = (r, s) else {
            return Err(spill_err(path, "unexpected column types"));
        };
        rows.extend_from_slice(r.values());
        for k in 0..s.len() {
            ids.push(s.value(k));
        }
    }
    Ok((rows, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_in_their_partitions_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = SpillPlan { dir: dir.path().to_path_buf(), partitions: 4 };
        let mut spill = KeySpill::create(&plan, "v1").expect("create");
        spill.batch_rows = 3; // several batches per file
        let ids: Vec<String> = (0..100).map(|k| format!("req-{k}")).collect();
        let (a, b): (StrCol, StrCol) = (ids[..60].iter().collect(), ids[60..].iter().collect());
        spill.push(0, &a);
        spill.push(60, &b);
        let done = spill.finish().expect("finish");
        assert_eq!(done.files.len(), 4);
        assert!(done.bytes > 0);
        let mut seen = [false; 100];
        for (p, path) in done.files.iter().enumerate() {
            let (rows, got) = read_partition(path).expect("read");
            assert!(rows.windows(2).all(|w| w[0] < w[1]), "ascending rows");
            for (k, &r) in rows.iter().enumerate() {
                assert_eq!(got.get(k), ids[r as usize]);
                assert_eq!(partition_of(crate::pair::hash_id(got.get(k)), 4), p);
                seen[r as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s), "every row spilled once");
    }
}
