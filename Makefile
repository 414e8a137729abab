# The two commands a new user needs (see README.md):
#   make demo   set up, build, and run the whole pipeline on the renpy
#               illustrations that Debian installs
#   make test   set up, vet and run every test
# Go as the official archive installs it, in case the PATH lacks it.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin
DEMO := demo
RENPY := /usr/share/games/renpy

.PHONY: all setup build test demo bench bench-crop bench-train bench-tools bench-nn clean

all: build

setup:
	bash .ci/setup

build:
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./crop ./train ./tools

test: setup
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...
	# gocv counts open Mats only when built with this tag: check none leaks.
	$(GO) test -tags matprofile -run NoMatLeak ./internal/face

demo: setup build
	mkdir -p $(DEMO)
	$(BIN)/crop --in $(RENPY) --out $(DEMO)/faces
	$(BIN)/tools montage --shards $(DEMO)/faces --first --n 64 --out $(DEMO)/faces.png
	$(BIN)/tools stats --shards $(DEMO)/faces
	# A small GAN on the cropped faces: 1000 steps, about a minute and a half
	# on 2 cores. Rerunning resumes the run, which is then already done.
	$(BIN)/train --shards $(DEMO)/faces --out $(DEMO)/run --size 32 --width 32 \
		--batch 16 --steps 1000 --sample-every 250 --checkpoint-every 500 \
		$$(test -f $(DEMO)/run/config.json && echo --resume)
	$(BIN)/tools sample --run $(DEMO)/run --n 64 --seed 1 --out $(DEMO)/samples
	# The training faces nearest to each generated face (demo/report/).
	$(BIN)/tools overfit-report --run $(DEMO)/run --n 10 --out $(DEMO)/report

# The tools' speed targets: the duplicate search over a million hashes
# (target under 30 s) and 64 nearest-neighbour queries against 20,000 faces
# of 64x64 (target under 2 s), with the memory and arithmetic floors.
bench-tools:
	$(GO) test ./internal/dedup -run '^$$' -bench 'PairsMillion/.*-r10' -benchtime 1x
	$(GO) test ./internal/overfit -run '^$$' -bench 'Search|SgemmOnly|MemoryFloor' \
		-benchtime 3x

# Trains the default DCGAN with train and with PyTorch, three rounds of 20
# steps each, and prints both speeds, peak memories and the median ratio
# (STEPS and ROUNDS change them).
bench-train: build
	EXTRA_PACKAGES=python3-torch bash .ci/setup
	STEPS=$${STEPS:-20} ROUNDS=$${ROUNDS:-3} train/bench/bench.sh

# The training operations layer by layer, stock gorgonia against
# internal/nn, at batch 64 (compare with benchstat -col /impl), and one
# training iteration with the nn operations (see README.md, Performance).
bench-nn:
	$(GO) test ./internal/nn -run '^$$' -bench 'Layer|DCGANStep/fast' -benchtime 3x

# Every benchmark, one after the other: run it on an otherwise idle machine.
bench: bench-crop bench-train bench-tools bench-nn

clean:
	rm -rf $(BIN) $(DEMO)

# Times crop against a plain Python + OpenCV loop and the detection floor
# on the renpy illustrations; see crop/bench/run.sh.
bench-crop: build
	EXTRA_PACKAGES=python3-opencv bash .ci/setup
	bash crop/bench/run.sh
