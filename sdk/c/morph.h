/*
 * morph.h: the Morph extension SDK for C (and C++ and Zig), guest ABI
 * version 2 (runtime-wasm/ABI.md).
 *
 * Compile morph.c with your extension for wasm32-wasi as a reactor:
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 \
 *         -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--strip-debug \
 *         -o extension.wasm extension.c morph.c
 *
 * morph.c owns the ABI's exports (morph_abi_version, morph_alloc, morph_free,
 * morph_init, morph_execute, morph_on_event) and the custom section
 * `morph_sdk`. You write the actions:
 *
 *     #include "morph.h"
 *
 *     static morph_result hello(morph_json params) {
 *         char name[64];
 *         if (!morph_json_copy(morph_json_get(params, "name"), name, sizeof name, NULL))
 *             return morph_fail("`name` must be a string of at most 63 bytes");
 *         morph_writer w;
 *         morph_writer_init(&w);
 *         morph_write_object_begin(&w);
 *         morph_write_key(&w, "name");
 *         morph_write_string(&w, name);
 *         morph_write_object_end(&w);
 *         return morph_ok(&w);
 *     }
 *
 *     MORPH_ACTIONS({"hello", hello})
 *
 * Invariants this SDK keeps:
 * - the host's input block is freed exactly once, after the action returned;
 * - every entry point answers with a version-2 result block (first byte 0 =
 *   JSON, 1 = error object, 2 = UTF-8 text), even out of memory;
 * - the JSON reader never reads outside the span it is given and rejects
 *   malformed text (nesting is capped at MORPH_JSON_MAX_DEPTH, no recursion);
 * - the JSON writer emits well-formed JSON and valid UTF-8 or reports failure
 *   (invalid UTF-8 in a string becomes U+FFFD).
 *
 * Built natively (no __wasm__), the same code compiles and links for unit
 * tests: there is no host, so every capability call fails with
 * `unknown_capability` unless a test installs one with morph_mock_host().
 *
 * Licence: Apache-2.0, as the rest of Morph.
 */
#ifndef MORPH_H
#define MORPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The guest ABI version this SDK implements (morph_abi_version()). */
#define MORPH_ABI_VERSION 2
/** The SDK's version, in the custom section `morph_sdk` as morph-sdk-c/VERSION. */
#define MORPH_SDK_VERSION "0.1.0"
/** The deepest JSON nesting the reader accepts (serde_json's limit too). */
#define MORPH_JSON_MAX_DEPTH 128
/** The deepest nesting the writer produces. */
#define MORPH_WRITER_MAX_DEPTH 64

#if defined(__GNUC__) || defined(__clang__)
#define MORPH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MORPH_PRINTF(fmt, args)
#endif

/* ------------------------------------------------------------------------ */
/* Text spans                                                               */
/* ------------------------------------------------------------------------ */

/** Bytes that are not NUL-terminated: an action name, a string's raw text. */
typedef struct morph_str {
    const char *ptr;
    size_t len;
} morph_str;

/** Whether `s` holds exactly the NUL-terminated text `z`. */
bool morph_str_eq(morph_str s, const char *z);

/* ------------------------------------------------------------------------ */
/* Reading JSON                                                             */
/* ------------------------------------------------------------------------ */

/**
 * One JSON value: a span of text inside a buffer someone else owns (the
 * params of the running action, a capability response, ...). A span with
 * `ptr == NULL` is "no value": what morph_json_get() returns for a missing
 * member, and what every accessor treats as the wrong type. Spans are cheap
 * to copy; nothing is allocated until you copy a string out.
 */
typedef struct morph_json {
    const char *ptr;
    size_t len;
} morph_json;

/** What a JSON value is. */
typedef enum morph_json_type {
    MORPH_JSON_NONE = 0, /* no value (missing member, malformed text) */
    MORPH_JSON_NULL,
    MORPH_JSON_BOOL,
    MORPH_JSON_NUMBER,
    MORPH_JSON_STRING,
    MORPH_JSON_ARRAY,
    MORPH_JSON_OBJECT
} morph_json_type;

/**
 * Parses `len` bytes of JSON text: one value with optional whitespace around
 * it. Returns "no value" (ptr NULL) when the text is not well-formed JSON or
 * nests deeper than MORPH_JSON_MAX_DEPTH. The span points into `text`.
 */
