#!/usr/bin/env bash
# Runs a small synthetic experiment through the real sbatch, once as a 2-task job array
# (`runner slurm NAME --array 2 --submit --wait`) and once as 2 srun workers sharing the
# store, and checks that both give the results of one unsharded run: every cell's metrics
# (timing columns aside), how it ended, and the summary. Needs a running cluster
# (ci/slurm/start.sh) and a built runner (default target/release/runner).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
runner=${RUNNER:-$repo/target/release/runner}
[ -x "$runner" ] || { echo "no runner binary at $runner (cargo build --release -p runner)" >&2; exit 1; }
work=$(mktemp -d /tmp/runner-slurm-test.XXXXXX)
name=cluster

experiment() {
  mkdir -p "$1/experiments"
  cat > "$1/experiments/$name.toml" <<'TOML'
description = "Slurm test"
seed = 7
seeds = 2
iterations = 15
checkpoint_every = 5
targets = [0.5]

[dataset]
name = "synthetic"
synthetic = { samples = 1000, features = 10, classes = 3, separation = 0.8, test_samples = 200 }

[network]
hidden = [32]
init = { kind = "kaiming_normal" }

[[optimizers]]
name = "adam"
batch_size = 50
lr = 0.005

[[optimizers]]
name = "sgd"
batch_size = 50
lr = 0.05
momentum = 0.9
TOML
}

# A CSV file without the columns named in $2 (comma-separated; `name*` drops a prefix).
drop_columns() {
  awk -F, -v drop="$2" '
    NR == 1 { n = split(drop, d, ","); for (i = 1; i <= NF; i++) { keep[i] = 1
                for (j = 1; j <= n; j++) { p = d[j]; sub(/\*$/, "", p)
                  if ($i == d[j] || (d[j] ~ /\*$/ && index($i, p) == 1)) keep[i] = 0 } } }
    { line = ""; for (i = 1; i <= NF; i++) if (keep[i]) line = line (line == "" ? "" : ",") $i; print line }' "$1"
}

# Every cell of results directory $2 equals the reference's; $1 says which run it was.
compare() {
  local what=$1 dir=$2 ref=$work/ref/results/$name cells=0
  for cell in "$ref"/*/; do
    id=$(basename "$cell")
    [ -f "$dir/$id/status.json" ] || { echo "$what: cell $id did not finish" >&2; exit 1; }
    diff <(drop_columns "$cell/metrics.csv" update_seconds,cumulative_seconds) \
         <(drop_columns "$dir/$id/metrics.csv" update_seconds,cumulative_seconds) >/dev/null \
      || { echo "$what: metrics of cell $id differ from the unsharded run" >&2; exit 1; }
    for key in status next_iteration; do
      [ "$(grep -o "\"$key\": *[^,}]*" "$cell/status.json")" = "$(grep -o "\"$key\": *[^,}]*" "$dir/$id/status.json")" ] \
        || { echo "$what: $key of cell $id differs" >&2; exit 1; }
    done
    runs=$(grep -c '"event":"started"' "$dir/$id/runs.jsonl")
    [ "$runs" = 1 ] || { echo "$what: cell $id ran $runs times" >&2; exit 1; }
    cells=$((cells + 1))
  done
  [ "$cells" = 4 ] || { echo "$what: expected 4 cells in the reference, found $cells" >&2; exit 1; }
  [ -f "$dir/summary.csv" ] || { echo "$what: no summary.csv (the summary step did not run)" >&2; exit 1; }
  diff <(drop_columns "$ref/summary.csv" 'seconds_per_iteration,seconds_to_*') \
       <(drop_columns "$dir/summary.csv" 'seconds_per_iteration,seconds_to_*') \
    || { echo "$what: summary.csv differs from the unsharded run" >&2; exit 1; }
  echo "$what: $cells cells and the summary equal the unsharded run"
}

show_logs() { for f in "$1"/slurm/*.out; do echo "---- $f"; cat "$f"; done >&2; }

experiment "$work/ref"
"$runner" --root "$work/ref" exp "$name" --threads 1 >/dev/null 2>&1

# A job array over 2 shards, then the summary job after it.
experiment "$work/array"
"$runner" --root "$work/array" slurm "$name" --array 2 --cpus-per-task 1 --time 10:00 --submit --wait \
  || { show_logs "$work/array/results/$name"; exit 1; }
for k in 1 2; do
  grep -q "shard $k/2" "$work/array/results/$name"/slurm/"$name"-*_"$k".out \
    || { echo "array: no log of task $k running shard $k/2" >&2; show_logs "$work/array/results/$name"; exit 1; }
done
compare array "$work/array/results/$name"

# 2 workers in one job, sharing the store through claims.
experiment "$work/workers"
"$runner" --root "$work/workers" slurm "$name" --workers 2 --cpus-per-task 1 --time 10:00 --submit --wait \
  || { show_logs "$work/workers/results/$name"; exit 1; }
compare workers "$work/workers/results/$name"
"$runner" --root "$work/workers" status "$name" | tail -n 1

rm -rf "$work"
