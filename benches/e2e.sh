#!/usr/bin/env bash
# End-to-end benchmark: `shadowgate analyze` against a DuckDB SQL pass over the same files.
#
# Usage: benches/e2e.sh [PAIRS...]        (default: 1000000)
#
# For each size N it generates Parquet data (and for 1,000,000 pairs also JSON Lines) into
# $BENCH_DIR/N/parquet (and $BENCH_DIR/N/jsonl) with `shadowgate generate --seed 1` if
# missing, then alternately runs `shadowgate analyze --quiet --timings` and
# benches/peer_duckdb.py $RUNS times each under /usr/bin/time -v, takes the medians of wall
# time and peak RSS, checks once with benches/compare_peer.py that both computed the same
# numbers, and prints a Markdown table. Exits 1 when the two disagree.
#
# Environment:
#   SHADOWGATE  the binary (default ${CARGO_TARGET_DIR:-target}/release/shadowgate; a relative
#               path is taken from the repository root). Build it first: this script builds nothing.
#   BENCH_DIR   data and logs (default /tmp/shadowgate-bench)
#   RUNS        runs per tool and input (default 3)
#   THREADS     DuckDB threads (default: nproc; shadowgate uses every core too)
#   PYTHON      interpreter with the duckdb package (default python3; `pip install duckdb`)
#
# Peak RSS is reported in GB = 10^6 kB (as /usr/bin/time reports kB); wall times in seconds,
# with the medians of user and system CPU seconds beside them;
# the DuckDB cell also giving its in-process SQL time (without Python start-up and import).
# The ratio is shadowgate's median wall time over DuckDB's (above 1: shadowgate is slower).
# Logs of every run (time -v, --timings, comparison) stay in $BENCH_DIR/N/logs-FORMAT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# bench_setup (SG, BENCH_DIR, RUNS), wall_s, rss_kb, user_s, sys_s, median
source "$ROOT/benches/lib.sh"
bench_setup e2e
THREADS=${THREADS:-$(nproc)}
PYTHON=${PYTHON:-python3}
PEER=$ROOT/benches/peer_duckdb.py
COMPARE=$ROOT/benches/compare_peer.py

if [ "$#" -gt 0 ]; then sizes=("$@"); else sizes=(1000000); fi

[ -x /usr/bin/time ] || { echo "e2e: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
duckdb_version=$("$PYTHON" -c 'import duckdb; print(duckdb.__version__)') ||
  { echo "e2e: $PYTHON cannot import duckdb (pip install duckdb)" >&2; exit 2; }


# ensure_data N FORMAT DIR: generates v1/v2 files of N pairs into DIR unless they exist.
ensure_data() {
  local n=$1 format=$2 dir=$3 ext
  ext=$([ "$format" = parquet ] && echo parquet || echo jsonl)
  if [ ! -s "$dir/v1.$ext" ] || [ ! -s "$dir/v2.$ext" ]; then
    echo "e2e: generating $n pairs ($format) into $dir" >&2
    "$SG" generate --out "$dir" --format "$format" --pairs "$n" --seed 1 >&2
  fi
}

rows=()
status=0
for n in "${sizes[@]}"; do
  formats=(parquet)
  [ "$n" = 1000000 ] && formats+=(jsonl)
  for format in "${formats[@]}"; do
    ext=$([ "$format" = parquet ] && echo parquet || echo jsonl)
    data=$BENCH_DIR/$n/$format
    logs=$BENCH_DIR/$n/logs-$format
    out=$BENCH_DIR/$n/out-$format
    ensure_data "$n" "$format" "$data"
    mkdir -p "$logs"
    sg_wall=() sg_rss=() db_wall=() db_rss=() db_sql=() sg_user=() sg_sys=() db_user=() db_sys=()
    for i in $(seq 1 "$RUNS"); do
      # shadowgate: exit 0/1/3 are decisions (GO, NO_GO, INCONCLUSIVE); 2 is an error.
      rc=0
      /usr/bin/time -v -o "$logs/shadowgate.$i.time" "$SG" analyze --v1 "$data/v1.$ext" --v2 "$data/v2.$ext" \
        --out "$out" --quiet --timings 2>"$logs/shadowgate.$i.timings" || rc=$?
      if [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
        echo "e2e: shadowgate analyze failed (exit $rc); see $logs/shadowgate.$i.timings" >&2
        exit 2
      fi
      sg_wall+=("$(wall_s "$logs/shadowgate.$i.time")")
      sg_rss+=("$(rss_kb "$logs/shadowgate.$i.time")")
      sg_user+=("$(user_s "$logs/shadowgate.$i.time")")
      sg_sys+=("$(sys_s "$logs/shadowgate.$i.time")")

      /usr/bin/time -v -o "$logs/duckdb.$i.time" "$PYTHON" "$PEER" --v1 "$data/v1.$ext" --v2 "$data/v2.$ext" \
        --threads "$THREADS" --json "$BENCH_DIR/$n/peer-$format.json" >"$logs/duckdb.$i.out"
      db_wall+=("$(wall_s "$logs/duckdb.$i.time")")
      db_rss+=("$(rss_kb "$logs/duckdb.$i.time")")
      db_user+=("$(user_s "$logs/duckdb.$i.time")")
      db_sys+=("$(sys_s "$logs/duckdb.$i.time")")
      db_sql+=("$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["seconds"])' "$BENCH_DIR/$n/peer-$format.json")")
      echo "e2e: $n $format run $i: shadowgate ${sg_wall[-1]} s, duckdb ${db_wall[-1]} s" >&2
    done

    # Agreement of the shared numbers (the last run's outputs; every run computes the same).
    if "$PYTHON" "$COMPARE" --verdict "$out/verdict.json" --peer "$BENCH_DIR/$n/peer-$format.json" \
      >"$logs/compare.txt"; then
      agree=yes
    else
      agree="NO ($(grep -cE "DIFFERENT|MISSING" "$logs/compare.txt" || true) checks; $logs/compare.txt)"
      status=1
    fi

    sw=$(median "${sg_wall[@]}") sr=$(median "${sg_rss[@]}")
    dw=$(median "${db_wall[@]}") dr=$(median "${db_rss[@]}") ds=$(median "${db_sql[@]}")
    su=$(median "${sg_user[@]}") ss=$(median "${sg_sys[@]}") du=$(median "${db_user[@]}") dsy=$(median "${db_sys[@]}")
    rows+=("$(awk -v n="$n" -v f="$format" -v sw="$sw" -v sr="$sr" -v dw="$dw" -v dr="$dr" -v ds="$ds" -v a="$agree" \
      -v su="$su" -v ss="$ss" -v du="$du" -v dsy="$dsy" '
      function commas(x,   out) {  # 1000000 -> 1,000,000
        out = ""
        while (length(x) > 3) { out = "," substr(x, length(x) - 2) out; x = substr(x, 1, length(x) - 3) }
        return x out
      }
      BEGIN { printf "| %s | %s | %.2f s | %.2f / %.2f s | %.2f GB | %.2f s (SQL %.2f s) | %.2f / %.2f s | %.2f GB | %.2f | %s |", commas(n), f, sw, su, ss, sr / 1e6, dw, ds, du, dsy, dr / 1e6, sw / dw, a }')")
  done
done

echo
echo "shadowgate: $SG; DuckDB $duckdb_version with $THREADS threads; $(nproc) cores; median of $RUNS runs each"
echo
echo "| pairs | format | shadowgate wall | user / sys | shadowgate peak RSS | duckdb wall | user / sys | duckdb peak RSS | ratio | agree |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$status"
