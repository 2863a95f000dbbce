//! SIGINT / SIGTERM: stop with a message and exit code 130 / 143 (128 + the signal, as shells
//! do), after removing the half-written temporary report directory. The previous report in
//! `--out` stays in place: the two renames that swap the new report in run under [`swap_guard`],
//! so an interrupt waits for them to finish rather than land between them.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// Temporary directories to remove if the run is interrupted.
static TEMP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temp() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMP.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handler (once per process; the CLI calls it, library users decide themselves).
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // no handler: the default action (terminate) still leaves the old report intact
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let dirs = temp();
            for d in dirs.iter() {
                let _ = std::fs::remove_dir_all(d);
            }
            crate::progress::clear();
            let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
            eprintln!("\nerror: interrupted ({name}); no report was written and any previous report in --out is unchanged.");
            std::process::exit(128 + sig);
        }
    });
}

/// Registers a temporary directory for removal on interrupt; returns a guard that unregisters
/// it when dropped.
pub fn register(dir: PathBuf) -> Registered {
    temp().push(dir.clone());
    Registered(dir)
}

pub struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        temp().retain(|d| d != &self.0);
    }
}

/// Held while the finished report replaces the previous one: an interrupt waits for it.
pub fn swap_guard() -> MutexGuard<'static, Vec<PathBuf>> {
    temp()
}
