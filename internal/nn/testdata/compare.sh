#!/bin/sh
# compare.sh runs the Go DCGAN iteration benchmark (stock or fast
# gorgonia operations) and its PyTorch twin in turns, so that both meet
# the same load on a shared machine.
#
#   internal/nn/testdata/compare.sh [rounds] [iterations] [variants]
#
# variants is a benchmark pattern: fast (default), stock, or 'stock|fast'.
set -eu
rounds=${1:-2}
iters=${2:-5}
variants=${3:-fast}
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=$(mktemp -d)/nn.test
trap 'rm -rf "$(dirname "$bin")"' EXIT

cd "$root"
go test -c -o "$bin" ./internal/nn
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	echo "round $r"
	"$bin" -test.run '^$' -test.bench "DCGANStep/($variants)\$" \
		-test.benchtime "${iters}x" | grep '^Benchmark'
	/usr/bin/python3 internal/nn/testdata/dcgan_torch.py "$iters"
	/usr/bin/python3 internal/nn/testdata/dcgan_torch.py "$iters" --reuse-fake
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
