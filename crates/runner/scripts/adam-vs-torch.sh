#!/usr/bin/env bash
# One epoch of Adam (batch 128) on MNIST, 784-1000-1000-10: this project against PyTorch on
# CPU, side by side on the same machine, same threads, alternating rounds.
#
#   PYTHON=/path/to/venv/bin/python DLADMM_DATA=../shared/data bash crates/runner/scripts/adam-vs-torch.sh
#
# Needs torch (from PyPI) and numpy in $PYTHON. Prints each side's median epoch time and the ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-python3}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
data=${DLADMM_DATA:?set DLADMM_DATA to the directory holding mnist/}
cargo build --release -q -p runner --manifest-path "$root/Cargo.toml"
ours=(); theirs=()
for r in $(seq "$rounds"); do
  o=$("$root/target/release/runner" bench --threads "$threads" adam-epoch --epochs 2 --data-dir "$data" | awk '/^seconds_per_epoch/ {print $2}')
  t=$("$python" "$here/torch_adam_epoch.py" --threads "$threads" --epochs 2 --data-dir "$data" | awk '/^seconds_per_epoch/ {print $2}')
  echo "round $r: dladmm-bench $o s, torch $t s"
  ours+=("$o"); theirs+=("$t")
done
"$python" - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
ours = [float(v) for v in sys.argv[1].split()]
theirs = [float(v) for v in sys.argv[2].split()]
mo, mt = statistics.median(ours), statistics.median(theirs)
print(f"median seconds per epoch: dladmm-bench {mo:.3f}, torch {mt:.3f}, ratio ours/torch {mo / mt:.3f}")
PY
