# Helpers shared by benches/e2e.sh and benches/out_of_core.sh (sourced, not run).

# bench_setup NAME: the defaults both benches share (each script's header documents them): the
# binary, the data and logs folder, the runs; exits 2 when there is no binary. NAME is the
# calling script, for the message.
bench_setup() {
  SG=${SHADOWGATE:-${CARGO_TARGET_DIR:-target}/release/shadowgate}
  BENCH_DIR=${BENCH_DIR:-/tmp/shadowgate-bench}
  RUNS=${RUNS:-3}
  [ -x "$SG" ] || { echo "$1: no shadowgate binary at $SG (cargo build --release, or set SHADOWGATE)" >&2; exit 2; }
}

# wall_s LOG / rss_kb LOG: wall seconds and peak RSS (kB) from a `/usr/bin/time -v` log.
wall_s() {
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($NF, p, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + p[i]
    print s }' "$1"
}
rss_kb() { awk -F': ' '/Maximum resident set size/ { print $NF }' "$1"; }
# user_s LOG / sys_s LOG: user and system CPU seconds from a `/usr/bin/time -v` log. System time
# is mostly the kernel zeroing freshly touched pages, which on this project's VM varies several
# fold from run to run (see BENCHMARKS.md, "free page reporting"); user time varies far less.
user_s() { awk -F': ' '/User time \(seconds\)/ { print $NF }' "$1"; }
sys_s() { awk -F': ' '/System time \(seconds\)/ { print $NF }' "$1"; }

# median V...: the median of the numbers given (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
