/*
 * The C API's contract, checked from C: NULL for every pointer gives LUCID_STATUS_NULL_ARGUMENT
 * (never a crash), invalid UTF-8 gives LUCID_STATUS_INVALID_UTF8, out-parameters are written
 * only on success, and a real round trip against the local server at argv[1] works.
 * Run by tests/c_programs.rs; prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lucidauth.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (cond) {                                                      \
            passed++;                                                    \
        } else {                                                         \
            failed++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                \
    } while (0)

/* Checks that a call failed with `want`, that the error says so, and frees the error. */
static void expect_status(LucidStatus got, LucidError *err, LucidStatus want, const char *needle) {
    CHECK(got == want);
    CHECK(err != NULL);
    CHECK(lucid_error_status(err) == want);
    const char *message = lucid_error_message(err);
    CHECK(message != NULL && strstr(message, needle) != NULL);
    if (got != want || message == NULL || strstr(message, needle) == NULL) {
        fprintf(stderr, "  got %s: %s (wanted %s mentioning '%s')\n", lucid_status_name(got),
                message ? message : "(null)", lucid_status_name(want), needle);
    }
    lucid_error_free(err);
}

#define EXPECT_NULL_ARG(call, name)                                     \
    do {                                                                \
        LucidError *err = NULL;                                         \
        LucidStatus st = (call);                                        \
        expect_status(st, err, LUCID_STATUS_NULL_ARGUMENT, "'" name "'"); \
    } while (0)

static void null_arguments(const LucidCredentials *creds, const LucidClient *client) {
    LucidCredentials *c = NULL;
    LucidClient *cl = NULL;
    LucidResponse *r = NULL;
    char *token = NULL;
    const char *name = NULL, *value = NULL;

    EXPECT_NULL_ARG(lucid_credentials_new(NULL, "s", &c, &err), "client_id");
    EXPECT_NULL_ARG(lucid_credentials_new("i", NULL, &c, &err), "client_secret");
    EXPECT_NULL_ARG(lucid_credentials_new("i", "s", NULL, &err), "out");
    EXPECT_NULL_ARG(lucid_credentials_from_file(NULL, NULL, &c, &err), "path");
    EXPECT_NULL_ARG(lucid_credentials_from_file("/x", NULL, NULL, &err), "out");
    EXPECT_NULL_ARG(lucid_credentials_discover(NULL, NULL, &err), "out");
    EXPECT_NULL_ARG(lucid_credentials_builder_set(NULL, "client_id", "x", &err), "builder");
    LucidCredentialsBuilder *b = lucid_credentials_builder_new();
    CHECK(b != NULL);
    EXPECT_NULL_ARG(lucid_credentials_builder_set(b, NULL, "x", &err), "key");
    EXPECT_NULL_ARG(lucid_credentials_builder_set(b, "client_id", NULL, &err), "value");
    EXPECT_NULL_ARG(lucid_credentials_builder_build(NULL, &c, &err), "builder");
    EXPECT_NULL_ARG(lucid_credentials_builder_build(b, NULL, &err), "out");
    lucid_credentials_builder_free(b);
    CHECK(lucid_credentials_builder_from(NULL) == NULL);
    EXPECT_NULL_ARG(lucid_client_new(NULL, &cl, &err), "credentials");
    EXPECT_NULL_ARG(lucid_client_new(creds, NULL, &err), "out");
    EXPECT_NULL_ARG(lucid_client_access_token(NULL, NULL, &token, &err), "client");
    EXPECT_NULL_ARG(lucid_client_access_token(client, NULL, NULL, &err), "token_out");
    char buf[8] = "unused";
    size_t token_len = 99;
    EXPECT_NULL_ARG(lucid_client_access_token_buf(NULL, NULL, buf, sizeof buf, &token_len, &err), "client");
    EXPECT_NULL_ARG(lucid_client_access_token_buf(client, NULL, buf, sizeof buf, NULL, &err), "token_len");
    EXPECT_NULL_ARG(lucid_client_access_token_buf(client, NULL, NULL, 8, &token_len, &err), "buf");
    CHECK(token_len == 99 && strcmp(buf, "unused") == 0);
    EXPECT_NULL_ARG(lucid_client_request(NULL, "GET", "/x", NULL, 0, NULL, 0, &r, &err), "client");
    EXPECT_NULL_ARG(lucid_client_request(client, NULL, "/x", NULL, 0, NULL, 0, &r, &err), "method");
    EXPECT_NULL_ARG(lucid_client_request(client, "GET", NULL, NULL, 0, NULL, 0, &r, &err), "path");
    EXPECT_NULL_ARG(lucid_client_request(client, "GET", "/x", NULL, 1, NULL, 0, &r, &err), "headers");
    EXPECT_NULL_ARG(lucid_client_request(client, "GET", "/x", NULL, 0, NULL, 3, &r, &err), "body");
    EXPECT_NULL_ARG(lucid_client_request(client, "GET", "/x", NULL, 0, NULL, 0, NULL, &err), "out");
    const char *null_header[] = {NULL};
    EXPECT_NULL_ARG(lucid_client_request(client, "GET", "/x", null_header, 1, NULL, 0, &r, &err), "headers");
    EXPECT_NULL_ARG(lucid_response_header_at(NULL, 0, &name, &value, &err), "response");
    /* Nothing was written through the out-parameters of failed calls. */
    CHECK(c == NULL && cl == NULL && r == NULL && token == NULL && name == NULL && value == NULL);

    /* Accessors answer a default for NULL, and every free accepts NULL. */
    size_t len = 99;
    CHECK(lucid_response_status(NULL) == 0);
    CHECK(lucid_response_body(NULL, &len) == NULL && len == 0);
    CHECK(lucid_response_header_count(NULL) == 0);
    CHECK(lucid_response_header(NULL, "x") == NULL);
    CHECK(lucid_error_status(NULL) == LUCID_STATUS_NULL_ARGUMENT);
    CHECK(lucid_error_message(NULL) == NULL);
    CHECK(lucid_error_http_status(NULL) == 0);
    CHECK(lucid_error_oauth_error(NULL) == NULL);
    CHECK(lucid_error_oauth_error_description(NULL) == NULL);
    lucid_credentials_free(NULL);
    lucid_credentials_builder_free(NULL);
    lucid_client_free(NULL);
    lucid_response_free(NULL);
    lucid_error_free(NULL);
    lucid_string_free(NULL);

    /* A NULL error out-parameter is allowed: only the status comes back. */
    CHECK(lucid_credentials_new(NULL, "s", &c, NULL) == LUCID_STATUS_NULL_ARGUMENT);
}

