# sqlite-slatedb: SlateDB 0.12.1 in C, as a loadable SQLite extension.
#   make          build ./slatedb.so
#   make demo     build and run a short SQL session on a local-directory database
#   make test     every test (c-tests, fuzz regression, sql-tests, live interop)
#   make asan     the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz     build libFuzzer targets (clang) into build/fuzz/
#   make bench    side-by-side benchmark: this project, SlateDB 0.12.1, native SQLite
#   make difftest differential run against SlateDB 0.12.1 and a model (SEED= STEPS= TIME= EXCLUDE= REPLAY= S3=1 FAULTS=)
#   make install  install slatedb.so and the docs under PREFIX (default /usr/local), DESTDIR for staging; make uninstall

CC      ?= cc
SO      ?= slatedb.so
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -fPIC $(OPT) $(SAN) \
           -Icore -pthread
# The extension loads libcurl, libcrypto (store/curlapi.c, store/sigv4.c) and
# libsnappy (table/compress.c) itself when first needed; tests and fuzz
# targets link them (some call libcurl directly).
SO_LIBS := -llz4 -lzstd -lz -lxxhash -lpthread -lm
LIBS    := -lcurl -lssl -lcrypto -lsnappy $(SO_LIBS)

CORE_SRC := $(sort $(wildcard core/*/*.c))
EXT_SRC  := $(sort $(wildcard ext/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
EXT_OBJ  := $(EXT_SRC:%.c=$(BUILD)/%.o)
CTEST_SRC := $(sort $(wildcard c-tests/t_*.c))
CTEST_BIN := $(CTEST_SRC:c-tests/%.c=$(BUILD)/c-tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz-replay/%)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzzing/%.o)

.PHONY: all demo test asan fuzz bench clean check-deps ctests difftest install uninstall FORCE
.SECONDARY: $(BUILD)/fuzz/replay_main.o
all: check-deps $(SO)

check-deps:
	@sh scripts/deps.sh

# Only sqlite3_slatedb_init is exported (ext/slatedb.map).
$(SO): $(CORE_OBJ) $(EXT_OBJ) ext/slatedb.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(CFLAGS) -Wl,--version-script=ext/slatedb.map -o $@ $(CORE_OBJ) $(EXT_OBJ) $(SO_LIBS)

# The list of core objects, rewritten only when it changes (a source added or
# deleted), so that the archives never keep the object of a deleted source.
$(BUILD)/core-objects.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CORE_OBJ)' | cmp -s - $@ || echo '$(CORE_OBJ)' > $@

$(BUILD)/libsdbcore.a: $(CORE_OBJ) $(BUILD)/core-objects.list
	@rm -f $@
	ar rcs $@ $(CORE_OBJ)

# -MMD -MP: each object's header dependencies go to a .d file beside it. The
# .d is a prerequisite too, with an empty rule (at the end): an object without
# one (built before, or after a crash) is rebuilt instead of trusted; the
# touch keeps the object newer than the .d the compiler wrote beside it.
$(BUILD)/%.o: %.c $(BUILD)/%.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<
	@touch $@

$(BUILD)/c-tests/%: c-tests/%.c $(BUILD)/libsdbcore.a $(BUILD)/c-tests/%.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Ic-tests -o $@ $< $(BUILD)/libsdbcore.a $(LIBS) -lsqlite3
	@touch $@

# Fuzz builds define SDB_FUZZING (test switches such as sdbSstFuzzIgnoreCrc,
# never in the extension), so the fuzz replays link their own copy of core,
# built under $(BUILD)/fuzzing/ (the shorter stem picks this rule over the one above).
$(BUILD)/fuzzing/%.o: %.c $(BUILD)/fuzzing/%.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSDB_FUZZING -MMD -MP -c -o $@ $<
	@touch $@

$(BUILD)/fuzzing/libsdbcore.a: $(FUZZ_CORE_OBJ) $(BUILD)/core-objects.list
	@rm -f $@
	ar rcs $@ $(FUZZ_CORE_OBJ)

# fuzz_options and fuzz_keycodec compile ext/ sources in (-DSQLITE_CORE), hence -lsqlite3.
$(BUILD)/fuzz-replay/%: fuzz/%.c $(BUILD)/fuzz/replay_main.o $(BUILD)/fuzzing/libsdbcore.a \
                         $(BUILD)/fuzz-replay/%.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSDB_FUZZING -MMD -MP -o $@ $< $(BUILD)/fuzz/replay_main.o \
	  $(BUILD)/fuzzing/libsdbcore.a $(LIBS) -lsqlite3
	@touch $@

ctests: $(CTEST_BIN) $(FUZZ_REPLAY)

bench: all
	bash scripts/bench.sh

difftest: all
	@SEED="$(SEED)" STEPS="$(STEPS)" TIME="$(TIME)" EXCLUDE="$(EXCLUDE)" REPLAY="$(REPLAY)" S3="$(S3)" FAULTS="$(FAULTS)" \
	  bash scripts/difftest/run.sh

demo: all
	@sh scripts/demo.sh

test: all ctests
	@bash scripts/test.sh

# Sanitizer build in its own folder, with gcc (whose runtime the sqlite3 shell
# can preload), then the same suite against it.
asan:
	$(MAKE) BUILD=build-asan SO=build-asan/slatedb.so OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  build-asan/slatedb.so ctests
	SDB_BUILD=build-asan SDB_SO=$(CURDIR)/build-asan/slatedb.so SDB_ASAN=1 bash scripts/test.sh

fuzz:
	@mkdir -p $(BUILD)/fuzz
	for f in $(FUZZ_SRC); do \
	  clang -std=c11 -D_GNU_SOURCE -DSDB_FUZZING -g -O1 -Icore -fsanitize=fuzzer,address,undefined \
	    -o $(BUILD)/fuzz/$$(basename $$f .c) $$f $(CORE_SRC) $(LIBS) -lsqlite3 || exit 1; done

DEPFILES := $(CORE_OBJ:.o=.d) $(EXT_OBJ:.o=.d) $(FUZZ_CORE_OBJ:.o=.d) $(CTEST_BIN:=.d) \
            $(FUZZ_REPLAY:=.d) $(BUILD)/fuzz/replay_main.d
$(DEPFILES):
-include $(wildcard $(DEPFILES))

# make install: the extension where the sqlite3 shell finds it by a short path
# (.load /usr/local/lib/sqlite3/slatedb), and the documentation. No header: the
# extension exports only sqlite3_slatedb_init, so core/slatedb.h is of no use
# without the engine's sources. PREFIX, LIBDIR, DOCDIR and DESTDIR as usual.
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib/sqlite3
DOCDIR  ?= $(PREFIX)/share/doc/sqlite-slatedb
DOCS    := README.md LICENSE ARCHITECTURE.md
DOCPAGES := $(wildcard docs/*.md)

install: $(SO)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(SO) $(DESTDIR)$(LIBDIR)/slatedb.so
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(if $(DOCPAGES),install -d $(DESTDIR)$(DOCDIR)/docs && install -m 0644 $(DOCPAGES) $(DESTDIR)$(DOCDIR)/docs/)

# Removes what install put there, and the two folders if they are then empty.
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/slatedb.so $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOCS)) \
	  $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOCPAGES))
	rmdir $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LIBDIR) 2>/dev/null || true

clean:
	rm -rf build build-asan slatedb.so
