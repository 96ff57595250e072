/*
 * morph_test.c: native unit tests of the C SDK (sdk/c/morph.c), built with
 * the host's C compiler under AddressSanitizer and UBSan by
 * sdk/c/tests/run.sh.
 *
 * It includes morph.c itself to reach the entry-point helpers, and checks
 * what the host sees: the JSON reader on good, bad and mutated input (never
 * out of bounds), the writer's output (always well-formed, valid UTF-8),
 * the version-2 result blocks, and the request and response shapes of the
 * capability helpers through a mock host (the shapes of sdk/rust's
 * http.rs, vault.rs and log.rs). Prints "N passed, M failed".
 */
#include "../morph.c"

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (cond) {                                                                \
            passed++;                                                              \
        } else {                                                                   \
            failed++;                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                          \
    } while (0)

static morph_json parse(const char *text) { return morph_json_parse(text, strlen(text)); }

/* Whether the result block is `tag` followed by exactly `body`. */
static bool block_is(morph_result r, char tag, const char *body) {
    size_t n = strlen(body);
    bool same = r.block && r.len == n + 1 && r.block[0] == tag && memcmp(r.block + 1, body, n) == 0;
    if (!same && r.block)
        fprintf(stderr, "  block: tag %d, %.*s\n", r.block[0], (int)r.len - 1, r.block + 1);
    return same;
}

static bool written_is(morph_writer *w, const char *expected) {
    size_t len;
    const char *json = morph_writer_json(w, &len);
    bool same = json && len == strlen(expected) && memcmp(json, expected, len) == 0;
    if (!same) fprintf(stderr, "  wrote: %.*s\n", json ? (int)len : 6, json ? json : "(none)");
    return same;
}

static void test_reader_accepts_json_and_rejects_the_rest(void) {
    const char *good[] = {
        "null", " true ", "false", "0", "-0", "12", "-3.25e+10", "1E-2", "\"\"",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\"", "[]", "{}", "[1,[2,[3]],{\"a\":{}}]",
        "{\"a\" : 1 , \"b\":[ true , null ]}\n", "\"\xC3\xA9\"",
    };
    const char *bad[] = {
        "", "   ", "nul", "tru", "01", "-", "1.", "1e", "+1", ".5", "[1,]", "{\"a\":1,}", "[1 2]",
        "{\"a\"}", "{1:2}", "{\"a\":}", "[", "]", "[1]]", "{\"a\":1}}", "\"abc", "\"\\x\"",
        "\"\\u12G4\"", "\"\\u12\"", "\"a\nb\"", "1 2", "[}", "{]", "nulls", "\"\\",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        CHECK(morph_json_exists(parse(good[i])));
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (morph_json_exists(parse(bad[i]))) fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK(!morph_json_exists(parse(bad[i])));
    }
    /* An embedded NUL ends nothing: the length does. */
    CHECK(!morph_json_exists(morph_json_parse("\"a\0b\"", 5)));
    CHECK(morph_json_parse(" 7 ", 3).len == 1);
    CHECK(!morph_json_exists(morph_json_parse(NULL, 3)));
}

static void test_nesting_is_capped_without_recursion(void) {
    char deep[2 * (MORPH_JSON_MAX_DEPTH + 1)];
    size_t n = MORPH_JSON_MAX_DEPTH;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    CHECK(morph_json_exists(morph_json_parse(deep, 2 * n)));
    n++;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    CHECK(!morph_json_exists(morph_json_parse(deep, 2 * n)));
    /* A million open brackets: refused at depth 129, no stack used. */
    size_t big = 1000000;
    char *many = malloc(big);
    memset(many, '[', big);
    CHECK(!morph_json_exists(morph_json_parse(many, big)));
    free(many);
}

