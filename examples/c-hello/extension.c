/*
 * c-hello: an example Morph extension in C, on sdk/c (morph.h / morph.c).
 *
 * Actions (declared in manifest.yaml; the host checks the params first):
 * - hello {name}: {"greeting": "Hello, NAME!"} (the word is config.salutation);
 * - log_message {message, level}: logs through the `log` capability and
 *   returns {"logged": MESSAGE, "level": LEVEL};
 * - token_status: vault.get of config.token_key; {"key", "present",
 *   "length"}, never the secret;
 * - fetch {path}: GET https://example.com{path} through http.fetch;
 *   {"url", "status", "content_type", "bytes"};
 * - print {count}: printf()s `count` lines (log records at info) and one
 *   line to stderr (warn); returns the text "printed N lines".
 *
 * **No parameter reaches a URL unchecked**: `path` must start with `/` and
 * use only URL-safe characters; which hosts are reachable at all is the
 * manifest's allowed_hosts, enforced by the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "morph.h"

/* The config, read once per instance by morph_extension_init. */
static char salutation[64] = "Hello";
static char token_key[257] = "api_token";

morph_result morph_extension_init(morph_json config) {
    morph_json s = morph_json_get(config, "salutation");
    morph_json k = morph_json_get(config, "token_key");
    if (morph_json_exists(s) && !morph_json_copy(s, salutation, sizeof salutation, NULL))
        return morph_fail("config salutation must be a string of at most 63 bytes");
    if (morph_json_exists(k) && !morph_json_copy(k, token_key, sizeof token_key, NULL))
        return morph_fail("config token_key must be a string of at most 256 bytes");
    return morph_ok_null();
}

static morph_result hello(morph_json params) {
    char *name = morph_json_strdup(morph_json_get(params, "name"), NULL);
    if (name == NULL) return morph_fail("`name` must be a string");
    char greeting[512];
    snprintf(greeting, sizeof greeting, "%s, %s!", salutation, name);
    free(name);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "greeting");
    morph_write_string(&w, greeting);
    morph_write_object_end(&w);
    return morph_ok(&w);
}

static morph_result log_message(morph_json params) {
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    char *message = morph_json_strdup(morph_json_get(params, "message"), NULL);
    if (message == NULL) return morph_fail("`message` must be a string");
    morph_level level = MORPH_INFO;
    for (int i = 0; i < 4; i++) {
        if (morph_json_string_eq(morph_json_get(params, "level"), levels[i])) level = (morph_level)i;
    }
    morph_log(level, message);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "logged");
    morph_write_string(&w, message);
    morph_write_key(&w, "level");
    morph_write_string(&w, levels[level]);
    morph_write_object_end(&w);
    free(message);
    return morph_ok(&w);
}

static morph_result token_status(morph_json params) {
    (void)params;
    char *token = NULL;
    morph_error err;
    if (!morph_vault_get(token_key, &token, &err)) return morph_fail_with(&err);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "key");
    morph_write_string(&w, token_key);
    morph_write_key(&w, "present");
    morph_write_bool(&w, token != NULL);
    morph_write_key(&w, "length");
    morph_write_int(&w, token ? (int64_t)strlen(token) : 0);
    morph_write_object_end(&w);
    free(token);
    return morph_ok(&w);
}

/* Whether `path` is `/` followed by URL-safe characters only. */
static bool safe_path(const char *path) {
    if (path[0] != '/') return false;
    for (const char *p = path; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-~?=&%", *p))
            return false;
    }
    return true;
}

static morph_result fetch(morph_json params) {
    char path[256] = "/";
    morph_json p = morph_json_get(params, "path");
    if (morph_json_exists(p) && !morph_json_copy(p, path, sizeof path, NULL))
        return morph_fail("`path` must be a string of at most 255 bytes");
    if (!safe_path(path)) return morph_fail("`path` must start with / and be URL-safe");
    char url[300];
    snprintf(url, sizeof url, "https://example.com%s", path);

    morph_http_response resp;
    morph_error err;
    if (!morph_http_get(url, &resp, &err)) {
        morph_http_response_free(&resp);
        return morph_fail_with(&err);
    }
    char content_type[128] = "";
    morph_json_copy(morph_json_get(resp.headers, "content-type"), content_type,
                    sizeof content_type, NULL);

    morph_writer w;
    morph_writer_init(&w);
    morph_write_object_begin(&w);
    morph_write_key(&w, "url");
    morph_write_string(&w, url);
    morph_write_key(&w, "status");
    morph_write_int(&w, resp.status);
    morph_write_key(&w, "content_type");
    morph_write_string(&w, content_type);
    morph_write_key(&w, "bytes");
    morph_write_int(&w, (int64_t)resp.body_len);
    morph_write_object_end(&w);
    morph_http_response_free(&resp);
    return morph_ok(&w);
}

static morph_result print(morph_json params) {
    int64_t count = 2;
    morph_json c = morph_json_get(params, "count");
    if (morph_json_exists(c) && (!morph_json_int(c, &count) || count < 0 || count > 10))
        return morph_fail("`count` must be an integer from 0 to 10");
    for (int64_t i = 1; i <= count; i++) printf("line %d from printf\n", (int)i);
    fprintf(stderr, "and one line to stderr\n");
    char text[32];
    snprintf(text, sizeof text, "printed %d line%s", (int)count, count == 1 ? "" : "s");
    return morph_ok_text(text);
}

MORPH_ACTIONS(
    {"hello", hello},
    {"log_message", log_message},
    {"token_status", token_status},
    {"fetch", fetch},
    {"print", print},
)
