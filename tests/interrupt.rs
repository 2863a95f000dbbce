//! Interrupts and pipes: SIGINT / SIGTERM stop a run with a message and 128 + signal, leaving a
//! previous report untouched and no temporary directory; text logs can be read from a pipe
//! (`--v1 <(zcat v1.jsonl.gz)`). A FIFO makes the timing deterministic: the run blocks opening it
//! until the test decides.

use crate::common::{analyze, generate};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo runs").success();
    assert!(ok, "mkfifo {}", path.display());
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect()
}

/// Sends `signal` (INT, TERM) to the run and waits for it to stop (at most `secs` seconds).
fn stop(child: &mut std::process::Child, signal: &str, secs: u64) -> std::process::ExitStatus {
    let ok = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().expect("kill runs").success();
    assert!(ok, "kill -{signal}");
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(start.elapsed() < Duration::from_secs(secs), "the run did not stop after {signal}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupted_by(signal: &str, code: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "jsonl", &["--pairs", "300", "--seed", "5"]);
    let out = dir.path().join("report");
    let first = analyze(&v1, &v2, &out, &["--quiet"]);
    assert!(matches!(first.code, 0 | 1 | 3), "{}", first.stderr);
    let before = std::fs::read(out.join("verdict.json")).expect("first verdict");

    let fifo = dir.path().join("pipe.jsonl");
    mkfifo(&fifo);
    let mut cmd: Command = std::process::Command::new(assert_cmd::cargo::cargo_bin("shadowgate"));
    cmd.args(["analyze", "--v1"]).arg(&fifo).arg("--v2").arg(&v2).arg("--out").arg(&out).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawns");
    // The run is now blocked opening the FIFO (no writer yet); give it time to install handlers.
    std::thread::sleep(Duration::from_millis(400));
    let status = stop(&mut child, signal, 20);
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(code), "{signal}: {stderr}");
    assert!(stderr.contains(&format!("interrupted (SIG{signal})")) && stderr.contains("unchanged"), "{stderr}");
    assert_eq!(std::fs::read(out.join("verdict.json")).expect("verdict still there"), before, "previous report changed");
    assert!(leftovers(dir.path()).is_empty(), "left behind: {:?}", leftovers(dir.path()));
}

#[test]
fn sigint_stops_the_run_and_keeps_the_previous_report() {
    interrupted_by("INT", 130);
}

#[test]
fn sigterm_stops_the_run_and_keeps_the_previous_report() {
    interrupted_by("TERM", 143);
}

#[test]
fn text_logs_can_come_from_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "jsonl", &["--pairs", "400", "--seed", "6"]);
    let direct = analyze(&v1, &v2, &dir.path().join("direct"), &["--quiet"]);
    let fifo = dir.path().join("v1-pipe.jsonl");
    mkfifo(&fifo);
    let (src, dst) = (v1.clone(), fifo.clone());
    let writer = std::thread::spawn(move || {
        let data = std::fs::read(&src).expect("read v1");
        std::fs::write(&dst, data).expect("write into the pipe");
    });
    let piped = analyze(&fifo, &v2, &dir.path().join("piped"), &["--quiet"]);
    writer.join().expect("writer");
    assert_eq!(piped.code, direct.code, "{}", piped.stderr);
    let (a, b) = (direct.verdict(), piped.verdict());
    assert_eq!(a["pairing"], b["pairing"]);
    assert_eq!(a["metrics"], b["metrics"]);

    // Parquet cannot stream through a pipe: a clear error, not a hang or a reader's message.
    let (p1, _) = generate(&dir.path().join("pq"), "parquet", &["--pairs", "50"]);
    let pq_fifo = dir.path().join("v1-pipe.parquet");
    mkfifo(&pq_fifo);
    let run = analyze(&pq_fifo, &p1, &dir.path().join("pq-out"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("regular file"), "{}", run.stderr);
}