static void test_members_elements_and_iteration(void) {
    morph_json doc = parse("{\"name\":\"Ada\",\"n\":[1,{\"x\":2},\"s\"],\"na\\u006de\":\"Bob\","
                           "\"flag\":true,\"nothing\":null,\"d\":-1.5}");
    char buf[16];
    CHECK(morph_json_type_of(doc) == MORPH_JSON_OBJECT);
    CHECK(morph_json_copy(morph_json_get(doc, "name"), buf, sizeof buf, NULL));
    CHECK(strcmp(buf, "Bob") == 0); /* the escaped duplicate comes last and wins */
    CHECK(!morph_json_exists(morph_json_get(doc, "missing")));
    CHECK(!morph_json_exists(morph_json_get(doc, "nam")));
    morph_json arr = morph_json_get(doc, "n");
    CHECK(morph_json_count(arr) == 3);
    CHECK(morph_json_count(doc) == 6);
    int64_t x = 0;
    CHECK(morph_json_int(morph_json_get(morph_json_at(arr, 1), "x"), &x) && x == 2);
    CHECK(morph_json_string_eq(morph_json_at(arr, 2), "s"));
    CHECK(!morph_json_exists(morph_json_at(arr, 3)));
    CHECK(!morph_json_exists(morph_json_at(doc, 0)));
    CHECK(!morph_json_exists(morph_json_get(arr, "x")));
    bool flag = false;
    CHECK(morph_json_bool(morph_json_get(doc, "flag"), &flag) && flag);
    CHECK(morph_json_is_null(morph_json_get(doc, "nothing")));
    CHECK(!morph_json_is_null(morph_json_get(doc, "missing")));
    double d = 0;
    CHECK(morph_json_number(morph_json_get(doc, "d"), &d) && d == -1.5);
    CHECK(!morph_json_int(morph_json_get(doc, "d"), &x));

    morph_json_iter it = morph_json_iterate(doc);
    morph_json k, v;
    size_t count = 0;
    while (morph_json_next(&it, &k, &v)) count++;
    CHECK(count == 6);
    CHECK(!morph_json_next(&it, &k, &v));
    it = morph_json_iterate(parse("[]"));
    CHECK(!morph_json_next(&it, NULL, &v));
    it = morph_json_iterate(parse("\"str\""));
    CHECK(!morph_json_next(&it, NULL, &v));
}

static void test_strings_are_unescaped_and_bounded(void) {
    char buf[8];
    size_t len = 0;
    morph_json s = parse("\"\\u00e9\\ud83d\\ude00\\n\"");
    char *dup = morph_json_strdup(s, &len);
    CHECK(dup && len == 7 && strcmp(dup, "\xC3\xA9\xF0\x9F\x98\x80\n") == 0);
    free(dup);
    /* Too small: cut, NUL-terminated, false, full length reported. */
    CHECK(!morph_json_copy(parse("\"abcdefghij\""), buf, sizeof buf, &len));
    CHECK(len == 10 && strcmp(buf, "abcdefg") == 0);
    CHECK(morph_json_copy(parse("\"abcdefg\""), buf, sizeof buf, &len) && len == 7);
    CHECK(!morph_json_copy(parse("12"), buf, sizeof buf, NULL) && buf[0] == '\0');
    CHECK(morph_json_strdup(parse("12"), NULL) == NULL);
    /* Lone surrogates read as U+FFFD. */
    dup = morph_json_strdup(parse("\"\\ud800x\\udc00\""), &len);
    CHECK(dup && strcmp(dup, "\xEF\xBF\xBDx\xEF\xBF\xBD") == 0);
    free(dup);
    /* A hand-made span that ends inside an escape stays inside its bytes. */
    morph_json odd = {"\"ab\\\"", 5};
    dup = morph_json_strdup(odd, &len);
    CHECK(dup != NULL);
    free(dup);
    morph_json truncated = {"\"\\u12\"", 6};
    CHECK(morph_json_copy(truncated, buf, sizeof buf, &len));
    CHECK(morph_json_string_eq(parse("\"\\u0041b\""), "Ab"));
    CHECK(!morph_json_string_eq(parse("\"Ab\""), "Abc"));
    CHECK(!morph_json_string_eq(parse("\"Abc\""), "Ab"));
}

static void test_integers_are_exact_or_refused(void) {
    int64_t n = 0;
    CHECK(morph_json_int(parse("9223372036854775807"), &n) && n == INT64_MAX);
    CHECK(morph_json_int(parse("-9223372036854775808"), &n) && n == INT64_MIN);
    CHECK(!morph_json_int(parse("9223372036854775808"), &n));
    CHECK(!morph_json_int(parse("-9223372036854775809"), &n));
    CHECK(!morph_json_int(parse("1e3"), &n));
    CHECK(!morph_json_int(parse("\"1\""), &n));
    CHECK(morph_json_int(parse("-0"), &n) && n == 0);
    double d;
    char long_number[200];
    memset(long_number, '1', sizeof long_number - 1);
    long_number[sizeof long_number - 1] = '\0';
    CHECK(morph_json_number(parse(long_number), &d) && d > 1e198);
}

