#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md on this machine, side by side in one run:
#   1. criterion: in-process cost per request (benches/overhead.rs);
#   2. heap allocations per request on the request's thread (benches/stacks.rs alloc);
#   3. valgrind callgrind: instructions per request over all threads;
#   4. wrk over loopback: requests/s and p99 latency for GET / and a 404 probe path,
#      server and load generator pinned to different cores, stacks interleaved,
#      several rounds, medians;
#   5. scaling with cores (benches/scaling.rs): requests/s with 1 and 2 server
#      threads under concurrent clients, bare / RequestLog / full stack.
# Stacks: bare axum, RequestLog alone, the full stack (UserActions + ProbeDetector +
# RequestLog) in one Router::layer, the same around the whole router with RouteHook
# on the handlers (`outside`), TraceLayer with a JSON subscriber on a non-blocking
# writer.
#
# Usage: scripts/bench.sh            full run (about 10 minutes on 2 cores);
#                                    ROUNDS=3 DUR=5s shorten the wrk part
#        QUICK=1 scripts/bench.sh    smoke run for CI: everything builds and runs once,
#                                    nothing is timed seriously
# Needs: valgrind, wrk, taskset (util-linux). Results: target/bench/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${QUICK:-0}
OUT=target/bench
mkdir -p "$OUT"
RESULTS=$OUT/results.md
STACKS=(bare reqlog full outside trace)
need() { command -v "$1" >/dev/null || { echo "bench.sh: $1 not found (Debian package $2)"; exit 1; }; }
need valgrind valgrind
need wrk wrk
need taskset util-linux

echo "# reqlog benchmark run, $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$RESULTS"
echo "" >> "$RESULTS"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), rustc $(rustc --version | cut -d' ' -f2)" >> "$RESULTS"

# The stacks binary (a harness-less bench target), built once in release mode.
cargo bench --bench stacks --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="stacks" and m.get("executable"):
        print(m["executable"])' > "$OUT/stacks.path"
STACKS_BIN=$(cat "$OUT/stacks.path")
[ -x "$STACKS_BIN" ] || { echo "bench.sh: could not build benches/stacks.rs"; exit 1; }

echo "== 1. criterion (cargo bench --bench overhead)"
if [ "$QUICK" = 1 ]; then
  cargo bench --bench overhead -- --test
else
  cargo bench --bench overhead -- --noplot 2>&1 | tee "$OUT/criterion.txt"
  python3 - "$OUT/criterion.txt" >> "$RESULTS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print()
print("## In-process cost per request (criterion, median estimate)")
print()
print("| stack | time per request |")
print("| --- | --- |")
for name, mid, unit in re.findall(r"per_request/(\w+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) ", text):
    print(f"| {name} | {mid} {unit} |")
PY
fi

echo "== 2. allocations per request"
"$STACKS_BIN" alloc | tee "$OUT/alloc.tsv"
{
  echo ""
  echo "## Heap allocations per request on the request's thread (counting allocator)"
  echo ""
  echo "| stack | allocations | added to bare |"
  echo "| --- | --- | --- |"
  awk -F'\t' 'NR==1{next} NR==2{base=$2} {printf "| %s | %s | %+.3f |\n", $1, $2, $2-base}' "$OUT/alloc.tsv"
} >> "$RESULTS"

