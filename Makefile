# The two commands a new user needs (see README.md):
#   make demo   set up, build, and run the whole pipeline on the renpy
#               illustrations that Debian installs
#   make test   set up, vet and run every test
GO ?= go
BIN := bin
DEMO := demo
RENPY := /usr/share/games/renpy

.PHONY: all setup build test demo bench bench-crop clean

all: build

setup:
	bash .ci/setup

build:
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./crop ./train ./tools

test: setup
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...

demo: setup build
	mkdir -p $(DEMO)
	$(BIN)/crop --in $(RENPY) --out $(DEMO)/faces
	$(BIN)/tools montage --shards $(DEMO)/faces --first --n 64 --out $(DEMO)/faces.png
	$(BIN)/tools stats --shards $(DEMO)/faces

clean:
	rm -rf $(BIN) $(DEMO)

# Times crop against a plain Python + OpenCV loop and the detection floor
# on the renpy illustrations (needs python3-opencv); see crop/bench/run.sh.
bench-crop:
	bash crop/bench/run.sh
