# Mesh for .NET / OG-CLEWS. Every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
CONFIG ?= Release
DOTNET := DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 dotnet

.PHONY: all deps build demo example serve test test-dotnet test-python test-native bench bench-smoke clean

all: build

deps:
	@scripts/install-deps.sh

NATIVE_BUILD := kernels/native/glpk/build

build: deps
	@scripts/python-env.sh >/dev/null
	cmake -S kernels/native/glpk -B $(NATIVE_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(NATIVE_BUILD) -j2 >/dev/null
	$(DOTNET) build OgClews.sln -c $(CONFIG) -nologo -v q

# The main job: the coupled OG-CLEWS demo (embedded data, GLPK, CLEWS ETL, OG macro model) to runs/demo.
demo: build
	$(DOTNET) OgClews.Cli/bin/$(CONFIG)/net10.0/ogclews.dll converge --scenario demo --out runs/demo --overwrite $(DEMO_ARGS)

# The toolkit example: a .NET kernel started by the KernelManager and called from a console driver.
example: build
	$(DOTNET) examples/Mesh.Examples.Driver/bin/$(CONFIG)/net10.0/Mesh.Examples.Driver.dll

# The run service and dashboard on http://127.0.0.1:5080 (runs and database in runs/server/); SERVE_ARGS adds options.
serve: build
	$(DOTNET) OgClews.Server/bin/$(CONFIG)/net10.0/ogclews-server.dll --data runs/server $(SERVE_ARGS)

# Every test suite.
test: build test-dotnet test-python test-native bench-smoke

test-dotnet:
	$(DOTNET) test OgClews.sln -c $(CONFIG) --no-build -nologo -m:1

test-python:
	cd kernels/python && /usr/bin/python3 -m pytest -q -p no:cacheprovider

# The C kernel's own tests, including the valgrind runs (no invalid access, no leak per task).
test-native:
	ctest --test-dir $(NATIVE_BUILD) --output-on-failure

# Benchmarks against the alternatives (docs/performance.md): table on stdout, CSV + SVG in docs/bench/.
bench: build
	CONFIG=$(CONFIG) scripts/bench.sh $(BENCH_ARGS)

# Every bench case once, no figures kept: checks that the benchmarks still run (part of `make test`).
bench-smoke: build
	CONFIG=$(CONFIG) scripts/bench.sh --smoke

clean:
	$(DOTNET) clean OgClews.sln -nologo -v q
