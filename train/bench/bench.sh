#!/usr/bin/env bash
# Trains the default DCGAN for the same number of steps with `train` and with
# PyTorch on the CPU, one after the other, and prints both speeds, their
# ratio and both peak memories (maximum resident set size). With ROUNDS
# above 1 it repeats the pair and also prints the median of the rounds'
# ratios: a shared machine's speed drifts by a fifth within minutes, and
# a ratio of two runs next to each other is steadier than either speed.
#
#   train/bench/bench.sh                  # 5 steps of batch 64 at 64x64
#   STEPS=20 BATCH=64 SIZE=64 train/bench/bench.sh
#   ROUNDS=5 STEPS=20 train/bench/bench.sh
#
# Needs bin/train and bin/tools (make build), python3-torch (make
# bench-train installs it) and the shared faces (../shared or
# $ANIMEFACE_SHARED). FACES may name a shard folder to train on instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

STEPS=${STEPS:-5}
ROUNDS=${ROUNDS:-1}
BATCH=${BATCH:-64}
SIZE=${SIZE:-64}
WIDTH=${WIDTH:-64}
THREADS=${THREADS:-2}
WORK=${WORK:-.bench}
# The shared data: $ANIMEFACE_SHARED, or the first folder named shared
# beside the repository or one of its parents, as the tests find it.
SHARED=${ANIMEFACE_SHARED:-}
dir=$PWD
while [ -z "$SHARED" ] && [ "$dir" != / ]; do
	[ -d "$dir/shared/data" ] && SHARED=$dir/shared
	dir=$(dirname "$dir")
done
mkdir -p "$WORK"

faces=${FACES:-$WORK/faces}
if [ ! -d "$faces" ]; then
	echo "bench: importing the getchu faces into $faces" >&2
	bin/tools import --in "$SHARED/data/faces-getchu-64" --out "$faces" --size 64 >&2
fi

# Peak memory in MiB from GNU time's report.
peak() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

run="$WORK/bench-run"
torch_version=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
ratios=()
printf "%-8s %10s %10s %10s %10s %8s\n" round "train i/s" "train MiB" \
	"torch i/s" "torch MiB" ratio
for round in $(seq "$ROUNDS"); do
	rm -rf "$run"
	echo "bench: round $round of $ROUNDS: train, $STEPS steps of $BATCH at" \
		"${SIZE}x$SIZE, width $WIDTH" >&2
	OPENBLAS_NUM_THREADS=$THREADS GOMAXPROCS=$THREADS \
		/usr/bin/time -v -o "$WORK/train.time" \
		bin/train --shards "$faces" --out "$run" --steps "$STEPS" --batch "$BATCH" \
		--size "$SIZE" --width "$WIDTH" --sample-every 0 --checkpoint-every 0 \
		>"$WORK/train.out" 2>"$WORK/train.err"
	go_ips=$(sed -n 's/.*, \([0-9.]*\) images\/s$/\1/p' "$WORK/train.out")

	echo "bench: round $round of $ROUNDS: PyTorch $torch_version, $THREADS threads" >&2
	/usr/bin/time -v -o "$WORK/torch.time" /usr/bin/python3 train/bench/dcgan.py \
		--steps "$STEPS" --batch "$BATCH" --size "$SIZE" --width "$WIDTH" \
		--threads "$THREADS" >"$WORK/torch.out"
	py_ips=$(/usr/bin/python3 -c \
		'import json, sys; print("%.2f" % json.load(sys.stdin)["images_per_s"])' \
		<"$WORK/torch.out")

	ratio=$(awk -v a="$go_ips" -v b="$py_ips" 'BEGIN { printf "%.2f", a / b }')
	ratios+=("$ratio")
	printf "%-8s %10s %10s %10s %10s %8s\n" "$round" "$go_ips" \
		"$(peak "$WORK/train.time")" "$py_ips" "$(peak "$WORK/torch.time")" "$ratio"
done

median=$(printf "%s\n" "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "ratio train/pytorch: $median (median of $ROUNDS)"
