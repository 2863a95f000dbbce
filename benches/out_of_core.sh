#!/usr/bin/env bash
# Out-of-core benchmark (issue 13): the same Parquet files analyzed in memory and out of core
# (`--memory-limit LIMIT`, or `--out-of-core` when LIMIT is empty), alternating, under
# /usr/bin/time -v. Checks that both give the same verdict.json apart from `memory` and prints
# a Markdown table: medians of wall time and peak RSS, the out-of-core/in-memory time ratio,
# the spill partitions and bytes against the input's.
#
# Usage: benches/out_of_core.sh [PAIRS...]        (default: 1000000)
#
# Environment:
#   SHADOWGATE  the binary (default ${CARGO_TARGET_DIR:-target}/release/shadowgate)
#   BENCH_DIR   data and logs (default /tmp/shadowgate-bench; data as benches/e2e.sh makes it)
#   RUNS        runs per mode (default 3)
#   LIMIT       --memory-limit for the out-of-core runs (default: none, --out-of-core)
#   SPILL_DIR   --spill-dir (default: the system's temporary folder)
# Exits 1 when a verdict differs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# bench_setup (SG, BENCH_DIR, RUNS), wall_s, rss_kb, median
source "$ROOT/benches/lib.sh"
bench_setup out_of_core
LIMIT=${LIMIT:-}
SPILL_DIR=${SPILL_DIR:-}
if [ "$#" -gt 0 ]; then sizes=("$@"); else sizes=(1000000); fi

ooc_args=(--out-of-core)
[ -n "$LIMIT" ] && ooc_args=(--memory-limit "$LIMIT")
[ -n "$SPILL_DIR" ] && ooc_args+=(--spill-dir "$SPILL_DIR")

rows=()
status=0
for n in "${sizes[@]}"; do
  data=$BENCH_DIR/$n/parquet
  logs=$BENCH_DIR/$n/logs-ooc
  mkdir -p "$logs"
  if [ ! -s "$data/v1.parquet" ] || [ ! -s "$data/v2.parquet" ]; then
    echo "out_of_core: generating $n pairs into $data" >&2
    "$SG" generate --out "$data" --format parquet --pairs "$n" --seed 1 >&2
  fi
  mem_wall=() mem_rss=() ooc_wall=() ooc_rss=()
  for i in $(seq 1 "$RUNS"); do
    for mode in mem ooc; do
      extra=()
      [ "$mode" = ooc ] && extra=("${ooc_args[@]}")
      rc=0
      SOURCE_DATE_EPOCH=0 /usr/bin/time -v -o "$logs/$mode.$i.time" "$SG" analyze --v1 "$data/v1.parquet" --v2 "$data/v2.parquet" \
        --out "$BENCH_DIR/$n/out-$mode" --quiet --timings "${extra[@]}" 2>"$logs/$mode.$i.timings" || rc=$?
      if [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
        echo "out_of_core: analyze ($mode) failed (exit $rc); see $logs/$mode.$i.timings" >&2
        exit 2
      fi
      if [ "$mode" = mem ]; then
        mem_wall+=("$(wall_s "$logs/$mode.$i.time")") mem_rss+=("$(rss_kb "$logs/$mode.$i.time")")
      else
        ooc_wall+=("$(wall_s "$logs/$mode.$i.time")") ooc_rss+=("$(rss_kb "$logs/$mode.$i.time")")
      fi
    done
    echo "out_of_core: $n run $i: in memory ${mem_wall[-1]} s, out of core ${ooc_wall[-1]} s" >&2
  done
  facts=$(python3 - "$BENCH_DIR/$n/out-mem/verdict.json" "$BENCH_DIR/$n/out-ooc/verdict.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
m = b.pop("memory")
a.pop("memory")
same = "yes" if a == b else "NO"
print(same, "yes" if m["out_of_core"] else "no", m["partitions"], m["spill_bytes"], m["input_bytes"])
EOF
)
  read -r same ooc parts spill input <<<"$facts"
  [ "$same" = yes ] || status=1
  [ "$ooc" = yes ] || { echo "out_of_core: the $n run did not go out of core (raise the size or lower LIMIT)" >&2; status=1; }
  mw=$(median "${mem_wall[@]}") mr=$(median "${mem_rss[@]}") ow=$(median "${ooc_wall[@]}") orss=$(median "${ooc_rss[@]}")
  rows+=("$(awk -v n="$n" -v mw="$mw" -v mr="$mr" -v ow="$ow" -v orss="$orss" -v p="$parts" -v s="$spill" -v i="$input" -v same="$same" \
    'BEGIN { printf "| %d | %.2f s | %.2f GB | %.2f s | %.2f GB | %.2f | %d | %.0f MB | %.0f MB | %.2f | %s |", n, mw, mr / 1e6, ow, orss / 1e6, ow / mw, p, s / 1e6, i / 1e6, s / i, same }')")
done

echo
echo "shadowgate: $SG; out of core with ${ooc_args[*]}; $(nproc) cores; median of $RUNS alternating runs each"
echo
echo "| pairs | in memory | peak RSS | out of core | peak RSS | time ratio | partitions | spill | input | spill / input | same verdict |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$status"
