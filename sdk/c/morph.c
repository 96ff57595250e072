/*
 * morph.c: the Morph extension SDK for C, guest ABI version 2
 * (runtime-wasm/ABI.md). See morph.h for the API and sdk/c/README.md for a
 * guide.
 *
 * This file owns, in order: the custom section `morph_sdk`; the JSON reader
 * (iterative, bounded: it never reads outside its span and never recurses);
 * the JSON writer (well-formed output and valid UTF-8, or a reported
 * failure); result blocks; the capability transport over the `morph.call` /
 * `morph.response` imports and the typed helpers (log, vault, http); and the
 * ABI's exports. **Guest input never makes this code read or write outside a
 * buffer**: the host's params are checked once at entry, and every accessor
 * checks its bounds again, so a hand-made span cannot break it either.
 *
 * Licence: Apache-2.0, as the rest of Morph.
 */
#include "morph.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasm__
/*
 * The SDK's name, for `morph inspect` and `morph package`. Written with
 * assembler directives because clang 14 puts a variable with
 * __attribute__((section(".custom_section.morph_sdk"))) into a data segment
 * rather than a custom section; this form works on every clang. No NUL.
 */
__asm__(".section .custom_section.morph_sdk,\"\",@\n"
        ".ascii \"morph-sdk-c/" MORPH_SDK_VERSION "\"\n"
        ".text\n");
#endif

/* ======================================================================== */
/* UTF-8                                                                    */
/* ======================================================================== */

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The length (2 to 4) of the valid multi-byte UTF-8 sequence at `s`
 * (`n` bytes available), or 0: no overlongs, surrogates or > U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
    }
    return len;
}

/* The longest prefix of `s` (n bytes) that does not end inside a character. */
static size_t utf8_floor(const char *s, size_t n) {
    size_t start = n, back = 0;
    while (start > 0 && back < 4 && (((unsigned char)s[start - 1]) & 0xC0) == 0x80) {
        start--;
        back++;
    }
    if (start == 0) return n == back ? 0 : n;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return want > back + 1 ? start - 1 : n;
}

/* Writes code point `cp` as UTF-8 into `out`; returns the byte count. */
static size_t utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool morph_str_eq(morph_str s, const char *z) {
    if (z == NULL || (s.ptr == NULL && s.len > 0)) return false;
    size_t n = strlen(z);
    return n == s.len && (n == 0 || memcmp(s.ptr, z, n) == 0);
}

/* ======================================================================== */
/* JSON reader                                                              */
/* ======================================================================== */

static const morph_json NO_VALUE = {NULL, 0};

static size_t skip_ws(const char *p, size_t i, size_t n) {
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans a string token at p[*i] (the opening quote). */
static bool scan_string(const char *p, size_t n, size_t *pos) {
    size_t i = *pos;
    if (i >= n || p[i] != '"') return false;
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"') {
            *pos = i + 1;
            return true;
        }
        if (c < 0x20) return false;
        if (c != '\\') continue;
        if (++i >= n) return false;
        if (p[i] == 'u') {
            if (n - i < 5) return false;
            for (size_t k = 1; k <= 4; k++) {
                if (hex_value(p[i + k]) < 0) return false;
            }
            i += 4;
        } else if (!strchr("\"\\/bfnrt", p[i]) || p[i] == '\0') {
            return false;
        }
    }
    return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Scans a number token: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(const char *p, size_t n, size_t *pos) {
    size_t i = *pos;
    if (i < n && p[i] == '-') i++;
    if (i >= n || !is_digit(p[i])) return false;
    if (p[i] == '0') {
        i++;
    } else {
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || !is_digit(p[i])) return false;
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || !is_digit(p[i])) return false;
        while (i < n && is_digit(p[i])) i++;
    }
    *pos = i;
    return true;
}

static bool scan_word(const char *p, size_t n, size_t *pos, const char *word) {
    size_t len = strlen(word);
    if (n - *pos < len || memcmp(p + *pos, word, len) != 0) return false;
    *pos += len;
    return true;
}

/* Scans an object key and its colon, leaving *pos at the value. */
static bool scan_key(const char *p, size_t n, size_t *pos) {
    size_t i = skip_ws(p, *pos, n);
    if (!scan_string(p, n, &i)) return false;
    i = skip_ws(p, i, n);
    if (i >= n || p[i] != ':') return false;
    *pos = skip_ws(p, i + 1, n);
    return true;
}

/*
 * Scans one complete value starting at p[*pos] (after whitespace), checking
 * all of it; on success *pos is just past it. Iterative: containers are
 * tracked in a fixed stack of MORPH_JSON_MAX_DEPTH, so hostile nesting costs
 * neither recursion nor memory.
 */