echo "== 3. callgrind instructions per request"
N=$([ "$QUICK" = 1 ] && echo 50 || echo 5000)
# STACKS_FLUSH_EVERY=64: let reqlog's writer catch up every 64 requests, as its 50 ms
# tick does on a server (valgrind runs one thread at a time; without the waits the
# writer may hardly run, and requests that find no spare record format on their own
# thread). Threads separately: thread 1 serves the requests, the others are writers.
instructions() { # stack requests -> "all-threads request-thread" instructions
  local f="$OUT/callgrind.$1.$2"
  rm -f "$f" "$f"-*
  STACKS_FLUSH_EVERY=64 valgrind --tool=callgrind --callgrind-out-file="$f" --separate-threads=yes \
    "$STACKS_BIN" run "$1" "$2" >/dev/null 2>&1
  local all=0 main=0 v
  for t in "$f"-*; do
    v=$(awk '/^(summary|totals):/ {print $2; exit}' "$t")
    all=$((all + v))
    case "$t" in *-01) main=$v ;; esac
  done
  echo "$all $main"
}
{
  echo ""
  echo "## Instructions per request (valgrind callgrind, $((N + 1)) requests minus a 1-request run, divided by $N)"
  echo ""
  echo "| stack | all threads | added to bare | ratio to TraceLayer's addition | request thread | added to bare | ratio |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} >> "$RESULTS"
declare -A IPR RPR
for s in "${STACKS[@]}"; do
  # One request in both runs, so lazily built state (the probe automaton) is not
  # counted as per-request cost.
  read -r zero_all zero_main < <(instructions "$s" 1)
  read -r full_all full_main < <(instructions "$s" $((N + 1)))
  IPR[$s]=$(( (full_all - zero_all) / N ))
  RPR[$s]=$(( (full_main - zero_main) / N ))
  echo "$s: ${IPR[$s]} instructions per request, ${RPR[$s]} on the request thread"
done
for s in "${STACKS[@]}"; do
  add=$(( IPR[$s] - IPR[bare] )); trace_add=$(( IPR[trace] - IPR[bare] ))
  radd=$(( RPR[$s] - RPR[bare] )); rtrace_add=$(( RPR[trace] - RPR[bare] ))
  ratio=$(python3 -c "print(f'{$add/$trace_add:.3f}' if $trace_add else '-')")
  rratio=$(python3 -c "print(f'{$radd/$rtrace_add:.3f}' if $rtrace_add else '-')")
  echo "| $s | ${IPR[$s]} | $add | $ratio | ${RPR[$s]} | $radd | $rratio |" >> "$RESULTS"
done

echo "== 4. wrk over loopback"
ROUNDS=${ROUNDS:-$([ "$QUICK" = 1 ] && echo 1 || echo 5)}
DUR=${DUR:-$([ "$QUICK" = 1 ] && echo 1s || echo 10s)}
PORT=${BENCH_PORT:-18080}
: > "$OUT/wrk.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for s in "${STACKS[@]}"; do
    taskset -c 0 "$STACKS_BIN" serve "$s" "127.0.0.1:$PORT" 2>/dev/null &
    pid=$!
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
    for path in / /wp-login.php; do
      out=$(taskset -c 1 wrk -t1 -c32 -d"$DUR" --latency "http://127.0.0.1:$PORT$path")
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      p99=$(echo "$out" | awk '$1=="99%" {print $2}')
      printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$s" "$path" "$rps" "$p99" >> "$OUT/wrk.tsv"
      echo "round $round $s $path: $rps req/s, p99 $p99"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
python3 - "$OUT/wrk.tsv" >> "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def ms(v):
    v = v.strip()
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float("nan")
print()
print(f"## End to end over loopback (wrk -t1 -c32, server on core 0, wrk on core 1, {len(set(r[0] for r in rows))} interleaved rounds, medians)")
print()
print("| stack | path | requests/s | p99 latency | of bare axum's requests/s |")
print("| --- | --- | --- | --- | --- |")
med = {}
for s in ["bare", "reqlog", "full", "outside", "trace"]:
    for p in ["/", "/wp-login.php"]:
        sel = [r for r in rows if r[1] == s and r[2] == p]
        if not sel:
            continue
        rps = statistics.median(float(r[3]) for r in sel)
        p99 = statistics.median(ms(r[4]) for r in sel)
        med[(s, p)] = rps
        base = med.get(("bare", p), rps)
        print(f"| {s} | `{p}` | {rps:,.0f} | {p99:.2f} ms | {100 * rps / base:.1f} % |")
PY
echo "== 5. scaling with cores (cargo bench --bench scaling)"
SCALING_SECS=$([ "$QUICK" = 1 ] && echo 1 || echo 5)
SCALING_ROUNDS=$([ "$QUICK" = 1 ] && echo 1 || echo "${SCALING_ROUNDS:-3}") \
  cargo bench --bench scaling -- "$SCALING_SECS" | tee "$OUT/scaling.tsv"
{
  echo ""
  echo "## Scaling with cores (benches/scaling.rs, loopback, clients on the same machine)"
  echo ""
  grep '^#' "$OUT/scaling.tsv" | sed 's/^# /- /'
  echo ""
  echo "| server threads | stack | requests/s | of bare | gain from a 2nd thread |"
  echo "| --- | --- | --- | --- | --- |"
  grep -v '^#' "$OUT/scaling.tsv" | awk -F'\t' 'NR>1 {printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
} >> "$RESULTS"

echo ""
echo "Results in $RESULTS"
cat "$RESULTS"
