//! Progress on stderr for long runs (indicatif): one spinner line with the elapsed time, the
//! stage and the rows read so far. Shown only when stderr is a terminal and `--quiet` is not
//! given, so logs, pipes and CI output stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

static BAR: OnceLock<ProgressBar> = OnceLock::new();
static ROWS: AtomicU64 = AtomicU64::new(0);

/// Starts the spinner if stderr is a terminal.
pub fn enable() {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let _ = BAR.set(bar);
}

/// Names the stage now running.
pub fn stage(name: &str) {
    if let Some(b) = BAR.get() {
        b.set_message(name.to_string());
    }
}

/// Adds rows read by ingest (both versions together).
pub fn rows(n: u64) {
    let total = ROWS.fetch_add(n, Ordering::Relaxed) + n;
    if let Some(b) = BAR.get() {
        b.set_message(format!("reading logs: {} rows", group(total)));
    }
}

/// Removes the spinner line.
pub fn clear() {
    if let Some(b) = BAR.get() {
        b.finish_and_clear();
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