morph_json morph_json_parse(const char *text, size_t len);

/** The type of `v` (MORPH_JSON_NONE for "no value"). */
morph_json_type morph_json_type_of(morph_json v);

/** Whether `v` is a value (not "no value"). */
bool morph_json_exists(morph_json v);

/** The member `key` of the object `obj`; "no value" when `obj` is not an
 *  object or has no such member (the last one wins when a key repeats). */
morph_json morph_json_get(morph_json obj, const char *key);

/** Element `index` of the array `arr`; "no value" when out of range. */
morph_json morph_json_at(morph_json arr, size_t index);

/** The number of elements of an array or members of an object, else 0. */
size_t morph_json_count(morph_json v);

/** Walks the members of an object or the elements of an array. */
typedef struct morph_json_iter {
    const char *ptr;
    size_t len;
    size_t pos;
    bool object;
    bool done;
} morph_json_iter;

/** An iterator over `v` (empty when `v` is neither array nor object). */
morph_json_iter morph_json_iterate(morph_json v);

/**
 * The next element: `*value` is set, and `*key` too for an object member
 * (pass NULL to ignore it; read it with morph_json_copy / morph_json_strdup).
 * Returns false at the end.
 */
bool morph_json_next(morph_json_iter *it, morph_json *key, morph_json *value);

/**
 * Copies the string `v`, unescaped, NUL-terminated, into `buf` (`cap` bytes).
 * Returns true when `v` is a string and all of it fit; `*len` (may be NULL)
 * gets its length in bytes either way (like snprintf). On false, `buf` holds
 * as much as fit, always NUL-terminated when cap > 0.
 */
bool morph_json_copy(morph_json v, char *buf, size_t cap, size_t *len);

/** The string `v`, unescaped, in a malloc'ed NUL-terminated buffer (free it);
 *  NULL when `v` is not a string or memory ran out. `*len` may be NULL. */
char *morph_json_strdup(morph_json v, size_t *len);

/** Whether the string `v`, unescaped, equals the NUL-terminated `text`. */
bool morph_json_string_eq(morph_json v, const char *text);

/** An integer number without fraction or exponent that fits int64_t. */
bool morph_json_int(morph_json v, int64_t *out);

/** Any number, as a double. */
bool morph_json_number(morph_json v, double *out);

/** `true` or `false`. */
bool morph_json_bool(morph_json v, bool *out);

/** Whether `v` is `null`. */
bool morph_json_is_null(morph_json v);

/* ------------------------------------------------------------------------ */
/* Writing JSON                                                             */
/* ------------------------------------------------------------------------ */

/**
 * Builds one JSON value in a growing buffer. Calls after a failure (out of
 * memory, a key outside an object, a value where a key belongs, too deep,
 * a second top-level value) do nothing, and the failure is reported once at
 * the end by morph_ok() or morph_writer_json(). Fields are private.
 */
typedef struct morph_writer {
    char *buf;
    size_t len;
    size_t cap;
    uint64_t objects; /* bit d: level d is an object */
    unsigned depth;
    bool comma;     /* the next element needs a comma */
    bool after_key; /* a key was written, its value is due */
    bool done;      /* a complete top-level value was written */
    bool failed;
} morph_writer;

/** An empty writer (allocates nothing yet). */
void morph_writer_init(morph_writer *w);
/** Frees the buffer (not needed after morph_ok(), which takes it). */
void morph_writer_free(morph_writer *w);
/** The JSON written so far (not NUL-terminated) and its length; NULL when the
 *  writer failed or the value is incomplete. */
const char *morph_writer_json(const morph_writer *w, size_t *len);

void morph_write_object_begin(morph_writer *w);
void morph_write_object_end(morph_writer *w);
void morph_write_array_begin(morph_writer *w);
void morph_write_array_end(morph_writer *w);
/** A member name (inside an object, before its value). */
void morph_write_key(morph_writer *w, const char *key);
/** A string (NUL-terminated); NULL writes `null`. */
void morph_write_string(morph_writer *w, const char *s);
/** A string of `len` bytes (may contain NUL). */
void morph_write_stringn(morph_writer *w, const char *s, size_t len);
void morph_write_int(morph_writer *w, int64_t n);
/** A number; NaN and infinities, which JSON lacks, write `null`. */
void morph_write_double(morph_writer *w, double d);
void morph_write_bool(morph_writer *w, bool b);
void morph_write_null(morph_writer *w);
/** A value that is already JSON (e.g. from the params); "no value" writes `null`. */
void morph_write_json(morph_writer *w, morph_json v);