static bool scan_value(const char *p, size_t n, size_t *pos) {
    char open[MORPH_JSON_MAX_DEPTH];
    size_t depth = 0;
    size_t i = skip_ws(p, *pos, n);
    for (;;) {
        /* A value starts at p[i]. */
        if (i >= n) return false;
        char c = p[i];
        if (c == '{' || c == '[') {
            if (depth == MORPH_JSON_MAX_DEPTH) return false;
            open[depth++] = c;
            i = skip_ws(p, i + 1, n);
            if (i < n && p[i] == (c == '{' ? '}' : ']')) {
                depth--;
                i++;
            } else {
                if (c == '{' && !scan_key(p, n, &i)) return false;
                continue;
            }
        } else if (c == '"') {
            if (!scan_string(p, n, &i)) return false;
        } else if (c == '-' || is_digit(c)) {
            if (!scan_number(p, n, &i)) return false;
        } else if (!scan_word(p, n, &i, "true") && !scan_word(p, n, &i, "false") &&
                   !scan_word(p, n, &i, "null")) {
            return false;
        }
        /* After a value: close containers, or move to the next element. */
        for (;;) {
            if (depth == 0) {
                *pos = i;
                return true;
            }
            i = skip_ws(p, i, n);
            if (i >= n) return false;
            char kind = open[depth - 1];
            if (p[i] == ',') {
                i = skip_ws(p, i + 1, n);
                if (kind == '{' && !scan_key(p, n, &i)) return false;
                break;
            }
            if (p[i] != (kind == '{' ? '}' : ']')) return false;
            depth--;
            i++;
        }
    }
}

morph_json morph_json_parse(const char *text, size_t len) {
    if (text == NULL) return NO_VALUE;
    size_t start = skip_ws(text, 0, len);
    size_t end = start;
    if (!scan_value(text, len, &end) || skip_ws(text, end, len) != len) return NO_VALUE;
    morph_json v = {text + start, end - start};
    return v;
}

morph_json_type morph_json_type_of(morph_json v) {
    if (v.ptr == NULL || v.len == 0) return MORPH_JSON_NONE;
    switch (v.ptr[0]) {
    case '{': return MORPH_JSON_OBJECT;
    case '[': return MORPH_JSON_ARRAY;
    case '"': return MORPH_JSON_STRING;
    case 't':
    case 'f': return MORPH_JSON_BOOL;
    case 'n': return MORPH_JSON_NULL;
    default: return v.ptr[0] == '-' || is_digit(v.ptr[0]) ? MORPH_JSON_NUMBER : MORPH_JSON_NONE;
    }
}

bool morph_json_exists(morph_json v) { return morph_json_type_of(v) != MORPH_JSON_NONE; }

morph_json_iter morph_json_iterate(morph_json v) {
    morph_json_iter it = {v.ptr, v.len, 1, false, true};
    morph_json_type t = morph_json_type_of(v);
    if (t == MORPH_JSON_OBJECT || t == MORPH_JSON_ARRAY) {
        it.object = t == MORPH_JSON_OBJECT;
        it.done = false;
    }
    return it;
}

bool morph_json_next(morph_json_iter *it, morph_json *key, morph_json *value) {
    if (it == NULL || it->done) return false;
    const char *p = it->ptr;
    size_t n = it->len;
    size_t i = skip_ws(p, it->pos, n);
    it->done = true; /* until this element proves complete */
    if (i >= n || p[i] == '}' || p[i] == ']') return false;
    if (it->object) {
        size_t start = i;
        if (!scan_string(p, n, &i)) return false;
        if (key) {
            key->ptr = p + start;
            key->len = i - start;
        }
        i = skip_ws(p, i, n);
        if (i >= n || p[i] != ':') return false;
        i = skip_ws(p, i + 1, n);
    } else if (key) {
        *key = NO_VALUE;
    }
    size_t start = i;
    if (!scan_value(p, n, &i)) return false;
    if (value) {
        value->ptr = p + start;
        value->len = i - start;
    }
    i = skip_ws(p, i, n);
    if (i < n && p[i] == ',') i++;
    it->pos = i;
    it->done = false;
    return true;
}

morph_json morph_json_get(morph_json obj, const char *key) {
    morph_json found = NO_VALUE, k, v;
    if (key == NULL || morph_json_type_of(obj) != MORPH_JSON_OBJECT) return NO_VALUE;
    morph_json_iter it = morph_json_iterate(obj);
    while (morph_json_next(&it, &k, &v)) {
        if (morph_json_string_eq(k, key)) found = v;
    }
    return found;
}

morph_json morph_json_at(morph_json arr, size_t index) {
    morph_json v;
    if (morph_json_type_of(arr) != MORPH_JSON_ARRAY) return NO_VALUE;
    morph_json_iter it = morph_json_iterate(arr);
    for (size_t i = 0; morph_json_next(&it, NULL, &v); i++) {
        if (i == index) return v;
    }
    return NO_VALUE;
}

size_t morph_json_count(morph_json v) {
    size_t count = 0;
    morph_json_iter it = morph_json_iterate(v);
    while (morph_json_next(&it, NULL, NULL)) count++;
    return count;
}

/* Reads the characters of a string span one at a time, escapes undone. */
typedef struct string_reader {
    const char *p;
    size_t i, end;
} string_reader;

static bool string_reader_open(morph_json v, string_reader *r) {
    if (morph_json_type_of(v) != MORPH_JSON_STRING || v.len < 2 || v.ptr[v.len - 1] != '"')
        return false;
    r->p = v.ptr;
    r->i = 1;
    r->end = v.len - 1;
    return true;
}

