//! Helpers shared by the CLI tests.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn bin() -> Command {
    let mut c = Command::cargo_bin("shadowgate").expect("binary built");
    c.env("SOURCE_DATE_EPOCH", "1764201600").env("NO_COLOR", "1").env_remove("GITHUB_STEP_SUMMARY");
    c
}

/// The pass band of a coverage check: `level` +- 3 binomial standard deviations at `seeds` seeds
/// (93.0-97.0% for 95% at 1,000 seeds). An interval method that covers at exactly its level fails
/// the check on 0.27% of seed sets; one that covers 2 points below fails it on about half.
pub fn coverage_band(level: f64, seeds: u64) -> std::ops::RangeInclusive<f64> {
    let sd = (level * (1.0 - level) / seeds as f64).sqrt();
    (level - 3.0 * sd)..=(level + 3.0 * sd)
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `shadowgate generate` into `dir` with extra flags; returns (v1, v2) paths.
pub fn generate(dir: &Path, format: &str, args: &[&str]) -> (PathBuf, PathBuf) {
    let out = bin().arg("generate").arg("--out").arg(dir).args(["--format", format]).args(args).output().expect("runs");
    assert!(out.status.success(), "generate failed: {}", String::from_utf8_lossy(&out.stderr));
    (dir.join(format!("v1.{format}")), dir.join(format!("v2.{format}")))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: PathBuf,
}

impl Run {
    pub fn verdict(&self) -> Value {
        let text = std::fs::read_to_string(self.out.join("verdict.json")).expect("verdict.json written");
        serde_json::from_str(&text).expect("verdict.json parses")
    }
    pub fn gate(&self, id: &str) -> Value {
        self.verdict()["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .find(|g| g["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("gate {id} missing"))
    }
}

/// Runs `analyze` with the given V1/V2 paths and extra flags, writing to `out`.
pub fn analyze(v1: &Path, v2: &Path, out: &Path, args: &[&str]) -> Run {
    let o = bin().arg("analyze").arg("--v1").arg(v1).arg("--v2").arg(v2).arg("--out").arg(out).args(args).output().expect("runs");
    let run = Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out: out.to_path_buf(),
    };
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"), "panic: {}", run.stderr);
    run
}

#[derive(clap::Parser)]
struct GenerateCli {
    #[command(flatten)]
    g: shadowgate::generate::GenerateArgs,
}

/// `shadowgate generate` flags as [`GenerateArgs`], for in-process simulation (no files written).
pub fn gen_args(extra: &[&str]) -> shadowgate::generate::GenerateArgs {
    use clap::Parser;
    let mut v = vec!["generate", "--out", "/nonexistent-unused"];
    v.extend_from_slice(extra);
    GenerateCli::parse_from(v).g
}

/// Generates logs in memory and runs the whole analysis on them with the default policy (seeded
/// by the generator's seed; canary runs expect the generated share).
pub fn simulate(g: &shadowgate::generate::GenerateArgs, mode: shadowgate::policy::Mode) -> shadowgate::analyze::Verdict {
    use shadowgate::generate::{generate, to_ingested};
    let (r1, r2) = generate(g).expect("generate");
    let mut policy = shadowgate::policy::Policy::default();
    policy.analysis.mode = mode;
    policy.analysis.seed = g.seed;
    if let Some(s) = g.canary_share {
        policy.analysis.expected_v2_share = s;
    }
    let stage = if mode == shadowgate::policy::Mode::Shadow { "shadow" } else { "canary-1" };
    shadowgate::analyze::run_ingested(to_ingested(&r1, &[]), to_ingested(&r2, &[]), &policy, stage, false, None, None)
        .expect("analysis")
        .verdict
}

/// A gate of an in-process verdict by id.
pub fn gate<'a>(v: &'a shadowgate::analyze::Verdict, id: &str) -> &'a shadowgate::verdict::GateResult {
    v.gates.iter().find(|g| g.id == id).unwrap_or_else(|| panic!("gate {id} missing"))
}

/// Where two verdicts of the same requests differ, beyond the input files. Numbers must agree
/// to 1e-9 relative: the pairs come in one order (V1's time, then the id's hash) whatever the
/// row order of the input, so resampled intervals are drawn alike, and only sums over each
/// version's rows (means) may differ in their last bits.
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            if (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1e-12) {
                out.push(format!("{path}: {a} vs {b}"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            if a.keys().ne(b.keys()) {
                out.push(format!("{path}: keys {:?} vs {:?}", a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>()));
                return;
            }
            // `memory` (top level) depends on the input files and the machine, not the requests.
            for (k, v) in a.iter().filter(|(k, _)| *k != "files" && !(path == "verdict" && *k == "memory")) {
                differences(v, &b[k], &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) => {
            if a != b {
                out.push(format!("{path}: {a} vs {b}"));
            }
        }
    }
}

/// Fails listing every [`differences`] between two verdict.json documents of the same requests.
pub fn assert_same_verdict(a: &Value, b: &Value) {
    let mut out = Vec::new();
    differences(a, b, "verdict", &mut out);
    assert!(out.is_empty(), "the verdicts differ:\n{}", out.join("\n"));
}