static void test_writer_output_is_well_formed(void) {
    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "s");
    morph_write_string(&w, "q\"b\\n\n\x01\x7f\xC3\xA9");
    morph_write_key(&w, "bad");
    morph_write_stringn(&w, "a\xFF\xC3z\xED\xA0\x80", 7);
    morph_write_key(&w, "list");
    morph_write_array_begin(&w);
    morph_write_int(&w, INT64_MIN);
    morph_write_int(&w, 0);
    morph_write_double(&w, 0.1);
    morph_write_double(&w, NAN);
    morph_write_bool(&w, false);
    morph_write_null(&w);
    morph_write_array_begin(&w);
    morph_write_array_end(&w);
    morph_write_object_begin(&w);
    morph_write_object_end(&w);
    morph_write_json(&w, parse(" {\"k\": [1, 2]} "));
    morph_write_array_end(&w);
    morph_write_key(&w, "nul");
    morph_write_stringn(&w, "a\0b", 3);
    morph_write_object_end(&w);
    CHECK(written_is(&w, "{\"s\":\"q\\\"b\\\\n\\n\\u0001\x7f\xC3\xA9\","
                         "\"bad\":\"a\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\","
                         "\"list\":[-9223372036854775808,0,0.1,null,false,null,[],{},"
                         "{\"k\": [1, 2]}],\"nul\":\"a\\u0000b\"}"));
    morph_writer_free(&w);

    /* Misuse fails the writer instead of writing bad JSON. */
    morph_writer_init(&w);
    morph_write_array_begin(&w);
    morph_write_key(&w, "k");
    CHECK(w.failed && morph_writer_json(&w, NULL) == NULL);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_int(&w, 1);
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_int(&w, 1);
    morph_write_int(&w, 2);
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_array_end(&w);
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "k");
    morph_write_object_end(&w);
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_json(&w, parse("[1,"));
    morph_write_json(&w, (morph_json){"[1,", 3});
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    for (int i = 0; i < MORPH_WRITER_MAX_DEPTH + 1; i++) morph_write_array_begin(&w);
    CHECK(w.failed);
    morph_writer_free(&w);
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    CHECK(morph_writer_json(&w, NULL) == NULL); /* incomplete */
    morph_writer_free(&w);
}

static void test_writer_round_trips_random_bytes(void) {
    unsigned seed = 12345;
    char bytes[64], back[512];
    int wrong = 0, exact = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            bytes[i] = (char)(seed >> 16);
        }
        morph_writer w;
        morph_writer_init(&w);
        morph_write_stringn(&w, bytes, n);
        size_t len;
        const char *json = morph_writer_json(&w, &len);
        morph_json v = json ? morph_json_parse(json, len) : NO_VALUE;
        if (morph_json_type_of(v) != MORPH_JSON_STRING) wrong++;
        /* Valid UTF-8 comes back byte for byte. */
        size_t k = 0;
        while (k < n && ((unsigned char)bytes[k] < 0x80 ||
                         utf8_sequence((const unsigned char *)bytes + k, n - k))) {
            k += (unsigned char)bytes[k] < 0x80 ? 1 : utf8_sequence((const unsigned char *)bytes + k, n - k);
        }
        if (k == n) {
            size_t got;
            if (!morph_json_copy(v, back, sizeof back, &got) || got != n ||
                memcmp(back, bytes, n) != 0)
                wrong++;
            exact++;
        }
        morph_writer_free(&w);
    }
    CHECK(wrong == 0);
    CHECK(exact > 300); /* enough of the inputs were valid UTF-8 to compare */
}

/* Mutates valid documents and runs every accessor on what still parses and
 * on raw spans of what does not: AddressSanitizer catches any stray read. */
static void walk(morph_json v, int depth) {
    char buf[8];
    int64_t i;
    double d;
    bool b;
    morph_json k, e;
    free(morph_json_strdup(v, NULL));
    morph_json_copy(v, buf, sizeof buf, NULL);
    morph_json_int(v, &i);
    morph_json_number(v, &d);
    morph_json_bool(v, &b);
    morph_json_get(v, "a");
    morph_json_at(v, 1);
    morph_json_count(v);
    if (depth > 4) return;
    morph_json_iter it = morph_json_iterate(v);
    while (morph_json_next(&it, &k, &e)) {
        morph_json_string_eq(k, "a");
        walk(e, depth + 1);
    }
}

