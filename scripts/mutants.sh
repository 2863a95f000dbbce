#!/usr/bin/env bash
# Mutation testing of the statistics and the verdict (issue 17) with cargo-mutants.
#
#   cargo install cargo-mutants --locked       # once (v27, ~3 min on 2 cores)
#   bash scripts/mutants.sh stats              # src/stats/**   (2,004 mutants)
#   bash scripts/mutants.sh verdict            # src/verdict/** (238 mutants)
#   bash scripts/mutants.sh src/stats/srm.rs   # one file
#   SHARD=1/8 bash scripts/mutants.sh stats    # an eighth of them
#   LIB_ONLY=1 FILTER=verdict:: bash scripts/mutants.sh src/verdict/mod.rs
#                                              # only the unit tests (no CLI test binary to rebuild)
#
# Mutants are built in place (--in-place) with the release profile, so only shadowgate itself is
# rebuilt for each (9-10 s on 2 cores; a copy of the tree would rebuild every dependency, several minutes). Do not
# edit or build the tree while it runs: the mutated source is in src/ until each mutant is done,
# and cargo-mutants puts the original back after each one and on Ctrl-C.
#
# Each mutant runs the tests that exercise its module, not the whole suite (~6 min): for src/stats
# the SciPy reference vectors (tests/stats_reference.rs), the unit tests and the resampled
# Harrell-Davis check (tests/rollout_evidence.rs), about 2 s. Results go
# to mutants.out/ (outcomes.json, caught.txt, missed.txt, unviable.txt, timeout.txt); CI does not
# run this.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-stats}"
case "$target" in
  stats) files=(-f 'src/stats/**'); filter=(stats_reference stats:: rollout_evidence::harrell_davis) ;;
  verdict) files=(-f 'src/verdict/**'); filter=(exit_codes policy:: errors:: outputs:: verdict::) ;;
  *) files=(-f "$target"); filter=("${FILTER:-stats_reference}") ;;
esac
shard=()
if [ -n "${SHARD:-}" ]; then shard=(--shard "$SHARD"); fi
if [ -n "$(git status --porcelain -- src)" ]; then
  echo "src/ has uncommitted changes; commit or stash them first (mutants are applied in place)" >&2
  exit 2
fi
binaries=(--lib --test cli)
if [ -n "${LIB_ONLY:-}" ]; then binaries=(--lib); fi
cargo mutants --in-place --profile release "${files[@]}" "${shard[@]}" --timeout 300 --output . \
  -- "${binaries[@]}" -- "${filter[@]}"
