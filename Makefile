# Makefile — builds convscope, installs its Debian dependencies, runs tests, sanitizers and benchmarks.
# `make run` and `make test` are the two set-up commands; see README.md.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
OPT      ?= -O2
SANITIZE ?=

VERSION  := 0.1.0
PKGS     := openblas libprotobuf-c libzip zlib stb jansson hdf5 libpcre2-8
ONNX_PROTO ?= /usr/include/onnx/onnx.proto

# Debian packages the build and the tests need (python3-torch, -torchvision and -onnx make the zoo of tests/zoo/).
DEB_PKGS := gcc make pkg-config protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata \
	        libopenblas-dev libzip-dev zlib1g-dev libstb-dev libncurses-dev libreadline-dev \
	        libhdf5-dev libjansson-dev libseccomp-dev dataset-fashion-mnist tmux libdnnl-dev \
	        python3-torch python3-torchvision python3-onnx libpcre2-dev
FUZZ_DEB_PKGS := clang libclang-rt-14-dev
SAMPLE_DEB_PKGS := python3-torch python3-numpy python3-protobuf python3-h5py python3-onnx protobuf-compiler

CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g $(OPT) -Wall -Wextra -Werror \
	           -I$(BUILD)/proto -Isrc $(SANITIZE)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TUI_PKGS   := ncursesw readline
TUI_CFLAGS  = $(filter-out -D_XOPEN_SOURCE=% -D_DEFAULT_SOURCE,$(shell pkg-config --cflags $(TUI_PKGS) 2>/dev/null)) \
	      -D_XOPEN_SOURCE=700 -D_XOPEN_SOURCE_EXTENDED -DCS_PREFIX='"$(PREFIX)"'
LDLIBS     = $(PKG_LIBS) $(shell pkg-config --libs $(TUI_PKGS) 2>/dev/null) -ldnnl -lgomp -lseccomp -lm -lpthread

