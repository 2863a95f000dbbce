#!/usr/bin/env bash
# Mutation testing of the statistics and the verdict (issue 17) with cargo-mutants.
#
#   cargo install cargo-mutants --locked       # once (v27, ~3 min on 2 cores)
#   bash scripts/mutants.sh stats              # src/stats/**   (1,981 mutants)
#   bash scripts/mutants.sh verdict            # src/verdict/** (238 mutants)
#   bash scripts/mutants.sh src/stats/srm.rs   # one file
#   bash scripts/mutants.sh stats --shard 1/8  # an eighth of them
#   bash scripts/mutants.sh src/verdict/mod.rs # a verdict file runs the verdict:: tests
#   FILTER=quantile bash scripts/mutants.sh src/stats/quantile.rs   # other tests
#   WITH_CLI=1 bash scripts/mutants.sh verdict # also the CLI tests (one more binary to link per mutant)
#   bash scripts/mutants.sh src/stats/srm.rs --iterate   # only what the last run missed
#
# Mutants are built in place (--in-place) with the release profile, so only shadowgate itself is
# rebuilt for each. Do not edit or build the tree while it runs: the mutated source is in src/
# until each mutant is done, and cargo-mutants puts the original back after each one and on
# Ctrl-C. To keep working meanwhile, run it in a second worktree with its own target directory,
# seeded from this one so that no dependency is rebuilt:
#   git worktree add /tmp/sg-mut HEAD && mkdir -p /tmp/sg-mut-target
#   cp -a target/release /tmp/sg-mut-target/
#   cd /tmp/sg-mut && CARGO_TARGET_DIR=/tmp/sg-mut-target bash scripts/mutants.sh verdict
#
# Stop a run with Ctrl-C (cargo-mutants then puts the original source back). After a run was
# killed any other way, `git checkout -- src && find src -name '*.rs' -exec touch {} +` before the
# next: the killed mutant's build can be newer than the restored file, cargo then reuses it, and
# the next run's unmutated baseline fails (or, worse, passes on the wrong code). Pausing a run
# (SIGSTOP) for longer than the timeout marks the mutant under test, or the baseline, as timed out.
#
# Each mutant runs the unit tests of its module, not the whole suite (~7 min): for src/stats the
# SciPy reference vectors (src/stats/tests.rs) and each file's own tests, under a second; for
# src/verdict the rule tests of src/verdict/tests.rs over one in-process run. Only the library's
# test binary is rebuilt (3-7 s on 2 cores; a verdict run of 238 mutants took 31 min). Results go
# to mutants.out/ (outcomes.json, caught.txt, missed.txt, unviable.txt, timeout.txt); CI does not
# run this. A mutant that makes a loop endless times out after 60 s (TIMEOUT=20 to shorten; the
# tests take 1-4 s). An interrupted run resumes with --iterate (caught and unviable are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-stats}"
shift || true
# Further arguments go to cargo mutants, e.g. --iterate (test again only the mutants that a
# previous run, in ./mutants.out, did not catch), --shard K/N or --list.
extra=("$@")
case "$target" in
  stats) files=(-f 'src/stats/**'); filter=(stats::) ;;
  verdict) files=(-f 'src/verdict/**'); filter=(verdict::) ;;
  src/verdict/*) files=(-f "$target"); filter=("${FILTER:-verdict::}") ;;
  *) files=(-f "$target"); filter=("${FILTER:-stats::}") ;;
esac
if [ -n "$(git status --porcelain -- src)" ]; then
  echo "src/ has uncommitted changes; commit or stash them first (mutants are applied in place)" >&2
  exit 2
fi
# -C: for the build (cargo test --no-run) as well as the run, or every mutant links the CLI tests.
binaries=(-C --lib)
if [ -n "${WITH_CLI:-}" ]; then
  binaries=(-C --lib -C --test -C cli)
  case "$target" in verdict) filter+=(exit_codes policy:: errors:: outputs::) ;; esac
fi
cargo mutants --in-place --profile release "${files[@]}" "${extra[@]}" --timeout "${TIMEOUT:-60}" --output . \
  "${binaries[@]}" -- -- "${filter[@]}"
