//! Command-line interface (clap derive).

use crate::generate::GenerateArgs;
use crate::ingest::Format;
use crate::policy::Mode;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "shadowgate",
    version,
    about = "Decide from request logs whether V2 of a service may replace V1 (GO / NO_GO / INCONCLUSIVE).",
    after_help = "Exit codes: 0 GO, 1 NO_GO, 2 usage or input error, 3 INCONCLUSIVE."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare V1 and V2 logs and write verdict.json, summary.md, junit.xml and rejected.jsonl.
    Analyze(AnalyzeArgs),
    /// Print the default policy as commented TOML (a starting point for --policy).
    Policy(PolicyArgs),
    /// Write realistic synthetic V1/V2 logs (fixtures, tests, benchmarks).
    Generate(GenerateArgs),
    /// Print the SQL that de-duplicates and joins V1 and V2 on an engine you already run (Spark,
    /// Trino, BigQuery, DuckDB), for `analyze --pairs`. Column names come from the policy.
    Sql(SqlArgs),
}

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The engine's SQL dialect.
    #[arg(long, value_enum)]
    pub dialect: crate::engines::DialectName,
    /// Policy TOML whose [columns] and [input] select name the source columns (defaults otherwise).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Start from a built-in policy (see `shadowgate policy --preset`).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Columns to carry for --segment-by (repeatable), besides those of the policy.
    #[arg(long)]
    pub segment_by: Vec<String>,
    /// V1's requests: a table or view name as the engine spells it (project.dataset.table).
    #[arg(long, default_value = "v1_requests")]
    pub v1_table: String,
    /// V2's requests.
    #[arg(long, default_value = "v2_requests")]
    pub v2_table: String,
    /// With `[columns] version` (one export holding both versions): the table holding it.
    #[arg(long, default_value = "requests")]
    pub table: String,
    /// The table to create (DuckDB: the Parquet file NAME.parquet).
    #[arg(long, default_value = "shadowgate_pairs")]
    pub output: String,
}

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Print the policy a preset gives (the defaults with presets/NAME.toml merged on top):
    /// otlp, jaeger, zipkin, envoy, nginx.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// V1 logs: a file, a directory or a glob (JSON Lines, CSV, Parquet, Arrow IPC, OTLP/JSON,
    /// Jaeger or Zipkin JSON; .gz/.zst).
    #[arg(long, required_unless_present_any = ["input", "pairs"], requires = "v2")]
    pub v1: Option<PathBuf>,
    /// V2 logs, same forms as --v1.
    #[arg(long, required_unless_present_any = ["input", "pairs"], requires = "v1")]
    pub v2: Option<PathBuf>,
    /// One export holding both versions (a trace export, one access log), split by the column
    /// that `[columns] version` names into `v1_value` and `v2_value`.
    #[arg(long, conflicts_with_all = ["v1", "v2"])]
    pub input: Option<PathBuf>,
    /// A paired table built by Spark, Trino, BigQuery or DuckDB with the SQL of
    /// `shadowgate sql` (engines/): V1's and V2's fields side by side (docs/pairs.md). Any
    /// supported format; Parquet is what the engines write.
    #[arg(long, conflicts_with_all = ["v1", "v2", "input"])]
    pub pairs: Option<PathBuf>,
    /// Start from a built-in policy for a common export: otlp, jaeger, zipkin, envoy, nginx
    /// (presets/NAME.toml; --policy is merged on top).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Output directory (replaced atomically when the run completes).
    #[arg(long, default_value = "reports/latest")]
    pub out: PathBuf,
    /// Policy TOML merged onto the defaults (`shadowgate policy` prints them).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// shadow: the same requests were served by both (paired); canary: different requests.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Canary mode: V2's expected share of traffic, e.g. 0.01 at the 1% stage.
    #[arg(long)]
    pub expected_v2_share: Option<f64>,
    /// Column to break discrepancies and failures down by (repeatable).
    #[arg(long)]
    pub segment_by: Vec<String>,
    /// Current rollout stage: shadow, canary-1, progressive-10, progressive-25, progressive-50, full.
    #[arg(long, default_value = "shadow")]
    pub stage: String,
    /// Treat failing warnings as blocking.
    #[arg(long)]
    pub strict: bool,
    /// Seed for the bootstrap and other randomized steps (overrides the policy).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Input format, when file names do not say it.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// A second run of V1 on the same traffic (A/A): result paths whose V2 difference rate is not
    /// significantly above V1's own are marked noise and left out of the discrepancy gate.
    #[arg(long)]
    pub v1_replay: Option<PathBuf>,
    /// Host resource samples (timestamp, version, cpu_pct, memory_mb, net_bytes_per_s; any
    /// supported format; columns mapped under [resource_columns]).
    #[arg(long)]
    pub resources: Option<PathBuf>,
    /// Directory of the nightly history: appends this run to DIR/history.jsonl and compares it
    /// with the previous run.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// The moment the flag was flipped back to V1 (RFC 3339), for the rollback drill: how long V2
    /// kept serving after it (gate rollback.drill, 2 minutes by default).
    #[arg(long, value_name = "TIMESTAMP")]
    pub rollback_at: Option<String>,
    /// Judge the error-rate, discrepancy and latency-percentile gates on anytime-valid intervals
    /// (confidence sequences), for re-running every night on the growing logs of one stage
    /// without peeking bias. On by default when --history holds earlier runs of the same stage.
    #[arg(long)]
    pub sequential: bool,
    /// Analyse this share of requests (0 < R <= 1), chosen by a hash of the correlation id so V1
    /// and V2 keep the same requests; recorded in verdict.json.
    #[arg(long, default_value_t = 1.0)]
    pub sample_rate: f64,
    /// Memory to stay within, e.g. 8G or 512M (default: 70% of physical memory, or of the
    /// cgroup's limit). Inputs estimated not to fit are analyzed out of core: the correlation
    /// ids are spilled to disk by hash partition and paired one partition at a time, with the
    /// same verdict. Recorded in verdict.json under `memory`.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
    /// Go out of core even when the input would fit in memory.
    #[arg(long)]
    pub out_of_core: bool,
    /// Folder for the out-of-core spill files (default: the system's temporary folder; a
    /// tmpfs /tmp holds them in memory). Removed when the run ends or is interrupted.
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Spill partitions per version out of core: a power of two up to 256 (default: from the
    /// memory limit, so that one partition's pairing takes an eighth of it). Implies
    /// --out-of-core.
    #[arg(long, value_name = "N")]
    pub spill_partitions: Option<usize>,
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print how long each stage took, and the peak memory at its end (to stderr).
    #[arg(long)]
    pub timings: bool,
}
