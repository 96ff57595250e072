/*
 * hostile.c: a C guest on sdk/c that misbehaves on purpose, for
 * runtime-wasm's tests (built to hostile.wasm by scripts/build-guests.sh;
 * its actions are declared in actions.yaml beside it).
 *
 * **Each action probes one promise of runtime-wasm/ABI.md**: the host checks
 * every pointer it is handed, a bad `response` length is an ordinary -1,
 * WASI calls are answered from the call's own state or refused, and limits
 * end a call with their own error code. What each should produce:
 *
 * - oob_write: stores a byte past the end of linear memory -> guest_crash;
 * - bad_call: morph.call with a request outside memory -> guest_crash
 *   (out-of-bounds buffer), nothing invoked;
 * - bad_response: calls `log`, then morph.response with the length + 1 (-1),
 *   the right length (0), and again with nothing pending (-1);
 *   -> {"wrong_len": -1, "right_len": 0, "again": -1, "len": N > 0};
 * - echo: -> its params, unchanged;
 * - printf: two lines on stdout (log records at info: "hostile stdout 1",
 *   "hostile stdout 2") and one on stderr (warn: "hostile stderr") -> null;
 * - fopen: fopen("/etc/passwd") fails (no preopened directory) ->
 *   {"opened": false, "errno": E, "error": strerror(E)}; wasi-libc sets
 *   ENOTCAPABLE (76, "Capabilities insufficient") when no preopen matches;
 * - clock_random: -> {"time_positive": true, "random": 32 hex digits}
 *   (time() through clock_time_get, getentropy() through random_get);
 * - exit0 / exit3: exit(0) / exit(3) -> guest_error "the guest exited
 *   without a result" / "the guest exited with status 3";
 * - spin: loops forever -> timeout;
 * - grow: mallocs 1 MiB blocks until one fails -> memory_limit (the host
 *   traps the memory.grow past max_memory_mb); were malloc to fail first,
 *   {"mib": N};
 * - panic: morph_panic("hostile panic") -> guest_crash with that message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "morph.h"

/* The raw imports, to hand the host what the SDK never would. */
__attribute__((import_module("morph"), import_name("call"))) int32_t
raw_call(uint32_t cap_ptr, uint32_t cap_len, uint32_t req_ptr, uint32_t req_len);
__attribute__((import_module("morph"), import_name("response"))) int32_t
raw_response(char *ptr, uint32_t len);

static uint32_t memory_bytes(void) {
    return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

static morph_result oob_write(morph_json params) {
    (void)params;
    volatile char *past_the_end = (volatile char *)(uintptr_t)(memory_bytes() + 16u);
    *past_the_end = 1;
    return morph_fail("a write past the end of memory did not trap");
}

static morph_result bad_call(morph_json params) {
    (void)params;
    static const char cap[] = "log";
    /* A request that starts 8 bytes before the end of memory and runs 64. */
    int32_t n = raw_call((uint32_t)(uintptr_t)cap, 3, memory_bytes() - 8u, 64);
    return morph_failf("morph.call with an out-of-bounds request returned %d", n);
}

static morph_result bad_response(morph_json params) {
    (void)params;
    static const char cap[] = "log";
    static const char req[] = "{\"level\":\"info\",\"message\":\"bad_response probe\"}";
    int32_t len = raw_call((uint32_t)(uintptr_t)cap, 3, (uint32_t)(uintptr_t)req,
                           sizeof req - 1);
    if (len <= 0) return morph_failf("morph.call returned %d", len);
    char *buf = malloc((size_t)len + 1);
    if (buf == NULL) return morph_fail("out of memory");
    int32_t wrong = raw_response(buf, (uint32_t)len + 1);
    int32_t right = raw_response(buf, (uint32_t)len);
    int32_t again = raw_response(buf, (uint32_t)len);
    free(buf);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "wrong_len");
    morph_write_int(&w, wrong);
    morph_write_key(&w, "right_len");
    morph_write_int(&w, right);
    morph_write_key(&w, "again");
    morph_write_int(&w, again);
    morph_write_key(&w, "len");
    morph_write_int(&w, len);
    morph_write_object_end(&w);
    return morph_ok(&w);
}

static morph_result echo(morph_json params) { return morph_ok_jsonn(params.ptr, params.len); }

static morph_result print_lines(morph_json params) {
    (void)params;
    printf("hostile stdout 1\n");
    printf("hostile stdout %d\n", 2);
    fflush(stdout); /* the stdout lines first, whatever stdout's buffering */
    fprintf(stderr, "hostile stderr\n");
    return morph_ok_null();
}

static morph_result open_file(morph_json params) {
    (void)params;
    errno = 0;
    FILE *f = fopen("/etc/passwd", "r");
    int err = errno;
    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "opened");
    morph_write_bool(&w, f != NULL);
    morph_write_key(&w, "errno");
    morph_write_int(&w, err);
    morph_write_key(&w, "error");
    morph_write_string(&w, strerror(err));
    morph_write_object_end(&w);
    if (f) fclose(f);
    return morph_ok(&w);
}

static morph_result clock_random(morph_json params) {
    (void)params;
    unsigned char bytes[16];
    char hex[33];
    if (getentropy(bytes, sizeof bytes) != 0) return morph_failf("getentropy: %s", strerror(errno));
    for (size_t i = 0; i < sizeof bytes; i++) {
        hex[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[bytes[i] & 15];
    }
    hex[32] = '\0';
    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "time_positive");
    morph_write_bool(&w, time(NULL) > 0);
    morph_write_key(&w, "random");
    morph_write_string(&w, hex);
    morph_write_object_end(&w);
    return morph_ok(&w);
}

static morph_result exit0(morph_json params) {
    (void)params;
    exit(0);
}

static morph_result exit3(morph_json params) {
    (void)params;
    exit(3);
}

static morph_result spin(morph_json params) {
    (void)params;
    volatile uint64_t turns = 0;
    for (;;) turns++;
}

/* Where grow's blocks stay reachable, so the compiler keeps every malloc. */
static void *volatile grown;

static morph_result grow(morph_json params) {
    (void)params;
    int64_t mib = 0;
    for (;;) {
        void **block = malloc(1u << 20);
        if (block == NULL) break;
        *block = grown; /* a chain of blocks, kept on purpose */
        grown = block;
        mib++;
    }
    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "mib");
    morph_write_int(&w, mib);
    morph_write_object_end(&w);
    return morph_ok(&w);
}

static morph_result panic(morph_json params) {
    (void)params;
    morph_panic("hostile panic");
}

MORPH_ACTIONS(
    {"oob_write", oob_write},
    {"bad_call", bad_call},
    {"bad_response", bad_response},
    {"echo", echo},
    {"printf", print_lines},
    {"fopen", open_file},
    {"clock_random", clock_random},
    {"exit0", exit0},
    {"exit3", exit3},
    {"spin", spin},
    {"grow", grow},
    {"panic", panic},
)