static bool read_u_escape(string_reader *r, uint32_t *unit) {
    if (r->end - r->i < 4) return false;
    uint32_t u = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hex_value(r->p[r->i + k]);
        if (h < 0) return false;
        u = (u << 4) | (uint32_t)h;
    }
    r->i += 4;
    *unit = u;
    return true;
}

/* The next character's bytes (1 to 4) in `out`; 0 at the end. Malformed
 * escapes (possible only in a hand-made span) read as U+FFFD. */
static size_t string_reader_next(string_reader *r, char out[4]) {
    if (r->i >= r->end) return 0;
    char c = r->p[r->i++];
    if (c != '\\') {
        out[0] = c;
        return 1;
    }
    if (r->i >= r->end) return utf8_encode(0xFFFD, out);
    char e = r->p[r->i++];
    uint32_t cp;
    switch (e) {
    case 'b': cp = '\b'; break;
    case 'f': cp = '\f'; break;
    case 'n': cp = '\n'; break;
    case 'r': cp = '\r'; break;
    case 't': cp = '\t'; break;
    case 'u':
        if (!read_u_escape(r, &cp)) return utf8_encode(0xFFFD, out);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            string_reader save = *r;
            uint32_t low;
            if (r->end - r->i >= 2 && r->p[r->i] == '\\' && r->p[r->i + 1] == 'u' &&
                (r->i += 2, read_u_escape(r, &low)) && low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
                *r = save;
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        break;
    default: cp = (unsigned char)e; break; /* \" \\ \/ */
    }
    return utf8_encode(cp, out);
}

bool morph_json_copy(morph_json v, char *buf, size_t cap, size_t *len) {
    string_reader r;
    size_t total = 0, written = 0, k;
    bool fits = true;
    char ch[4];
    if (len) *len = 0;
    if (cap > 0 && buf) buf[0] = '\0';
    if (!string_reader_open(v, &r)) return false;
    while ((k = string_reader_next(&r, ch)) > 0) {
        if (fits && buf && written + k < cap) {
            memcpy(buf + written, ch, k);
            written += k;
        } else {
            fits = false;
        }
        total += k;
    }
    if (buf && cap > 0) buf[written] = '\0';
    if (len) *len = total;
    return fits && buf != NULL && cap > 0;
}

char *morph_json_strdup(morph_json v, size_t *len) {
    size_t n;
    if (len) *len = 0;
    morph_json_copy(v, NULL, 0, &n);
    if (morph_json_type_of(v) != MORPH_JSON_STRING || n == SIZE_MAX) return NULL;
    char *s = malloc(n + 1);
    if (s == NULL) return NULL;
    if (!morph_json_copy(v, s, n + 1, len)) {
        free(s);
        return NULL;
    }
    return s;
}

bool morph_json_string_eq(morph_json v, const char *text) {
    string_reader r;
    char ch[4];
    size_t k, at = 0, n;
    if (text == NULL || !string_reader_open(v, &r)) return false;
    n = strlen(text);
    while ((k = string_reader_next(&r, ch)) > 0) {
        if (n - at < k || memcmp(text + at, ch, k) != 0) return false;
        at += k;
    }
    return at == n;
}

bool morph_json_int(morph_json v, int64_t *out) {
    size_t i = 0, end = 0;
    if (morph_json_type_of(v) != MORPH_JSON_NUMBER || !scan_number(v.ptr, v.len, &end) ||
        end != v.len)
        return false;
    bool negative = v.ptr[0] == '-';
    if (negative) i++;
    int64_t acc = 0; /* accumulated negatively: INT64_MIN has no positive twin */
    for (; i < v.len; i++) {
        if (!is_digit(v.ptr[i])) return false;
        int d = v.ptr[i] - '0';
        if (acc < (INT64_MIN + d) / 10) return false;
        acc = acc * 10 - d;
    }
    if (!negative && acc == INT64_MIN) return false;
    if (out) *out = negative ? acc : -acc;
    return true;
}

bool morph_json_number(morph_json v, double *out) {
    size_t end = 0;
    char small[64];
    if (morph_json_type_of(v) != MORPH_JSON_NUMBER || !scan_number(v.ptr, v.len, &end) ||
        end != v.len)
        return false;
    char *text = v.len < sizeof small ? small : malloc(v.len + 1);
    if (text == NULL) return false;
    memcpy(text, v.ptr, v.len);
    text[v.len] = '\0';
    double d = strtod(text, NULL);
    if (text != small) free(text);
    if (out) *out = d;
    return true;
}

bool morph_json_bool(morph_json v, bool *out) {
    bool t = v.ptr && v.len == 4 && memcmp(v.ptr, "true", 4) == 0;
    bool f = v.ptr && v.len == 5 && memcmp(v.ptr, "false", 5) == 0;
    if (out && (t || f)) *out = t;
    return t || f;
}

bool morph_json_is_null(morph_json v) {
    return v.ptr && v.len == 4 && memcmp(v.ptr, "null", 4) == 0;
}

/* ======================================================================== */
/* JSON writer                                                              */
/* ======================================================================== */

/* The writer's buffer starts with one byte kept for the result's tag, so
 * morph_ok() hands it over without copying. */

void morph_writer_init(morph_writer *w) { memset(w, 0, sizeof *w); }

void morph_writer_free(morph_writer *w) {
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static bool w_reserve(morph_writer *w, size_t extra) {
    if (w->failed) return false;
    if (w->buf == NULL) {
        w->buf = malloc(64);
        if (w->buf == NULL) return w->failed = true, false;
        w->cap = 64;
        w->len = 1;
        w->buf[0] = 0;
    }
    if (extra <= w->cap - w->len) return true;
    size_t cap = w->cap;
    while (extra > cap - w->len) {
        if (cap > SIZE_MAX / 2) return w->failed = true, false;
        cap *= 2;
    }
    char *grown = realloc(w->buf, cap);
    if (grown == NULL) return w->failed = true, false;
    w->buf = grown;
    w->cap = cap;
    return true;
}

static void w_put(morph_writer *w, const char *s, size_t n) {
    if (n > 0 && w_reserve(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

static void w_putc(morph_writer *w, char c) { w_put(w, &c, 1); }

/* Copies `s` as valid UTF-8 (invalid bytes become U+FFFD); with `json`,
 * escapes what a JSON string must escape. */
static void w_text(morph_writer *w, const char *s, size_t n, bool json) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x80 && (!json || (c != '"' && c != '\\'))) {
            i++;
            continue;
        }
        w_put(w, s + run, i - run);
        if (c >= 0x80) {
            size_t k = utf8_sequence((const unsigned char *)s + i, n - i);
            if (k == 0) {
                w_put(w, REPLACEMENT, 3);
                i++;
            } else {
                w_put(w, s + i, k);
                i += k;
            }
        } else if (!json) {
            w_putc(w, (char)c);
            i++;
        } else {
            const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f" : NULL;
            if (esc) {
                w_put(w, esc, 2);
            } else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                w_put(w, u, 6);
            }
            i++;
        }
        run = i;
    }
    w_put(w, s + run, i - run);
}

static bool w_in_object(const morph_writer *w) {
    return w->depth > 0 && ((w->objects >> (w->depth - 1)) & 1);
}

/* Before a value: checks it belongs here and writes the comma. */
static bool w_value_start(morph_writer *w) {
    if (w->failed) return false;
    if (w->depth == 0) {
        if (w->done) return w->failed = true, false;
    } else if (w_in_object(w)) {
        if (!w->after_key) return w->failed = true, false;
        w->after_key = false;
    } else if (w->comma) {
        w_putc(w, ',');
    }
    return !w->failed;
}

static void w_value_end(morph_writer *w) {
    if (w->depth == 0) w->done = true;
    w->comma = true;
}

static void w_begin(morph_writer *w, bool object) {
    if (!w_value_start(w)) return;
    if (w->depth == MORPH_WRITER_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w_putc(w, object ? '{' : '[');
    if (object) {
        w->objects |= (uint64_t)1 << w->depth;
    } else {
        w->objects &= ~((uint64_t)1 << w->depth);
    }
    w->depth++;
    w->comma = false;
}

static void w_end(morph_writer *w, bool object) {
    if (w->failed) return;
    if (w->depth == 0 || w_in_object(w) != object || w->after_key) {
        w->failed = true;
        return;
    }
    w_putc(w, object ? '}' : ']');
    w->depth--;
    w_value_end(w);
}

void morph_write_object_begin(morph_writer *w) { w_begin(w, true); }
void morph_write_object_end(morph_writer *w) { w_end(w, true); }
void morph_write_array_begin(morph_writer *w) { w_begin(w, false); }
void morph_write_array_end(morph_writer *w) { w_end(w, false); }

void morph_write_key(morph_writer *w, const char *key) {
    if (w->failed) return;
    if (!w_in_object(w) || w->after_key || key == NULL) {
        w->failed = true;
        return;
    }
    if (w->comma) w_putc(w, ',');
    w_putc(w, '"');
    w_text(w, key, strlen(key), true);
    w_put(w, "\":", 2);
    w->after_key = true;
}

void morph_write_stringn(morph_writer *w, const char *s, size_t len) {
    if (s == NULL && len > 0) {
        w->failed = true;
        return;
    }
    if (!w_value_start(w)) return;
    w_putc(w, '"');
    w_text(w, s, len, true);
    w_putc(w, '"');
    w_value_end(w);
}

void morph_write_string(morph_writer *w, const char *s) {
    if (s == NULL) {
        morph_write_null(w);
    } else {
        morph_write_stringn(w, s, strlen(s));
    }
}

static void w_raw_value(morph_writer *w, const char *s, size_t n) {
    if (!w_value_start(w)) return;
    w_put(w, s, n);
    w_value_end(w);
}

void morph_write_int(morph_writer *w, int64_t n) {
    char digits[24];
    size_t at = sizeof digits;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    do {
        digits[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (n < 0) digits[--at] = '-';
    w_raw_value(w, digits + at, sizeof digits - at);
}

void morph_write_double(morph_writer *w, double d) {
    char text[32];
    if (!isfinite(d)) {
        morph_write_null(w);
        return;
    }
    /* The shortest of 15 or 17 significant digits that reads back exactly. */
    int n = snprintf(text, sizeof text, "%.15g", d);
    if (strtod(text, NULL) != d) n = snprintf(text, sizeof text, "%.17g", d);
    if (n <= 0 || (size_t)n >= sizeof text) {
        w->failed = true;
        return;
    }
    w_raw_value(w, text, (size_t)n);
}

void morph_write_bool(morph_writer *w, bool b) {
    w_raw_value(w, b ? "true" : "false", b ? 4 : 5);
}

void morph_write_null(morph_writer *w) { w_raw_value(w, "null", 4); }

void morph_write_json(morph_writer *w, morph_json v) {
    if (v.ptr == NULL) {
        morph_write_null(w);
        return;
    }
    morph_json checked = morph_json_parse(v.ptr, v.len);
    if (checked.ptr == NULL) {
        w->failed = true;
        return;
    }
    w_raw_value(w, checked.ptr, checked.len);
}

const char *morph_writer_json(const morph_writer *w, size_t *len) {
    if (len) *len = 0;
    if (w->failed || w->depth > 0 || w->after_key || w->buf == NULL) return NULL;
    if (len) *len = w->len - 1;
    return w->buf + 1;
}

/* ======================================================================== */
/* Results                                                                  */
/* ======================================================================== */

/* Results for when no block can be allocated; never freed. */
static char OUT_OF_MEMORY[] = "\1{\"message\":\"the extension ran out of memory\"}";
static char NO_RESULT[] = "\1{\"message\":\"the extension returned an empty morph_result\"}";

static bool is_static_result(const void *ptr) {
    return ptr == (const void *)OUT_OF_MEMORY || ptr == (const void *)NO_RESULT;
}

void morph_result_free(morph_result *r) {
    if (r == NULL) return;
    if (!is_static_result(r->block)) free(r->block);
    r->block = NULL;
    r->len = 0;
}

static morph_result out_of_memory(void) {
    morph_result r = {OUT_OF_MEMORY, sizeof OUT_OF_MEMORY - 1};
    return r;
}

static morph_result take_block(morph_writer *w, char tag) {
    morph_result r = {w->buf, w->len};
    if (w->failed || w->buf == NULL) {
        morph_writer_free(w);
        return out_of_memory();
    }
    r.block[0] = tag;
    memset(w, 0, sizeof *w);
    return r;
}

morph_result morph_ok(morph_writer *w) {
    if (w == NULL || w->buf == NULL) return morph_ok_null();
    if (morph_writer_json(w, NULL) == NULL) {
        morph_writer_free(w);
        return morph_fail("the extension wrote incomplete or malformed JSON "
                          "(or ran out of memory writing it)");
    }
    return take_block(w, 0);
}

morph_result morph_ok_jsonn(const char *json, size_t len) {
    morph_writer w;
    morph_writer_init(&w);
    morph_json v = morph_json_parse(json, len);
    if (v.ptr == NULL) return morph_fail("the extension returned malformed JSON");
    w_put(&w, v.ptr, v.len);
    return take_block(&w, 0);
}

morph_result morph_ok_json(const char *json) {
    return morph_ok_jsonn(json, json ? strlen(json) : 0);
}

morph_result morph_ok_null(void) {
    morph_writer w;
    morph_writer_init(&w);
    w_reserve(&w, 0);
    return take_block(&w, 0);
}

morph_result morph_ok_textn(const char *text, size_t len) {
    morph_writer w;
    morph_writer_init(&w);
    w_reserve(&w, len);
    if (text) w_text(&w, text, len, false);
    return take_block(&w, 2);
}

morph_result morph_ok_text(const char *text) {
    return morph_ok_textn(text, text ? strlen(text) : 0);
}

/* An error block {"message": PREFIX NAME SUFFIX, "code": CODE?}. */
static morph_result fail_parts(const char *prefix, morph_str name, const char *suffix,
                               const char *code) {
    morph_writer w;
    morph_writer_init(&w);
    w_reserve(&w, 0);
    w_put(&w, "{\"message\":\"", 12);
    w_text(&w, prefix, strlen(prefix), true);
    if (name.ptr) w_text(&w, name.ptr, name.len, true);
    w_text(&w, suffix, strlen(suffix), true);
    w_putc(&w, '"');
    if (code && code[0]) {
        w_put(&w, ",\"code\":\"", 9);
        w_text(&w, code, strlen(code), true);
        w_putc(&w, '"');
    }
    w_putc(&w, '}');
    return take_block(&w, 1);
}

static const morph_str NO_STR = {NULL, 0};

morph_result morph_fail(const char *message) {
    return fail_parts(message ? message : "error", NO_STR, "", NULL);
}

morph_result morph_failf(const char *fmt, ...) {
    char small[256];
    va_list args;
    if (fmt == NULL) return morph_fail(NULL);
    va_start(args, fmt);
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) return morph_fail(fmt);
    if ((size_t)n < sizeof small) return morph_fail(small);
    char *big = malloc((size_t)n + 1);
    if (big == NULL) return out_of_memory();
    va_start(args, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, args);
    va_end(args);
    morph_result r = morph_fail(big);
    free(big);
    return r;
}

morph_result morph_fail_with(const morph_error *err) {
    if (err == NULL) return morph_fail(NULL);
    return fail_parts(err->message, NO_STR, "", err->code);
}

/* ======================================================================== */
/* Capabilities                                                             */
/* ======================================================================== */

/* Copies NUL-terminated text into a fixed buffer, cut on a character. */
static void set_text(char *dst, size_t cap, const char *src, size_t n) {
    if (n >= cap) n = utf8_floor(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void set_error(morph_error *err, const char *code, const char *message) {
    if (err == NULL) return;
    set_text(err->code, sizeof err->code, code, strlen(code));
    set_text(err->message, sizeof err->message, message, strlen(message));
}

#ifdef __wasm__
__attribute__((import_module("morph"), import_name("call"))) int32_t
morph_import_call_(const char *cap, size_t cap_len, const char *req, size_t req_len);
__attribute__((import_module("morph"), import_name("response"))) int32_t
morph_import_response_(char *ptr, size_t len);
__attribute__((import_module("morph"), import_name("panic"))) void
morph_import_panic_(const char *ptr, size_t len);

/* Calls the host, then fetches the response into a buffer of our own (the
 * host never calls back into the guest during a host call). */
static char *transport(const char *cap, const char *req, size_t req_len, size_t *len,
                       morph_error *err) {
    int32_t n = morph_import_call_(cap, strlen(cap), req, req_len);
    if (n < 0) {
        set_error(err, "internal", "the host returned a negative response length");
        return NULL;
    }
    char *raw = malloc((size_t)n + 1);
    if (raw == NULL) {
        set_error(err, "internal", "out of memory for a capability response");
        return NULL;
    }
    if (morph_import_response_(raw, (size_t)n) != 0) {
        free(raw);
        set_error(err, "internal", "the host had no pending response to copy");
        return NULL;
    }
    raw[n] = '\0';
    *len = (size_t)n;
    return raw;
}
#else
static morph_mock_fn mock_host;

void morph_mock_host(morph_mock_fn host) { mock_host = host; }

/* Natively there is no host: only a mock installed by a test answers. */
static char *transport(const char *cap, const char *req, size_t req_len, size_t *len,
                       morph_error *err) {
    size_t n = 0;
    char *reply = mock_host ? mock_host(cap, req, req_len, &n) : NULL;
    if (reply == NULL) {
        char message[128];
        snprintf(message, sizeof message, "`%.64s`: not running inside a Morph host", cap);
        set_error(err, "unknown_capability", message);
        return NULL;
    }
    char *raw = realloc(reply, n + 1);
    if (raw == NULL) {
        free(reply);
        set_error(err, "internal", "out of memory for a capability response");
        return NULL;
    }
    raw[n] = '\0';
    *len = n;
    return raw;
}
#endif

bool morph_call(const char *capability, const char *request_json, size_t len,
                morph_response *response) {
    morph_response ignored;
    morph_response *r = response ? response : &ignored;
    memset(r, 0, sizeof *r);
    if (capability == NULL) {
        set_error(&r->error, "internal", "morph_call without a capability name");
        return false;
    }
    if (request_json == NULL) {
        request_json = "null";
        len = 4;
    }
    r->raw = transport(capability, request_json, len, &r->raw_len, &r->error);
    if (r->raw == NULL) return false;
    morph_json envelope = morph_json_parse(r->raw, r->raw_len);
    morph_json ok = morph_json_get(envelope, "ok");
    bool success = morph_json_exists(ok);
    morph_json e = morph_json_get(envelope, "error");
    if (success) {
        r->value = ok;
    } else if (morph_json_type_of(e) == MORPH_JSON_OBJECT) {
        size_t n;
        morph_json_copy(morph_json_get(e, "code"), r->error.code, sizeof r->error.code, &n);
        if (n >= sizeof r->error.code || r->error.code[0] == '\0')
            set_error(&r->error, "internal", "");
        morph_json_copy(morph_json_get(e, "message"), r->error.message, sizeof r->error.message,
                        &n);
        if (n >= sizeof r->error.message)
            r->error.message[utf8_floor(r->error.message, strlen(r->error.message))] = '\0';
    } else {
        set_error(&r->error, "internal", "the host sent a malformed response envelope");
    }
    if (response == NULL) morph_response_free(r);
    return success;
}

void morph_response_free(morph_response *response) {
    if (response == NULL) return;
    free(response->raw);
    memset(response, 0, sizeof *response);
}

/* Sends the writer's JSON to `capability`; `r` always needs freeing. */
static bool call_with(const char *capability, morph_writer *w, morph_response *r,
                      morph_error *err) {
    size_t len;
    const char *json = morph_writer_json(w, &len);
    memset(r, 0, sizeof *r);
    if (json == NULL) {
        morph_writer_free(w);
        set_error(err, "internal", "out of memory writing a capability request");
        return false;
    }
    bool ok = morph_call(capability, json, len, r);
    morph_writer_free(w);
    if (!ok && err) *err = r->error;
    return ok;
}

bool morph_log(morph_level level, const char *message) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    morph_writer w;
    morph_response r;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "level");
    morph_write_string(&w, (unsigned)level < 4 ? names[level] : "info");
    morph_write_key(&w, "message");
    morph_write_string(&w, message ? message : "");
    morph_write_object_end(&w);
    bool ok = call_with("log", &w, &r, NULL);
    morph_response_free(&r);
    return ok;
}

bool morph_logf(morph_level level, const char *fmt, ...) {
    char small[256];
    va_list args;
    if (fmt == NULL) return morph_log(level, "");
    va_start(args, fmt);
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) return morph_log(level, fmt);
    if ((size_t)n < sizeof small) return morph_log(level, small);
    char *big = malloc((size_t)n + 1);
    if (big == NULL) return morph_log(level, small); /* the cut line beats none */
    va_start(args, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, args);
    va_end(args);
    bool ok = morph_log(level, big);
    free(big);
    return ok;
}

bool morph_vault_get(const char *key, char **value, morph_error *err) {
    morph_writer w;
    morph_response r;
    if (value) *value = NULL;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "key");
    morph_write_string(&w, key ? key : "");
    morph_write_object_end(&w);
    if (!call_with("vault.get", &w, &r, err)) {
        morph_response_free(&r);
        return false;
    }
    morph_json v = morph_json_get(r.value, "value");
    bool ok = true;
    if (morph_json_type_of(v) == MORPH_JSON_STRING) {
        char *copy = morph_json_strdup(v, NULL);
        if (copy == NULL) {
            set_error(err, "internal", "out of memory copying a vault value");
            ok = false;
        } else if (value) {
            *value = copy;
        } else {
            free(copy);
        }
    } else if (morph_json_exists(v) && !morph_json_is_null(v)) {
        set_error(err, "internal", "unexpected `vault.get` response from the host");
        ok = false;
    }
    morph_response_free(&r);
    return ok;
}

bool morph_vault_set(const char *key, const char *value, morph_error *err) {
    morph_writer w;
    morph_response r;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "key");
    morph_write_string(&w, key ? key : "");
    morph_write_key(&w, "value");
    morph_write_string(&w, value ? value : "");
    morph_write_object_end(&w);
    bool ok = call_with("vault.set", &w, &r, err);
    morph_response_free(&r);
    return ok;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding, NUL-terminated; NULL when memory runs out. */
static char *base64_encode(const unsigned char *in, size_t n) {
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (out == NULL) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Decodes base64 (padding optional) into `out`, which holds n / 4 * 3 + 3
 * bytes; returns false on a character outside the alphabet. */
static bool base64_decode(const char *in, size_t n, unsigned char *out, size_t *len) {
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    while (n > 0 && in[n - 1] == '=') n--;
    for (size_t i = 0; i < n; i++) {
        const char *at = in[i] ? strchr(B64, in[i]) : NULL;
        if (at == NULL) return false;
        acc = (acc << 6) | (uint32_t)(at - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *len = o;
    return true;
}

/* Fills `resp` from the `http.fetch` value in `r` (takes r->raw). */
static bool http_response_from(morph_response *r, morph_http_response *resp, morph_error *err) {
    int64_t status = 0;
    morph_json body = morph_json_get(r->value, "body");
    morph_json encoding = morph_json_get(r->value, "body_encoding");
    size_t n = 0;
    char *text = morph_json_strdup(body, &n);
    if (!morph_json_int(morph_json_get(r->value, "status"), &status) ||
        (text == NULL && morph_json_exists(body))) {
        free(text);
        set_error(err, "internal", "unexpected `http.fetch` response from the host");
        return false;
    }
    if (text == NULL) text = calloc(1, 1);
    if (text != NULL && morph_json_string_eq(encoding, "base64")) {
        unsigned char *bytes = malloc(n / 4 * 3 + 4);
        size_t len = 0;
        bool decoded = bytes != NULL && base64_decode(text, n, bytes, &len);
        free(text);
        text = NULL;
        if (!decoded) {
            free(bytes);
            set_error(err, "internal", "the host sent a malformed base64 body");
            return false;
        }
        bytes[len] = '\0';
        text = (char *)bytes;
        n = len;
    }
    if (text == NULL) {
        set_error(err, "internal", "out of memory copying an HTTP body");
        return false;
    }
    resp->status = (int)status;
    resp->body = text;
    resp->body_len = n;
    resp->headers = morph_json_get(r->value, "headers");
    resp->raw = r->raw; /* `headers` points into it */
    r->raw = NULL;
    return true;
}

bool morph_http_fetch(const morph_http_request *request, morph_http_response *response,
                      morph_error *err) {
    morph_http_response ignored;
    morph_http_response *resp = response ? response : &ignored;
    morph_writer w;
    morph_response r;
    memset(resp, 0, sizeof *resp);
    if (request == NULL || request->url == NULL) {
        set_error(err, "invalid_request", "morph_http_fetch needs a URL");
        return false;
    }
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "method");
    morph_write_string(&w, request->method ? request->method : "GET");
    morph_write_key(&w, "url");
    morph_write_string(&w, request->url);
    morph_write_key(&w, "headers");
    morph_write_object_begin(&w);
    for (size_t i = 0; request->headers && i < request->header_count; i++) {
        if (request->headers[i].name == NULL) continue;
        morph_write_key(&w, request->headers[i].name);
        morph_write_string(&w, request->headers[i].value ? request->headers[i].value : "");
    }
    morph_write_object_end(&w);
    if (request->body && request->body_binary) {
        char *b64 = base64_encode(request->body, request->body_len);
        if (b64 == NULL) w.failed = true;
        morph_write_key(&w, "body");
        morph_write_string(&w, b64 ? b64 : "");
        morph_write_key(&w, "body_encoding");
        morph_write_string(&w, "base64");
        free(b64);
    } else if (request->body) {
        morph_write_key(&w, "body");
        morph_write_stringn(&w, request->body, request->body_len);
    }
    morph_write_object_end(&w);
    bool ok = call_with("http.fetch", &w, &r, err) && http_response_from(&r, resp, err);
    morph_response_free(&r);
    if (response == NULL) morph_http_response_free(resp);
    return ok;
}

bool morph_http_get(const char *url, morph_http_response *response, morph_error *err) {
    morph_http_request request = {0};
    request.url = url;
    return morph_http_fetch(&request, response, err);
}

void morph_http_response_free(morph_http_response *response) {
    if (response == NULL) return;
    free(response->body);
    free(response->raw);
    memset(response, 0, sizeof *response);
}

/* ======================================================================== */
/* The extension and the ABI's exports                                      */
/* ======================================================================== */

__attribute__((weak)) morph_result morph_extension_init(morph_json config) {
    (void)config;
    return morph_ok_null();
}

__attribute__((weak)) morph_result morph_extension_on_event(morph_json event) {
    (void)event;
    return morph_ok_null();
}

morph_result morph_dispatch(const morph_action *actions, size_t count, morph_str action,
                            morph_json params) {
    for (size_t i = 0; actions && i < count; i++) {
        if (actions[i].run && morph_str_eq(action, actions[i].name)) return actions[i].run(params);
    }
    return fail_parts("unknown action `", action, "`", NULL);
}

_Noreturn void morph_panic(const char *message) {
    if (message == NULL) message = "morph_panic";
#ifdef __wasm__
    size_t n = strlen(message);
    if (n > 4096) n = utf8_floor(message, 4096);
    morph_import_panic_(message, n);
    __builtin_trap();
#else
    fprintf(stderr, "morph_panic: %s\n", message);
    abort();
#endif
}

/* Entry-point helpers: used by the exports below, and natively by tests. */
#if defined(__GNUC__) || defined(__clang__)
#define MORPH_ENTRY static __attribute__((unused))
#else
#define MORPH_ENTRY static
#endif

/* The input of an entry point as JSON; `null` when empty. */
MORPH_ENTRY morph_json entry_input(const char *ptr, size_t len) {
    static const char null_text[] = "null";
    if (len == 0) return morph_json_parse(null_text, 4);
    return morph_json_parse(ptr, len);
}

MORPH_ENTRY morph_result run_execute(const char *action, size_t action_len, const char *params,
                                size_t params_len) {
    morph_json p = entry_input(params, params_len);
    if (p.ptr == NULL)
        return morph_fail("malformed params from the host (not JSON, or nested too deep)");
    morph_str name = {action, action_len};
    return morph_extension_execute(name, p);
}

MORPH_ENTRY morph_result run_hook(morph_result (*hook)(morph_json), const char *ptr, size_t len) {
    morph_json input = entry_input(ptr, len);
    if (input.ptr == NULL) return morph_fail("malformed input from the host");
    return hook(input);
}

#ifdef __wasm__
#define MORPH_EXPORT(name) __attribute__((export_name(name)))

/* Hands a result block to the host as (ptr << 32) | len; the host copies it,
 * then frees it with morph_free. */
static uint64_t finish(morph_result r) {
    /* Text written without a final newline becomes a log line now (ABI.md). */
    fflush(NULL);
    if (r.block == NULL || r.len == 0) {
        r.block = NO_RESULT;
        r.len = sizeof NO_RESULT - 1;
    }
    return ((uint64_t)(uintptr_t)r.block << 32) | (uint32_t)r.len;
}

MORPH_EXPORT("morph_abi_version") int32_t morph_abi_version(void) { return MORPH_ABI_VERSION; }

MORPH_EXPORT("morph_alloc") void *morph_alloc(int32_t size) {
    return size < 0 ? NULL : malloc(size == 0 ? 1 : (size_t)size);
}

MORPH_EXPORT("morph_free") void morph_free(void *ptr, int32_t size) {
    (void)size; /* malloc knows */
    if (!is_static_result(ptr)) free(ptr);
}

/* Version 2: one input block, the action name then the params; ours to free. */
MORPH_EXPORT("morph_execute")
uint64_t morph_execute(char *action, size_t action_len, char *params, size_t params_len) {
    morph_result r = run_execute(action, action_len, params, params_len);
    free(action);
    return finish(r);
}

MORPH_EXPORT("morph_init") uint64_t morph_init(char *ptr, size_t len) {
    morph_result r = run_hook(morph_extension_init, ptr, len);
    free(ptr);
    return finish(r);
}

MORPH_EXPORT("morph_on_event") uint64_t morph_on_event(char *ptr, size_t len) {
    morph_result r = run_hook(morph_extension_on_event, ptr, len);
    free(ptr);
    return finish(r);
}
#endif
