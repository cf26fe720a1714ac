# onega: one static binary.  `make` builds ./onega with musl; STATIC=0 CC=cc
# gives a glibc debug build, SAN=1 adds ASan+UBSan (with STATIC=0).
# cJSON is not in the tree: it comes from Debian's source package into
# build/ (CJSON_SRC=DIR takes a directory holding cJSON.c and cJSON.h).

STATIC	?= 1
SAN	?= 0
ifeq ($(STATIC),1)
CC	:= musl-gcc
endif
B	:= build/$(if $(filter 1,$(STATIC)),musl,dev$(if $(filter 1,$(SAN)),-san))
CJSON_SRC ?= build/cjson-src
SPICE_INC ?= /usr/include/spice-1
KINC	:= build/kinc

SRCS	:= $(sort $(wildcard *.c proto/*.c verbs/*.c))
OBJS	:= $(SRCS:%.c=$(B)/%.o) $(B)/cJSON.o

WARN	:= -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wsign-compare \
	   -Wformat=2
DEFS	:= -D_GNU_SOURCE -DCJSON_NESTING_LIMIT=1100
INCS	:= -I$(CJSON_SRC) -I$(SPICE_INC) -isystem $(KINC)
REPRO	:= -ffile-prefix-map=$(CURDIR)=.
ifeq ($(STATIC),1)
CFLAGS	?= -Os -flto -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
LDFLAGS	?= -static -flto=auto -Os -Wl,--gc-sections -s -Wl,-z,noseparate-code -Wl,--build-id=none
else ifeq ($(SAN),1)
CFLAGS	?= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS	?= -fsanitize=address,undefined
else
CFLAGS	?= -O1 -g
LDFLAGS	?=
endif
OUT	?= $(if $(filter 1,$(STATIC)),onega,$(B)/onega)
SIZE_MAX_BYTES := 262144

.PHONY: all test bench demo fuzz size clean distclean setup

all: $(OUT)

$(OUT): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS)

$(B)/%.o: %.c $(wildcard *.h proto/*.h verbs/*.h) | $(CJSON_SRC)/cJSON.h $(KINC)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INCS) $(REPRO) $(CFLAGS) -c -o $@ $<

# cJSON's own code: its warnings are not ours to fix.
$(B)/cJSON.o: $(CJSON_SRC)/cJSON.c | $(CJSON_SRC)/cJSON.h
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(DEFS) $(REPRO) $(CFLAGS) -w -c -o $@ $<

# Debian's source package, through a private sources list and state dir so
# the system's apt configuration is untouched.
APT_DIR	:= build/apt
APT_OPTS = -o Dir::Etc::SourceList=$(CURDIR)/$(APT_DIR)/sources.list \
	-o Dir::Etc::SourceParts=/nonexistent \
	-o Dir::State::Lists=$(CURDIR)/$(APT_DIR)/lists \
	-o Dir::Cache=$(CURDIR)/$(APT_DIR)/cache -o Debug::NoLocking=1
build/cjson-src/cJSON.h build/cjson-src/cJSON.c:
	@mkdir -p $(APT_DIR)/lists/partial $(APT_DIR)/cache/archives/partial build/cjson-dl
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" > $(APT_DIR)/sources.list
	apt-get $(APT_OPTS) -qq update
	cd build/cjson-dl && apt-get $(APT_OPTS) -qq source cjson >/dev/null 2>&1 || \
	    (cd build/cjson-dl && apt-get $(APT_OPTS) source cjson)
	rm -rf build/cjson-src && mv build/cjson-dl/cjson-*/ build/cjson-src
	rm -rf build/cjson-dl
	touch build/cjson-src/cJSON.h build/cjson-src/cJSON.c

# musl-gcc does not search /usr/include: give it the kernel's uapi headers.
$(KINC):
	@mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/asm-generic $@/asm-generic
	ln -sfn /usr/include/$$(gcc -dumpmachine)/asm $@/asm
	ln -sfn /usr/include/mtd $@/mtd

setup:
	sh tests/setup.sh

test: setup
	sh tests/run

bench: setup $(OUT)
	/usr/bin/python3 bench/run.py

demo: setup
	sh tests/demo

size: $(OUT)
	@s=$$(stat -c %s $(OUT)); echo "$(OUT): $$s bytes (budget $(SIZE_MAX_BYTES))"; \
	    test $$s -le $(SIZE_MAX_BYTES)

FUZZ_CC	?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(DEFS) $(INCS) \
	-DQGA_BIG_MIN=8
FUZZERS	:= $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_OBJS := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out agent.c,$(SRCS)) \
	tests/unit/stubs.c) build/fuzz/obj/cJSON.o

fuzz: $(FUZZERS)

build/fuzz/obj/%.o: %.c $(wildcard *.h proto/*.h verbs/*.h) | $(CJSON_SRC)/cJSON.h $(KINC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

build/fuzz/obj/cJSON.o: $(CJSON_SRC)/cJSON.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -w -c -o $@ $<

build/fuzz/%: fuzz/%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS)

clean:
	rm -rf build/musl build/dev build/dev-san build/fuzz build/unit onega

distclean:
	rm -rf build onega