ENGINE_SRC := $(sort $(wildcard src/engine/*.c src/engine/*/*.c))
CLI_SRC    := $(sort $(wildcard src/cli/*.c))
TUI_SRC    := $(sort $(wildcard src/tui/*.c))
MAIN_SRC   := src/main.c
PROTO_GEN  := $(BUILD)/proto/onnx.pb-c.c
PROTO_HDR  := $(BUILD)/proto/onnx.pb-c.h

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/proto/onnx.pb-c.o

# CoreML schema (proto/coreml/*.proto) compiled by protoc-c into $(BUILD)/proto/coreml/.
COREML_PROTOS := $(sort $(wildcard proto/coreml/*.proto))
COREML_GEN    := $(COREML_PROTOS:proto/coreml/%.proto=$(BUILD)/proto/coreml/%.pb-c.c)
COREML_HDR    := $(COREML_GEN:.c=.h)
COREML_OBJ    := $(COREML_PROTOS:proto/coreml/%.proto=$(BUILD)/obj/proto/coreml/%.pb-c.o)
ENGINE_OBJ    += $(COREML_OBJ)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TUI_OBJ    := $(TUI_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ   := $(BUILD)/obj/src/main.o
TEST_SRC   := $(sort $(wildcard tests/unit/*.c))
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

BIN      := $(BUILD)/convscope
TEST_BIN := $(BUILD)/unit_tests

.PHONY: fuzz fuzz-build fuzz-targets
.PHONY: all deps sample-deps run run-fault test check asan bench install uninstall clean samples conformance-report zoo

all: $(BIN)

deps:
	@./tools/deps.sh $(DEB_PKGS)

sample-deps:
	@./tools/deps.sh $(SAMPLE_DEB_PKGS)

$(PROTO_GEN) $(PROTO_HDR): $(ONNX_PROTO)
	@mkdir -p $(BUILD)/proto
	cp $(ONNX_PROTO) $(BUILD)/proto/onnx.proto
	cd $(BUILD)/proto && protoc-c --c_out=. onnx.proto

$(BUILD)/obj/proto/onnx.pb-c.o: $(PROTO_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/proto/coreml/.stamp: $(COREML_PROTOS)
	@mkdir -p $(BUILD)/proto/coreml
	protoc-c --proto_path=proto/coreml --c_out=$(BUILD)/proto/coreml $(COREML_PROTOS)
	@touch $@

$(COREML_GEN) $(COREML_HDR): $(BUILD)/proto/coreml/.stamp

$(BUILD)/obj/proto/coreml/%.pb-c.o: $(BUILD)/proto/coreml/%.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/obj/%.o: %.c $(PROTO_HDR) $(COREML_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(TUI_OBJ): PKG_CFLAGS += $(TUI_CFLAGS)

# The hot element-wise, pooling and convolution loops: gcc 12 -O2 only vectorises loops whose trip count is
# a known multiple of the vector width; these files get the cost-model vectoriser (measured: Relu ~15x faster).
VEC_OBJ := $(addprefix $(BUILD)/obj/src/engine/ops/,activation.o elementwise.o pool.o conv_core.o norm.o vecmath.o)
VEC_OBJ += $(BUILD)/obj/src/engine/exec_layout.o
$(VEC_OBJ): CFLAGS_BASE += -ftree-vectorize $(if $(findstring clang,$(CC)),,-fvect-cost-model=dynamic)

$(BIN): $(ENGINE_OBJ) $(CLI_OBJ) $(TUI_OBJ) $(MAIN_OBJ)
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)

$(TEST_BIN): $(ENGINE_OBJ) $(TEST_OBJ)
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Opens the explorer on the bundled pair (PyTorch LeNet-5 and its ONNX export) with a bundled image.
run: deps $(BIN)
	./$(BIN) samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --input samples/lenet5/images/0_tshirt.png

# The same model with a planted fault: pool2 rounds its output size down in the ONNX copy (a shape change).
run-fault: deps $(BIN)
	./$(BIN) samples/faults/lenet5s.pt samples/faults/lenet5s_pool2_floor.onnx --input samples/lenet5/images/9_ankle_boot.png

test: deps
	$(MAKE) -j2 $(BIN) $(TEST_BIN)
	./tests/run.sh $(BUILD)

check: test

asan: deps
	$(MAKE) -j2 BUILD=build/asan OPT=-O1 SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" build/asan/convscope build/asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 ./tests/run.sh build/asan

# The zoo of real-size torchvision models and planted faults the diff is judged on (tests/zoo/zoo.sh);
# generated, never committed. ZOO_DIR=/elsewhere make zoo writes it elsewhere.
ZOO_DIR ?= build/zoo
zoo: deps
	nice -n 10 /usr/bin/python3 tools/zoo/make_zoo.py $(ZOO_DIR)

# libFuzzer targets (tests/fuzz/fuzz_*.c) over the engine built with clang, ASan and UBSan into build/fuzz;
# `make fuzz FUZZ_SECONDS=N` runs each for N seconds and fails on any crash, leak, timeout or memory blow-up.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_NAMES   := $(filter-out fuzz_common,$(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
                -Wno-target-clones-mixed-specifiers
fuzz-build: deps
	@./tools/deps.sh $(FUZZ_DEB_PKGS)
	$(MAKE) -j2 BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 SANITIZE="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-targets
fuzz: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
fuzz-targets: $(FUZZ_NAMES:%=$(BUILD)/%)
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c $(wildcard tests/fuzz/*.h) $(ENGINE_OBJ)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -Itests/fuzz -Wno-unused-function -fsanitize=fuzzer -o $@ $< \
		tests/fuzz/fuzz_common.c $(ENGINE_OBJ) $(LDLIBS)

# Quantized torchvision MobileNetV2 and ResNet-18 (FBGEMM recipe and QNNPACK) with torch's int8 outputs, checked by
# the unit test torchscript_quantized_zoo_matches_torch_int8 when present.
.PHONY: zoo-quant
zoo-quant:
	nice -n 10 /usr/bin/python3 tests/fixtures/make_quant_fixtures.py $(ZOO_DIR)/quant --zoo

# Traced torchvision detection models (SSDlite, Faster R-CNN, FCOS, RetinaNet, Mask/Keypoint R-CNN) run by convscope
# against torch's boxes, scores and labels (tools/detection_check.py; several minutes, models written to ZOO_DIR).
.PHONY: detection-check
detection-check: $(BIN)
	nice -n 10 /usr/bin/python3 tools/detection_check.py $(ZOO_DIR)/detection $(BIN)

ONNX_TESTDATA := /usr/share/libonnx-testdata/data
conformance-report: deps $(BIN)
	./$(BIN) conform $(ONNX_TESTDATA)/node $(ONNX_TESTDATA)/pytorch-converted $(ONNX_TESTDATA)/pytorch-operator \
		$(ONNX_TESTDATA)/simple --skip-list tests/conformance/skip.txt --tolerances tests/conformance/tolerances.txt \
		--report tests/conformance/REPORT.md | tail -n 1

bench: deps $(BIN)
	./tests/bench.sh $(BUILD)

# The bundled samples (models, images, faults; not their generator scripts) go to PREFIX/share/convscope/samples,
# where an installed convscope with no arguments finds them.
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/convscope/samples
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/convscope
	install -m 644 man/convscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/convscope.1
	cd samples && find . -type f ! -name '*.py' -exec install -D -m 644 {} $(DESTDIR)$(PREFIX)/share/convscope/samples/{} \;

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/convscope $(DESTDIR)$(PREFIX)/share/man/man1/convscope.1
	rm -rf $(DESTDIR)$(PREFIX)/share/convscope

samples: sample-deps
	/usr/bin/python3 samples/make_samples.py
	/usr/bin/python3 samples/make_coreml.py
	/usr/bin/python3 samples/make_faults.py
	/usr/bin/python3 samples/make_faults_extra.py
	/usr/bin/python3 samples/make_faults_cause.py

clean:
	rm -rf build