static void test_mutated_input_never_escapes_its_span(void) {
    const char *seeds[] = {
        "{\"a\":[1,2,{\"b\":\"c\\u00e9\\ud83d\\ude00\"}],\"d\":-1.5e3,\"e\":true,\"f\":null}",
        "[\"\\\"\\\\\",[[[]]],{},0,\"x\"]",
    };
    unsigned seed = 42;
    char buf[128];
    int still_json = 0;
    for (int round = 0; round < 100000; round++) {
        const char *s = seeds[round % 2];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        for (int m = 0; m < round % 4; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            static const char pool[] = "{}[]\",:\\u0e-.tn \x80";
            buf[at] = pool[(seed >> 20) % (sizeof pool - 1)];
        }
        seed = seed * 1103515245u + 12345u;
        size_t len = round % 3 ? n : 1 + (seed >> 8) % n;
        /* An exact-size heap copy, so a read past the end is caught. */
        char *copy = malloc(len);
        memcpy(copy, buf, len);
        morph_json v = morph_json_parse(copy, len);
        walk(v, 0);
        morph_json raw = {copy, len};
        walk(raw, 0);
        if (morph_json_exists(v)) still_json++;
        free(copy);
    }
    CHECK(still_json > 1000); /* the accessors saw many well-formed documents */
}

static void test_result_blocks_follow_abi_version_2(void) {
    morph_result r = morph_ok_null();
    CHECK(block_is(r, 0, ""));
    morph_result_free(&r);
    r = morph_ok_json(" {\"a\": 1} ");
    CHECK(block_is(r, 0, "{\"a\": 1}"));
    morph_result_free(&r);
    r = morph_ok_json("{\"a\": ");
    CHECK(block_is(r, 1, "{\"message\":\"the extension returned malformed JSON\"}"));
    morph_result_free(&r);
    r = morph_ok_text("caf\xC3\xA9 \xFF");
    CHECK(block_is(r, 2, "caf\xC3\xA9 \xEF\xBF\xBD"));
    morph_result_free(&r);
    r = morph_fail("bad \"x\"");
    CHECK(block_is(r, 1, "{\"message\":\"bad \\\"x\\\"\"}"));
    morph_result_free(&r);
    morph_error e;
    set_error(&e, "permission_denied", "no vault:read");
    r = morph_fail_with(&e);
    CHECK(block_is(r, 1, "{\"message\":\"no vault:read\",\"code\":\"permission_denied\"}"));
    morph_result_free(&r);
    char long_name[600];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    r = morph_failf("%s!", long_name);
    CHECK(r.len == 1 + strlen("{\"message\":\"\"}") + 600);
    morph_result_free(&r);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "greeting");
    morph_write_string(&w, "Hello, Ada!");
    morph_write_object_end(&w);
    r = morph_ok(&w);
    CHECK(block_is(r, 0, "{\"greeting\":\"Hello, Ada!\"}"));
    CHECK(w.buf == NULL);
    morph_result_free(&r);
    morph_writer_init(&w);
    morph_write_array_begin(&w);
    r = morph_ok(&w);
    CHECK(r.block && r.block[0] == 1);
    morph_result_free(&r);
    morph_writer_init(&w);
    r = morph_ok(&w);
    CHECK(block_is(r, 0, ""));
    morph_result_free(&r);
    r = out_of_memory();
    morph_result_free(&r); /* a static block is never freed */
    CHECK(r.block == NULL);
}

static morph_result echo(morph_json params) {
    morph_writer w;
    morph_writer_init(&w);
    morph_write_json(&w, params);
    return morph_ok(&w);
}

MORPH_ACTIONS({"echo", echo}, {"nothing", NULL})

