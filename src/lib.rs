//! shadowgate: offline shadow-mode and canary comparison of two versions of a service.
//!
//! Pipeline (one module per stage): [`ingest`] -> [`pair`] -> [`metrics`] (built on the pure
//! functions of [`stats`]) -> [`verdict`] -> [`report`]. [`analyze::run`] drives it; `main.rs`
//! only parses flags and maps the outcome to an exit code.

pub mod analyze;
pub mod cli;
pub mod engines;
pub mod error;
pub mod generate;
pub mod history;
pub mod ingest;
pub mod interrupt;
pub mod memory;
pub mod metrics;
pub mod pair;
pub mod policy;
pub mod progress;
pub mod report;
pub mod stats;
pub mod verdict;

use cli::{AnalyzeArgs, Cli, Command};
use error::{Error, Result};
use policy::Policy;

/// Builds the effective policy from --policy and the flags that override it.
pub fn effective_policy(a: &AnalyzeArgs) -> Result<Policy> {
    let mut policy = Policy::load_layers(a.preset.as_deref(), a.policy.as_deref())?;
    if let Some(m) = a.mode {
        policy.analysis.mode = m;
    }
    if let Some(s) = a.expected_v2_share {
        policy.analysis.expected_v2_share = s;
    }
    if let Some(s) = a.seed {
        policy.analysis.seed = s;
    }
    if let Some(t) = &a.rollback_at {
        policy.rollback.at = Some(t.clone());
    }
    if a.sequential {
        policy.sequential.mode = policy::SequentialMode::Always;
    }
    if let Some(dir) = &a.history {
        policy.sequential.earlier_runs = history::earlier_runs(dir, &a.stage, policy.analysis.mode.as_str())?;
    }
    for s in &a.segment_by {
        if !policy.analysis.segment_by.contains(s) {
            policy.analysis.segment_by.push(s.clone());
        }
    }
    policy.validate().map_err(|m| Error::Usage(format!("flags: {}", m.replace("rollback.at =", "--rollback-at (or rollback.at) ="))))?;
    Ok(policy)
}

/// Runs a parsed command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Policy(p) => {
            print!("{}", Policy::load_layers(p.preset.as_deref(), None)?.to_commented_toml());
            Ok(0)
        }
        Command::Sql(s) => {
            let mut policy = Policy::load_layers(s.preset.as_deref(), s.policy.as_deref())?;
            for seg in &s.segment_by {
                if !policy.analysis.segment_by.contains(seg) {
                    policy.analysis.segment_by.push(seg.clone());
                }
            }
            let tables =
                engines::Tables { v1: s.v1_table.clone(), v2: s.v2_table.clone(), both: s.table.clone(), output: s.output.clone() };
            let note = match (&s.preset, &s.policy) {
                (None, None) => " from the default policy".to_string(),
                (preset, file) => {
                    let parts: Vec<String> = preset
                        .iter()
                        .map(|p| format!("preset {p}"))
                        .chain(file.iter().map(|f| format!("policy {}", f.display())))
                        .collect();
                    format!(" from {}", parts.join(" and "))
                }
            };
            print!("{}", engines::pairs_sql(s.dialect.dialect(), &policy, &tables, &note)?);
            Ok(0)
        }
        Command::Generate(g) => {
            let (a, b) = generate::run(&g)?;
            println!("wrote {} and {}", a.display(), b.display());
            Ok(0)
        }
        Command::Analyze(a) => {
            let policy = effective_policy(&a)?;
            let (v1, v2) = match (&a.pairs, &a.input, &a.v1, &a.v2) {
                (Some(pairs), _, _, _) => (pairs.clone(), pairs.clone()),
                (None, Some(both), _, _) => (both.clone(), both.clone()),
                (None, None, Some(v1), Some(v2)) => (v1.clone(), v2.clone()),
                _ => return Err(Error::Usage("pass --v1 and --v2 (one export per version), --input (one export holding both), or --pairs (a paired table built by an engine).".into())),
            };
            if v1 == v2 && a.pairs.is_none() && policy.columns.version.is_empty() {
                return Err(Error::Usage(format!(
                    "{} holds both versions, so the policy must say how to tell them apart: set [columns] version (the column or path with the version, e.g. 'resource.\"service.version\"'), v1_value and v2_value. Or pass V1's and V2's logs separately with --v1 and --v2.",
                    if a.input.is_some() { format!("--input {}", v1.display()) } else { format!("--v1 and --v2 are the same path ({}): it", v1.display()) }
                )));
            }
            if !(a.sample_rate > 0.0 && a.sample_rate <= 1.0) {
                return Err(Error::Usage(format!(
                    "--sample-rate {}: must be above 0 and at most 1 (0.1 keeps a tenth of the requests)",
                    a.sample_rate
                )));
            }
            interrupt::install();
            if !a.quiet {
                progress::enable();
            }
            let req = analyze::Request {
                v1,
                v2,
                policy,
                format: a.format,
                stage: a.stage.clone(),
                strict: a.strict,
                resources: a.resources.clone(),
                v1_replay: a.v1_replay.clone(),
                sample_rate: a.sample_rate,
                pairs: a.pairs.is_some(),
                memory_limit: a.memory_limit.clone(),
                out_of_core: a.out_of_core || a.spill_partitions.is_some(),
                spill_partitions: a.spill_partitions,
                spill_dir: a.spill_dir.clone(),
            };
            let outcome = analyze::run(&req);
            progress::stage("writing the report");
            let mut outcome = outcome.inspect_err(|_| progress::clear())?;
            let t = std::time::Instant::now();
            if let Some(dir) = &a.history {
                outcome.verdict.history = Some(history::compare(dir, &outcome.verdict)?);
            }
            let out = report::write_all(&a.out, &outcome);
            progress::clear();
            let out = out?;
            if let Some(dir) = &a.history {
                history::append(dir, &outcome.verdict)?;
            }
            if let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY") {
                if !path.is_empty() {
                    use std::io::Write;
                    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(&path) {
                        let _ = f.write_all(report::markdown::render(&outcome).as_bytes());
                    }
                }
            }
            if a.timings {
                let report = ("report", t.elapsed().as_secs_f64(), memory::peak_rss());
                for (name, secs, peak) in outcome.timings.iter().chain(std::iter::once(&report)) {
                    match peak {
                        Some(b) => eprintln!("{name:>8}: {secs:.3} s   peak memory so far {}", memory::human(*b)),
                        None => eprintln!("{name:>8}: {secs:.3} s"),
                    }
                }
            }
            if !a.quiet {
                print!("{}", report::terminal::render(&outcome, &out, report::terminal::use_color()));
            }
            Ok(outcome.verdict.decision.exit_code())
        }
    }
}