/// Unmounts on drop, so a failing assertion does not leave a mount behind.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A tmpfs of `size` mounted on a new folder `dir/disk`, or None after saying why the test
/// skips (mounting needs root, CAP_SYS_ADMIN).
fn tmpfs(dir: &Path, size: &str, untested: &str) -> Option<(std::path::PathBuf, Mount)> {
    let disk = dir.join("disk");
    std::fs::create_dir(&disk).expect("mkdir");
    let mounted =
        Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&disk).stderr(Stdio::null()).status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot mount a tmpfs here (needs root); {untested} is untested on this machine");
        return None;
    }
    Some((disk.clone(), Mount(disk)))
}

/// A full disk (a 256 KiB tmpfs; the report needs about 1 MB) fails with exit 2 and a message
/// naming the file and the OS error, leaves no temporary directory, and leaves a previous report
/// untouched. Needs root (CAP_SYS_ADMIN) to mount; elsewhere the test says so and skips.
#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_previous_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((disk, _mount)) = tmpfs(dir.path(), "256k", "the full-disk behaviour") else { return };
    let (v1, v2) = generate(&dir.path().join("data"), "jsonl", &["--pairs", "400", "--seed", "8"]);
    // A small previous "report" that fits, to check it survives.
    let out = disk.join("report");
    std::fs::create_dir(&out).expect("mkdir report");
    std::fs::write(out.join("verdict.json"), b"{\"previous\":true}").expect("write previous");
    let run = analyze(&v1, &v2, &out, &["--quiet"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("No space left on device") && run.stderr.contains("cannot write"), "{}", run.stderr);
    assert_eq!(std::fs::read(out.join("verdict.json")).expect("previous kept"), b"{\"previous\":true}");
    assert!(leftovers(&disk).is_empty(), "left behind: {:?}", leftovers(&disk));
}

/// An interrupted out-of-core run removes its spill folder: the run is stopped while it waits
/// for its V1 input (a FIFO), after the spill folder was made.
#[test]
fn an_interrupted_out_of_core_run_leaves_no_spill_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, v2) = generate(dir.path(), "jsonl", &["--pairs", "300", "--seed", "5"]);
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).expect("mkdir");
    let fifo = dir.path().join("pipe.jsonl");
    mkfifo(&fifo);
    let mut cmd: Command = std::process::Command::new(assert_cmd::cargo::cargo_bin("shadowgate"));
    cmd.args(["analyze", "--out-of-core", "--spill-dir"])
        .arg(&spill)
        .arg("--v1")
        .arg(&fifo)
        .arg("--v2")
        .arg(&v2)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawns");
    let start = Instant::now();
    while std::fs::read_dir(&spill).expect("spill dir").count() == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "no spill folder was made");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = stop(&mut child, "INT", 20);
    assert_eq!(status.code(), Some(130));
    let left: Vec<_> = std::fs::read_dir(&spill).expect("spill dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A spill folder without room (a 64 KiB tmpfs) fails with exit 2, naming the spill file and
/// the OS error, and leaves nothing behind. Needs root to mount; elsewhere the test skips.
#[test]
fn a_full_spill_disk_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((disk, _mount)) = tmpfs(dir.path(), "64k", "a full spill disk") else { return };
    let (v1, v2) = generate(&dir.path().join("data"), "jsonl", &["--pairs", "40000", "--seed", "8"]);
    let run = analyze(&v1, &v2, &dir.path().join("out"), &["--quiet", "--out-of-core", "--spill-dir", disk.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("spill file") && run.stderr.contains("No space left on device"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&disk).expect("disk").count(), 0, "spill files left behind");
    assert!(!dir.path().join("out").exists());
    // With room, a spill folder on tmpfs works, and the summary says the spill stays in memory.
    let (v1, v2) = generate(&dir.path().join("small"), "jsonl", &["--pairs", "300", "--seed", "8"]);
    let run = analyze(&v1, &v2, &dir.path().join("out2"), &["--out-of-core", "--spill-dir", disk.to_str().expect("utf-8")]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
    assert!(
        run.stdout.contains("is on tmpfs, which keeps files in memory") && run.stdout.contains("--spill-dir on a disk"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_dir(&disk).expect("disk").count(), 0, "spill files left behind");
}