static void test_dispatch_and_entry(void) {
    char block[] = "echo{\"a\":[1]}";
    morph_result r = run_execute(block, 4, block + 4, strlen(block) - 4);
    CHECK(block_is(r, 0, "{\"a\":[1]}"));
    morph_result_free(&r);
    r = run_execute(block, 4, block + 4, 0);
    CHECK(block_is(r, 0, "null"));
    morph_result_free(&r);
    r = run_execute(block, 4, block + 4, 3);
    CHECK(r.block && r.block[0] == 1);
    morph_result_free(&r);
    char odd[] = "no\"pe";
    r = run_execute(odd, 5, "null", 4);
    CHECK(block_is(r, 1, "{\"message\":\"unknown action `no\\\"pe`\"}"));
    morph_result_free(&r);
    r = run_execute("nothing", 7, "null", 4);
    CHECK(block_is(r, 1, "{\"message\":\"unknown action `nothing`\"}"));
    morph_result_free(&r);
    r = run_hook(morph_extension_init, "{\"k\":1}", 7);
    CHECK(block_is(r, 0, ""));
    morph_result_free(&r);
    r = run_hook(morph_extension_on_event, "{", 1);
    CHECK(r.block && r.block[0] == 1);
    morph_result_free(&r);
}

/* The mock host: records the last request, answers with `reply`. */
static char last_cap[64], last_req[1024];
static const char *reply;

static char *mock(const char *cap, const char *req, size_t len, size_t *out_len) {
    snprintf(last_cap, sizeof last_cap, "%s", cap);
    snprintf(last_req, sizeof last_req, "%.*s", (int)len, req);
    if (reply == NULL) return NULL;
    *out_len = strlen(reply);
    char *copy = malloc(*out_len);
    memcpy(copy, reply, *out_len);
    return copy;
}

