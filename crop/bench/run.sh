#!/usr/bin/env bash
# Crop benchmark: on the same illustrations, in one go, times
#   crop   bin/crop (all cores, one OpenCV thread per worker)
#   python a plain Python + OpenCV loop: read, detect, crop, resize, write
#   floor  detection alone (read, gray, equalise, detect), one Python
#          process per core with one OpenCV thread each
# each REPEAT times, interleaved, and reports the fastest of each, the
# ratios to the floor, and whether all three found the same boxes.
#
# usage: crop/bench/run.sh [DIR] (default /usr/share/games/renpy)
# env:   MIN_FACE (default 24, the reference setting), REPEAT (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
in=${1:-/usr/share/games/renpy}
export MIN_FACE=${MIN_FACE:-24} CASCADE=cascades/lbpcascade_animeface.xml
repeat=${REPEAT:-3}
work=.bench/crop
py=/usr/bin/python3 # Debian's, with python3-opencv

if ! $py -c "import cv2" 2>/dev/null; then
	echo "the benchmark needs Debian's python3-opencv: apt-get install python3-opencv" >&2
	exit 1
fi
bash cascades/fetch.sh >/dev/null
go build -o bin/crop ./crop
mkdir -p "$work"

# Each timing is "wall user+sys" in seconds; on a busy machine the CPU
# seconds are the steadier figure.
TIMEFORMAT='%R %U %S'
timed() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{print $1, $2 + $3}'; }
best() { sort -g | head -1; }
declare -A wall cpu
for ((r = 1; r <= repeat; r++)); do
	rm -rf "$work/crop" "$work/py"
	for k in crop python floor; do
		case $k in
		crop) t=$(timed bin/crop --in "$in" --out "$work/crop" --min-face "$MIN_FACE") ;;
		python) t=$(timed $py crop/bench/pyloop.py loop "$in" "$work/py" "$work/py.json") ;;
		floor) t=$(timed $py crop/bench/pyloop.py floor "$in" "$work/floor.json") ;;
		esac
		wall[$k]+="${t% *} "
		cpu[$k]+="${t#* } "
		echo "run $r: $k ${t% *} s wall, ${t#* } s CPU" >&2
	done
done

$py crop/bench/shardboxes.py "$work/crop" >"$work/crop.json"
min() { tr ' ' '\n' <<<"$1" | grep . | best; }
fw=$(min "${wall[floor]}") fc=$(min "${cpu[floor]}")
echo "illustrations: $in ($(nproc) cores, min face $MIN_FACE, best of $repeat)"
echo "        wall s   x floor   CPU s   x floor"
for k in crop python floor; do
	w=$(min "${wall[$k]}") c=$(min "${cpu[$k]}")
	awk -v k="$k" -v w="$w" -v c="$c" -v fw="$fw" -v fc="$fc" \
		'BEGIN { printf "%-7s %7.2f %8.3f %8.2f %8.3f\n", k, w, w / fw, c, c / fc }'
done
$py - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def load(name):
    return {k: sorted(map(tuple, v)) for k, v in json.load(open(f"{w}/{name}.json")).items()}
c, p, f = load("crop"), load("py"), load("floor")
n = sum(map(len, c.values()))
same = c == p == f
print(f"boxes: crop {n}, python {sum(map(len, p.values()))}, floor {sum(map(len, f.values()))}:",
      "identical" if same else "DIFFERENT")
sys.exit(0 if same else 1)
PY