static void bad_strings(const LucidClient *client) {
    LucidCredentials *c = NULL;
    LucidError *err = NULL;
    LucidStatus st = lucid_credentials_new("\xff\xfe", "s", &c, &err);
    expect_status(st, err, LUCID_STATUS_INVALID_UTF8, "'client_id' is not valid UTF-8");
    err = NULL;
    st = lucid_credentials_new("", "s", &c, &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "key 'client_id': value '' is empty");
    LucidCredentialsBuilder *b = lucid_credentials_builder_new();
    err = NULL;
    st = lucid_credentials_builder_set(b, "timeout", "soon", &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "key 'timeout'");
    err = NULL;
    st = lucid_credentials_builder_set(b, "colour", "red", &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "unknown key 'colour'");
    err = NULL;
    st = lucid_credentials_builder_build(b, &c, &err);
    expect_status(st, err, LUCID_STATUS_CONFIG, "missing key 'client_id'");
    lucid_credentials_builder_free(b);
    err = NULL;
    st = lucid_credentials_from_file("/nonexistent/lucid.cfg", NULL, &c, &err);
    expect_status(st, err, LUCID_STATUS_IO, "credentials file /nonexistent/lucid.cfg: cannot read");
    LucidResponse *r = NULL;
    const char *bad_header[] = {"no colon here"};
    err = NULL;
    st = lucid_client_request(client, "GET", "/x", bad_header, 1, NULL, 0, &r, &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "header number 0 is not 'Name: value'");
    err = NULL;
    st = lucid_client_request(client, "GET", "https://elsewhere.example/v1", NULL, 0, NULL, 0, &r, &err);
    expect_status(st, err, LUCID_STATUS_INSECURE_URL, "another origin");
    CHECK(c == NULL && r == NULL);
    CHECK(strcmp(lucid_status_name(LUCID_STATUS_TIMEOUT), "LUCID_STATUS_TIMEOUT") == 0);
    CHECK(strcmp(lucid_status_name(-7), "LUCID_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(lucid_status_name(LUCID_STATUS_BUFFER_TOO_SMALL), "LUCID_STATUS_BUFFER_TOO_SMALL") == 0);
    CHECK(strcmp(lucid_status_name(LUCID_STATUS_UNAUTHORIZED + 1), "LUCID_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(lucid_credentials_key(0), "client_id") == 0);
    size_t keys = 0;
    while (lucid_credentials_key(keys) != NULL) {
        keys++;
    }
    CHECK(keys >= 21);
    char buf[256];
    size_t token_len = 0;
    err = NULL;
    st = lucid_client_access_token_buf(client, "\xc3\x28", buf, sizeof buf, &token_len, &err);
    expect_status(st, err, LUCID_STATUS_INVALID_UTF8, "'scope' is not valid UTF-8");
    CHECK(strcmp(lucid_version(), LUCIDAUTH_VERSION_STRING) == 0);
}

static void round_trip(const LucidClient *client) {
    char *first = NULL, *second = NULL;
    LucidError *err = NULL;
    CHECK(lucid_client_access_token(client, NULL, &first, &err) == LUCID_STATUS_OK);
    CHECK(lucid_client_access_token(client, NULL, &second, &err) == LUCID_STATUS_OK);
    CHECK(err == NULL);
    CHECK(first != NULL && second != NULL && strcmp(first, second) == 0);
    CHECK(first != NULL && strncmp(first, "tok-", 4) == 0);

    /* The buffer read: the same token, its length, and nothing written when it does not fit. */
    char buf[256];
    size_t token_len = 0;
    CHECK(lucid_client_access_token_buf(client, NULL, buf, sizeof buf, &token_len, &err) == LUCID_STATUS_OK);
    CHECK(first != NULL && strcmp(buf, first) == 0 && token_len == strlen(first));
    size_t exact = token_len + 1;
    memset(buf, 'x', sizeof buf);
    CHECK(lucid_client_access_token_buf(client, NULL, buf, exact, &token_len, &err) == LUCID_STATUS_OK);
    CHECK(buf[token_len] == '\0' && buf[token_len + 1] == 'x');
    memset(buf, 'x', sizeof buf);
    token_len = 0;
    LucidStatus st = lucid_client_access_token_buf(client, NULL, buf, exact - 1, &token_len, &err);
    CHECK(token_len == exact - 1);
    CHECK(buf[0] == 'x' && buf[exact - 2] == 'x');
    expect_status(st, err, LUCID_STATUS_BUFFER_TOO_SMALL, "needs");
    err = NULL;
    token_len = 0;
    st = lucid_client_access_token_buf(client, NULL, NULL, 0, &token_len, &err);
    CHECK(token_len == exact - 1);
    expect_status(st, err, LUCID_STATUS_BUFFER_TOO_SMALL, "needs");
    err = NULL;
    lucid_string_free(first);
    lucid_string_free(second);

    const char *headers[] = {"Content-Type: text/plain", "X-Trace:  abc  "};
    const char body[] = "hello";
    LucidResponse *r = NULL;
    CHECK(lucid_client_request(client, "PUT", "/documents/1?x=y", headers, 2, (const uint8_t *)body, 5, &r, &err) ==
          LUCID_STATUS_OK);
    CHECK(lucid_response_status(r) == 200);
    size_t len = 0;
    const char *text = (const char *)lucid_response_body(r, &len);
    CHECK(len > 0 && text != NULL && text[len] == '\0' && strlen(text) == len);
    CHECK(strstr(text, "\"path\":\"/v1/documents/1\"") != NULL);
    CHECK(strstr(text, "\"x-trace\":\"abc\"") != NULL);
    CHECK(strstr(text, "\"body\":\"hello\"") != NULL);
    const char *ct = lucid_response_header(r, "Content-Type");
    CHECK(ct != NULL && strcmp(ct, "application/json") == 0);
    size_t count = lucid_response_header_count(r);
    CHECK(count >= 2);
    const char *name = NULL, *value = NULL;
    CHECK(lucid_response_header_at(r, 0, &name, &value, &err) == LUCID_STATUS_OK && name != NULL && value != NULL);
    err = NULL;
    st = lucid_response_header_at(r, count, &name, &value, &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "past the last header");
    lucid_response_free(r);
}

/* Counts log lines, and fails any that holds a secret. */
static int log_lines = 0;
static int unknown_key_warnings = 0;
static void on_log(void *user_data, int32_t level, const char *message) {
    int *calls = (int *)user_data;
    (*calls)++;
    log_lines++;
    CHECK(level >= 1 && level <= 4);
    CHECK(strstr(message, "CLIENT_SECRET") == NULL && strstr(message, "API_KEY") == NULL);
    if (strstr(message, "unknown key 'colour' ignored") != NULL) {
        unknown_key_warnings++;
    }
}

static LucidStatus from_file(const char *dir, const char *name, const char *contents, LucidError **err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (contents != NULL) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f == NULL) {
            return LUCID_STATUS_IO;
        }
        fputs(contents, f);
        fclose(f);
    }
    LucidCredentials *c = NULL;
    LucidStatus st = lucid_credentials_from_file(path, NULL, &c, err);
    lucid_credentials_free(c);
    return st;
}

static void bad_files(const char *dir) {
    LucidError *err = NULL;
    LucidStatus st;
    st = from_file(dir, "", NULL, &err);
    expect_status(st, err, LUCID_STATUS_IO, "is a directory");
    err = NULL;
    st = from_file(dir, "missing.cfg", NULL, &err);
    expect_status(st, err, LUCID_STATUS_IO, "cannot read");
    err = NULL;
    st = from_file(dir, "bad.cfg", "client_id = a\n[broken\n", &err);
    expect_status(st, err, LUCID_STATUS_CONFIG, "not valid INI at line 2");
    err = NULL;
    st = from_file(dir, "soon.cfg", "client_id = a\nclient_secret = b\ntimeout = soon\n", &err);
    expect_status(st, err, LUCID_STATUS_INVALID_ARGUMENT, "key 'timeout': value 'soon'");
    err = NULL;
    st = from_file(dir, "empty.cfg", "", &err);
    expect_status(st, err, LUCID_STATUS_CONFIG, "profile 'default' not found");

    /* A 10 MB file is refused without being read whole. */
    char big[4096];
    snprintf(big, sizeof big, "%s/big.cfg", dir);
    FILE *f = fopen(big, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        static char line[1024];
        memset(line, '#', sizeof line - 1);
        line[sizeof line - 2] = '\n';
        for (int i = 0; i < 10 * 1024; i++) {
            fputs(line, f);
        }
        fclose(f);
    }
    err = NULL;
    st = from_file(dir, "big.cfg", NULL, &err);
    expect_status(st, err, LUCID_STATUS_CONFIG, "larger than 1048576 bytes");

    /* An unknown key is a warning through the log callback, not an error. */
    int calls = 0;
    lucid_set_log_callback(on_log, &calls, 2);
    err = NULL;
    st = from_file(dir, "colour.cfg", "client_id = a\nclient_secret = CLIENT_SECRET\ncolour = red\n", &err);
    lucid_set_log_callback(NULL, NULL, 0);
    CHECK(st == LUCID_STATUS_OK && err == NULL);
    CHECK(calls >= 1 && unknown_key_warnings == 1);
    /* Removed: no more calls. */
    CHECK(from_file(dir, "colour.cfg", NULL, NULL) == LUCID_STATUS_OK);
    CHECK(unknown_key_warnings == 1);
}

static void rejected(const char *base_url) {
    LucidCredentialsBuilder *b = lucid_credentials_builder_new();
    LucidError *err = NULL;
    CHECK(lucid_credentials_builder_set(b, "client_id", "CLIENT_ID", &err) == LUCID_STATUS_OK);
    CHECK(lucid_credentials_builder_set(b, "client_secret", "WRONG_SECRET", &err) == LUCID_STATUS_OK);
    CHECK(lucid_credentials_builder_set(b, "auth_endpoint", base_url, &err) == LUCID_STATUS_OK);
    LucidCredentials *c = NULL;
    CHECK(lucid_credentials_builder_build(b, &c, &err) == LUCID_STATUS_OK);
    lucid_credentials_builder_free(b);
    LucidClient *client = NULL;
    CHECK(lucid_client_new(c, &client, &err) == LUCID_STATUS_OK);
    lucid_credentials_free(c);
    char *token = NULL;
    LucidStatus st = lucid_client_access_token(client, NULL, &token, &err);
    CHECK(st == LUCID_STATUS_CREDENTIALS_REJECTED);
    CHECK(token == NULL);
    CHECK(lucid_error_http_status(err) == 401);
    CHECK(lucid_error_oauth_error(err) != NULL && strcmp(lucid_error_oauth_error(err), "invalid_client") == 0);
    CHECK(lucid_error_oauth_error_description(err) != NULL);
    CHECK(strstr(lucid_error_message(err), "WRONG_SECRET") == NULL);
    lucid_error_free(err);
    lucid_client_free(client);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: ffi_contract CREDENTIALS_FILE BASE_URL SCRATCH_DIR\n");
        return 2;
    }
    LucidCredentials *creds = NULL;
    LucidClient *client = NULL;
    LucidError *err = NULL;
    if (lucid_credentials_from_file(argv[1], NULL, &creds, &err) != LUCID_STATUS_OK ||
        lucid_client_new(creds, &client, &err) != LUCID_STATUS_OK) {
        fprintf(stderr, "setup failed: %s\n", lucid_error_message(err));
        lucid_error_free(err);
        return 1;
    }
    null_arguments(creds, client);
    bad_strings(client);
    round_trip(client);
    rejected(argv[2]);
    bad_files(argv[3]);
    lucid_client_free(client);
    lucid_credentials_free(creds);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
