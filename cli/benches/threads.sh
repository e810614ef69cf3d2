#!/usr/bin/env bash
# How much `reqlog report` gains from a second thread, and what it costs in memory:
# the release binary on a generated 1M-line log (the lines `cargo bench --bench report`
# times), `--threads 1` and `--threads 2`, RUNS runs each, interleaved; prints the
# median wall time, the CPU time (user + system: the work done, whatever the load), the
# speed-up and the peak RSS (GNU time's "Maximum resident set
# size"), with the load average before and after (other processes share the cores).
#
#   bash cli/benches/threads.sh [LINES] [RUNS]
set -euo pipefail
lines=${1:-1000000}
runs=${2:-5}
cd "$(dirname "$0")/../.."
cargo build --release -q -p reqlog-cli --bin reqlog --example bench_log
target=${CARGO_TARGET_DIR:-target}
log=$(mktemp --suffix=.log)
trap 'rm -f "$log" "$log".*' EXIT
"$target/release/examples/bench_log" "$log" "$lines"
echo "log: $lines lines, $(($(stat -c %s "$log") / 1000000)) MB; cores: $(nproc)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the page cache once so every run reads from memory.
cat "$log" > /dev/null
for run in $(seq "$runs"); do
  for threads in 1 2; do
    /usr/bin/time -f "%e %M %U %S" -o "$log.time" \
      "$target/release/reqlog" report --no-progress --threads "$threads" --json "$log" > /dev/null
    echo "$threads $(cat "$log.time")" >> "$log.results"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for threads in 1 2; do
  secs=$(awk -v t="$threads" '$1==t {print $2}' "$log.results" | median)
  rss=$(awk -v t="$threads" '$1==t {print $3}' "$log.results" | sort -n | tail -1)
  cpu=$(awk -v t="$threads" '$1==t {print $4 + $5}' "$log.results" | median)
  all=$(awk -v t="$threads" '$1==t {printf "%s ", $2}' "$log.results")
  echo "threads $threads: median ${secs} s ($(awk -v l="$lines" -v s="$secs" 'BEGIN {printf "%.0f", l/s}') lines/s), CPU (user + system) ${cpu} s, runs: ${all}; peak RSS $((rss / 1024)) MiB"
  eval "secs_$threads=$secs"
done
awk -v a="$secs_1" -v b="$secs_2" 'BEGIN {printf "speed-up with 2 threads: %.2f×\n", a/b}'