static void test_capabilities_send_the_wire_shapes(void) {
    morph_error err;
    morph_response resp;
    CHECK(!morph_call("log", NULL, 0, &resp));
    CHECK(strcmp(resp.error.code, "unknown_capability") == 0);
    morph_response_free(&resp);

    morph_mock_host(mock);
    reply = "{\"ok\":null}";
    CHECK(morph_log(MORPH_WARN, "careful \"now\""));
    CHECK(strcmp(last_cap, "log") == 0);
    CHECK(strcmp(last_req, "{\"level\":\"warn\",\"message\":\"careful \\\"now\\\"\"}") == 0);
    CHECK(morph_logf(MORPH_DEBUG, "n=%d", 5));
    CHECK(strcmp(last_req, "{\"level\":\"debug\",\"message\":\"n=5\"}") == 0);

    char *value = (char *)1;
    reply = "{\"ok\":{\"value\":\"s3cr\\u00e9t\"}}";
    CHECK(morph_vault_get("token", &value, &err) && value && strcmp(value, "s3cr\xC3\xA9t") == 0);
    CHECK(strcmp(last_cap, "vault.get") == 0 && strcmp(last_req, "{\"key\":\"token\"}") == 0);
    free(value);
    reply = "{\"ok\":{\"value\":null}}";
    CHECK(morph_vault_get("other", &value, &err) && value == NULL);
    reply = "{\"error\":{\"code\":\"permission_denied\",\"message\":\"no vault:read\"}}";
    CHECK(!morph_vault_get("k", &value, &err) && value == NULL);
    CHECK(strcmp(err.code, "permission_denied") == 0 && strcmp(err.message, "no vault:read") == 0);
    reply = "{\"ok\":null}";
    CHECK(morph_vault_set("k", "v", &err));
    CHECK(strcmp(last_req, "{\"key\":\"k\",\"value\":\"v\"}") == 0);

    morph_header headers[] = {{"accept", "application/json"}, {"x-n", "1"}};
    morph_http_request req = {.method = "POST",
                              .url = "https://a.example/x",
                              .headers = headers,
                              .header_count = 2,
                              .body = "{\"a\":1}",
                              .body_len = 7};
    morph_http_response http;
    reply = "{\"ok\":{\"status\":201,\"headers\":{\"content-type\":\"application/json\"},"
            "\"body\":\"{\\\"id\\\": 4}\"}}";
    CHECK(morph_http_fetch(&req, &http, &err));
    CHECK(strcmp(last_cap, "http.fetch") == 0);
    CHECK(strcmp(last_req, "{\"method\":\"POST\",\"url\":\"https://a.example/x\",\"headers\":"
                           "{\"accept\":\"application/json\",\"x-n\":\"1\"},"
                           "\"body\":\"{\\\"a\\\":1}\"}") == 0);
    int64_t id = 0;
    CHECK(http.status == 201 && http.body_len == 9);
    CHECK(morph_json_int(morph_json_get(morph_json_parse(http.body, http.body_len), "id"), &id) &&
          id == 4);
    CHECK(morph_json_string_eq(morph_json_get(http.headers, "content-type"), "application/json"));
    morph_http_response_free(&http);

    static const unsigned char binary[] = {0xff, 0x00, 0x10};
    morph_http_request put = {.method = "PUT", .url = "https://a.example/y", .body = binary,
                              .body_len = 3, .body_binary = true};
    reply = "{\"ok\":{\"status\":200,\"headers\":{},\"body\":\"/wA=\",\"body_encoding\":\"base64\"}}";
    CHECK(morph_http_fetch(&put, &http, &err));
    CHECK(strcmp(last_req, "{\"method\":\"PUT\",\"url\":\"https://a.example/y\",\"headers\":{},"
                           "\"body\":\"/wAQ\",\"body_encoding\":\"base64\"}") == 0);
    CHECK(http.body_len == 2 && (unsigned char)http.body[0] == 0xff && http.body[1] == 0 &&
          http.body[2] == 0);
    morph_http_response_free(&http);

    reply = "{\"error\":{\"code\":\"host_not_allowed\",\"message\":\"evil.example is not allowed\"}}";
    CHECK(!morph_http_get("https://evil.example/", &http, &err));
    CHECK(strcmp(last_req, "{\"method\":\"GET\",\"url\":\"https://evil.example/\",\"headers\":{}}") == 0);
    CHECK(strcmp(err.code, "host_not_allowed") == 0 && http.body == NULL);
    morph_http_response_free(&http);
    reply = "{\"ok\":{\"status\":200,\"headers\":{},\"body\":\"*\",\"body_encoding\":\"base64\"}}";
    CHECK(!morph_http_get("https://a.example/", &http, &err) && strcmp(err.code, "internal") == 0);
    morph_http_response_free(&http);

    /* Malformed envelopes and over-long codes and messages. */
    reply = "[1]";
    CHECK(!morph_call("config", "{}", 2, &resp) && strcmp(resp.error.code, "internal") == 0);
    morph_response_free(&resp);
    static char long_reply[2048];
    strcpy(long_reply, "{\"error\":{\"code\":\"a_code_that_is_much_longer_than_32_bytes\","
                       "\"message\":\"");
    for (int i = 0; i < 300; i++) strcat(long_reply, "\xC3\xA9");
    strcat(long_reply, "\"}}");
    reply = long_reply;
    CHECK(!morph_call("config", "{}", 2, &resp));
    CHECK(strcmp(resp.error.code, "internal") == 0);
    CHECK(strlen(resp.error.message) == 478 && utf8_floor(resp.error.message, 478) == 478);
    morph_result r = morph_fail_with(&resp.error);
    CHECK(morph_json_exists(morph_json_parse(r.block + 1, r.len - 1)));
    morph_result_free(&r);
    morph_response_free(&resp);
    reply = "{\"ok\":{\"a\":1}}";
    CHECK(morph_call("config", "{}", 2, &resp) && morph_json_count(resp.value) == 1);
    morph_response_free(&resp);
    CHECK(morph_call("config", "{}", 2, NULL));
    morph_mock_host(NULL);
}

static void test_base64_round_trips(void) {
    unsigned char bytes[40], back[64];
    for (size_t n = 0; n < sizeof bytes; n++) {
        for (size_t i = 0; i < n; i++) bytes[i] = (unsigned char)(i * 37 + n);
        char *text = base64_encode(bytes, n);
        size_t len = 0;
        CHECK(text && strlen(text) == (n + 2) / 3 * 4);
        CHECK(base64_decode(text, strlen(text), back, &len) && len == n &&
              memcmp(back, bytes, n) == 0);
        free(text);
    }
    size_t len;
    CHECK(!base64_decode("ab$d", 4, back, &len));
}

int main(void) {
    test_reader_accepts_json_and_rejects_the_rest();
    test_nesting_is_capped_without_recursion();
    test_members_elements_and_iteration();
    test_strings_are_unescaped_and_bounded();
    test_integers_are_exact_or_refused();
    test_writer_output_is_well_formed();
    test_writer_round_trips_random_bytes();
    test_mutated_input_never_escapes_its_span();
    test_result_blocks_follow_abi_version_2();
    test_dispatch_and_entry();
    test_capabilities_send_the_wire_shapes();
    test_base64_round_trips();
    printf("sdk/c: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