/* ------------------------------------------------------------------------ */
/* Results                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * What an action (or init / on_event) returns: a result block in the ABI's
 * version-2 format, handed to the host, which frees it. Make one with the
 * functions below; do not build or free it yourself.
 */
typedef struct morph_result {
    char *block;
    size_t len;
} morph_result;

/** Success with the writer's JSON (takes and frees the writer's buffer; a
 *  failed or incomplete writer becomes an error result saying so). */
morph_result morph_ok(morph_writer *w);
/** Success with a copy of the JSON text `json` (checked: malformed text
 *  becomes an error result). */
morph_result morph_ok_json(const char *json);
/** morph_ok_json() for `len` bytes. */
morph_result morph_ok_jsonn(const char *json, size_t len);
/** Success with `null`. */
morph_result morph_ok_null(void);
/** Success with a string (UTF-8; invalid bytes become U+FFFD). */
morph_result morph_ok_text(const char *text);
/** morph_ok_text() for `len` bytes. */
morph_result morph_ok_textn(const char *text, size_t len);
/** An error with `message` (the call fails with `guest_error`). */
morph_result morph_fail(const char *message);
/** morph_fail() with a printf-formatted message. */
morph_result morph_failf(const char *fmt, ...) MORPH_PRINTF(1, 2);
/** Discards a result you will not return (the host frees returned ones);
 *  natively, tests free the results of the handlers they call. */
void morph_result_free(morph_result *result);

/* ------------------------------------------------------------------------ */
/* Capabilities                                                             */
/* ------------------------------------------------------------------------ */

/**
 * A capability's error: a stable code (`permission_denied`,
 * `host_not_allowed`, `invalid_request`, `capability_failed`, ...) and a
 * message, both NUL-terminated and cut to fit. Lives on the stack; nothing
 * to free.
 */
typedef struct morph_error {
    char code[32];
    char message[480];
} morph_error;

/**
 * Fails the action with a capability's error. The host keeps its code when a
 * capability of this very call returned it (a denied vault.get propagated this
 * way ends the call with `permission_denied`); otherwise `guest_error`.
 */
morph_result morph_fail_with(const morph_error *err);

/** A capability's answer to morph_call(). */
typedef struct morph_response {
    morph_json value;  /* the value on success (inside `raw`) */
    morph_error error; /* the error on failure */
    char *raw;         /* the host's envelope; freed by morph_response_free */
    size_t raw_len;
} morph_response;

/**
 * Invokes the capability `capability` (`http.fetch`, `vault.get`,
 * `data.list_tasks`, `log`, `config`, ...) with the JSON request
 * `request_json` (`len` bytes; NULL sends `null`). Returns true on success
 * with the value in `response->value`, false with `response->error`. Always
 * call morph_response_free() afterwards.
 */
bool morph_call(const char *capability, const char *request_json, size_t len,
                morph_response *response);
/** Releases a response (safe on a zeroed or already freed one). */
void morph_response_free(morph_response *response);

/** Log levels for morph_log(). */
typedef enum morph_level {
    MORPH_DEBUG,
    MORPH_INFO,
    MORPH_WARN,
    MORPH_ERROR
} morph_level;

/**
 * Writes a line to the host's log (the `log` capability, always allowed;
 * lines count toward max_output_kb). printf() and fprintf(stderr) reach the
 * same log, one record per line, at info and warn. Returns false only if
 * the host refused the line.
 */
bool morph_log(morph_level level, const char *message);
/** morph_log() with a printf-formatted message. */
bool morph_logf(morph_level level, const char *fmt, ...) MORPH_PRINTF(2, 3);

/**
 * vault.get: `*value` gets the secret stored under `key` (malloc'ed, free it)
 * or NULL when there is none. Needs `vault:read`. Returns false with `*err`
 * (may be NULL) on failure.
 */
bool morph_vault_get(const char *key, char **value, morph_error *err);
/** vault.set: stores `value` under `key`. Needs `vault:write`. */
bool morph_vault_set(const char *key, const char *value, morph_error *err);

/** A request header. */
typedef struct morph_header {
    const char *name;
    const char *value;
} morph_header;

/** An HTTP request for morph_http_fetch(). */
typedef struct morph_http_request {
    const char *method;          /* GET when NULL */
    const char *url;             /* absolute http(s) URL */
    const morph_header *headers; /* header_count of them (may be NULL) */
    size_t header_count;
    const void *body;            /* NULL: no body */
    size_t body_len;
    bool body_binary;            /* send any bytes (base64 on the wire); else UTF-8 text */
} morph_http_request;

/** An HTTP response. Any status is a response, not an error: check it. */
typedef struct morph_http_response {
    int status;
    char *body;         /* the body's bytes, NUL-terminated (base64 undone) */
    size_t body_len;
    morph_json headers; /* an object: lowercase name -> value (inside raw) */
    char *raw;          /* private: freed by morph_http_response_free */
} morph_http_response;

/**
 * http.fetch: sends `request` through the host, which checks the manifest's
 * `allowed_hosts` and `http:read` (GET, HEAD, OPTIONS) / `http:write`.
 * Returns false with `*err` (may be NULL) on failure; always call
 * morph_http_response_free() afterwards.
 */
bool morph_http_fetch(const morph_http_request *request, morph_http_response *response,
                      morph_error *err);
/** `GET url`. */
bool morph_http_get(const char *url, morph_http_response *response, morph_error *err);
/** Releases a response (safe on a zeroed or already freed one). */
void morph_http_response_free(morph_http_response *response);

/* ------------------------------------------------------------------------ */
/* The extension                                                            */
/* ------------------------------------------------------------------------ */

/**
 * The one function an extension must define: runs `action` with its params
 * (JSON, `null` when there are none; the host already checked them against
 * the manifest). `params` lives until the function returns. Define it
 * yourself, or let MORPH_ACTIONS define it from a table.
 */
morph_result morph_extension_execute(morph_str action, morph_json params);

/**
 * Optional: runs once per instance, before any action, with the validated
 * config (an object). Keep what you need in globals. The default does nothing.
 */
morph_result morph_extension_init(morph_json config);

/**
 * Optional: receives an event (`event:listen`):
 * {"source", "level", "message", "data", "ts_ms"}. The default ignores it.
 */
morph_result morph_extension_on_event(morph_json event);

/** An action handler: gets the params, returns the result. */
typedef morph_result (*morph_handler)(morph_json params);

/** A row of an action table. */
typedef struct morph_action {
    const char *name;
    morph_handler run;
} morph_action;

/** Runs the handler named `action` in `actions`, or fails with
 *  "unknown action `NAME`". */
morph_result morph_dispatch(const morph_action *actions, size_t count, morph_str action,
                            morph_json params);

/**
 * Defines morph_extension_execute() from a table of {name, handler} rows:
 *
 *     MORPH_ACTIONS({"hello", hello}, {"log", log_line})
 */
#define MORPH_ACTIONS(...)                                                             \
    static const morph_action morph_actions_table_[] = {__VA_ARGS__};                  \
    morph_result morph_extension_execute(morph_str action, morph_json params) {        \
        return morph_dispatch(morph_actions_table_,                                    \
                              sizeof morph_actions_table_ / sizeof morph_actions_table_[0], \
                              action, params);                                         \
    }

/**
 * Ends the call as a crash (`guest_crash`) with `message` (the first 4 KiB
 * reach the host). For bugs, not for errors: return morph_fail() for those.
 */
#if defined(__cplusplus)
[[noreturn]]
#else
_Noreturn
#endif
void morph_panic(const char *message);

#ifndef __wasm__
/**
 * Native builds only (unit tests): answers capability calls. Gets the
 * capability and the request JSON, returns the host's envelope
 * (`{"ok": ...}` or `{"error": {"code", "message"}}`) in a malloc'ed buffer
 * that the SDK frees, with its length in `*len`; NULL means "no host".
 * Install NULL to remove it.
 */
typedef char *(*morph_mock_fn)(const char *capability, const char *request, size_t request_len,
                               size_t *len);
void morph_mock_host(morph_mock_fn host);
#endif

#ifdef __cplusplus
}
#endif

#endif /* MORPH_H */
