/*
 * lucid: a small command-line tool on top of lucidauth.
 *
 *   lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] token
 *   lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] request METHOD PATH
 *         [--data TEXT|@FILE|-] [--header 'Name: value']...
 *   lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] info
 *   lucid version
 *
 * `info` gets a token as `token` does but prints, instead of the token, where it came from, how
 * long until it is renewed and until it expires, and the client's counters (lucid_client_stats).
 *
 * --data @FILE sends the bytes of FILE, --data - those of standard input. A body goes as
 * application/json unless a --header gives another Content-Type. On a terminal the body is
 * followed by a newline when it does not end with one, so that "HTTP 200" starts a line.
 *
 * Exit status: 0 success (a 2xx answer for `request`), 1 a library error, 2 a usage error,
 * 4 an HTTP status outside 2xx.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <io.h>
#define isatty _isatty
#define fileno _fileno
#else
#include <unistd.h>
#endif

#include "lucidauth.h"

enum { EXIT_OK = 0, EXIT_LIBRARY = 1, EXIT_USAGE = 2, EXIT_HTTP = 4 };

static const char USAGE[] =
    "usage: lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] token\n"
    "       lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] request METHOD PATH\n"
    "             [--data TEXT|@FILE|-] [--header 'Name: value']...\n"
    "       lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] info\n"
    "       lucid version\n";

struct options {
    const char *profile;
    const char *credentials;
    const char *scope;
    const char *command;
    const char *method;
    const char *path;
    const char *data;
    const char **headers;
    size_t header_count;
};

static int usage(const char *problem) {
    if (problem != NULL) {
        fprintf(stderr, "lucid: %s\n", problem);
    }
    fputs(USAGE, stderr);
    return EXIT_USAGE;
}

/* Reports a library error, frees it, and gives the exit status for it. */
static int library_error(LucidStatus status, LucidError *err) {
    const char *message = lucid_error_message(err);
    fprintf(stderr, "lucid: %s: %s\n", lucid_status_name(status), message != NULL ? message : "");
    lucid_error_free(err);
    return EXIT_LIBRARY;
}

/* Takes the value of option argv[*i]; NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

/* Fills `opts` from the command line; returns EXIT_OK or EXIT_USAGE (after printing why). */
static int parse(int argc, char **argv, struct options *opts) {
    const char **positional = calloc((size_t)argc, sizeof *positional);
    size_t count = 0;
    opts->headers = calloc((size_t)argc, sizeof *opts->headers);
    if (positional == NULL || opts->headers == NULL) {
        free(positional);
        fputs("lucid: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **target = NULL;
        if (strcmp(arg, "--profile") == 0) {
            target = &opts->profile;
        } else if (strcmp(arg, "--credentials") == 0) {
            target = &opts->credentials;
        } else if (strcmp(arg, "--scope") == 0) {
            target = &opts->scope;
        } else if (strcmp(arg, "--data") == 0) {
            target = &opts->data;
        } else if (strcmp(arg, "--header") == 0) {
            target = &opts->headers[opts->header_count++];
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            free(positional);
            return usage(NULL);
        } else if (strncmp(arg, "--", 2) == 0) {
            free(positional);
            fprintf(stderr, "lucid: unknown option %s\n", arg);
            return usage(NULL);
        } else {
            positional[count++] = arg;
            continue;
        }
        *target = option_value(argc, argv, &i);
        if (*target == NULL) {
            free(positional);
            fprintf(stderr, "lucid: %s needs a value\n", arg);
            return usage(NULL);
        }
    }
    int status = EXIT_OK;
    if (count == 0) {
        status = usage("no command given");
    } else if (strcmp(positional[0], "token") == 0 || strcmp(positional[0], "version") == 0 ||
               strcmp(positional[0], "info") == 0) {
        if (count != 1) {
            status = usage("too many arguments");
        }
    } else if (strcmp(positional[0], "request") == 0) {
        if (count != 3) {
            status = usage("request needs METHOD and PATH");
        } else {
            opts->method = positional[1];
            opts->path = positional[2];
        }
    } else {
        fprintf(stderr, "lucid: unknown command %s\n", positional[0]);
        status = usage(NULL);
    }
    if (status == EXIT_OK) {
        opts->command = positional[0];
        int is_request = strcmp(opts->command, "request") == 0;
        if (!is_request && (opts->data != NULL || opts->header_count > 0)) {
            status = usage("--data and --header go with request");
        }
    }
    free(positional);
    return status;
}

/* Loads credentials (file or discovery) and applies --scope. */
static LucidStatus load_credentials(const struct options *opts, LucidCredentials **out, LucidError **err) {
    LucidCredentials *creds = NULL;
    LucidStatus status = opts->credentials != NULL
                             ? lucid_credentials_from_file(opts->credentials, opts->profile, &creds, err)
                             : lucid_credentials_discover(opts->profile, &creds, err);
    if (status != LUCID_STATUS_OK || opts->scope == NULL) {
        *out = creds;
        return status;
    }
    LucidCredentialsBuilder *builder = lucid_credentials_builder_from(creds);
    lucid_credentials_free(creds);
    status = lucid_credentials_builder_set(builder, "scope", opts->scope, err);
    if (status == LUCID_STATUS_OK) {
        status = lucid_credentials_builder_build(builder, out, err);
    }
    lucid_credentials_builder_free(builder);
    return status;
}

/* Gets a token (never printed), then prints where it came from, when it is renewed and expires,
 * and the client's counters. */
static int print_info(const LucidClient *client) {
    char token[4096];
    size_t token_len = 0;
    LucidError *err = NULL;
    LucidStatus status = lucid_client_access_token_buf(client, NULL, token, sizeof token, &token_len, &err);
    memset(token, 0, sizeof token);
    if (status != LUCID_STATUS_OK && status != LUCID_STATUS_BUFFER_TOO_SMALL) {
        return library_error(status, err);
    }
    lucid_error_free(err);
    err = NULL;
    LucidStats *stats = NULL;
    status = lucid_client_stats(client, &stats, &err);
    if (status != LUCID_STATUS_OK) {
        return library_error(status, err);
    }
    printf("client_auth: %s\n", lucid_stats_client_auth(stats));
    for (size_t i = 0; i < lucid_stats_scope_count(stats); i++) {
        const char *scope = lucid_stats_scope(stats, i);
        printf("scope: %s\n", scope[0] != '\0' ? scope : "(none)");
        printf("  from: %s\n", lucid_stats_scope_origin(stats, i));
        printf("  renewed in: %llu s\n", (unsigned long long)(lucid_stats_scope_refresh_in_ms(stats, i) / 1000));
        printf("  expires in: %llu s\n", (unsigned long long)(lucid_stats_scope_expires_in_ms(stats, i) / 1000));
    }
    for (int32_t which = 0; lucid_stat_name(which) != NULL; which++) {
        uint64_t value = lucid_stats_value(stats, which);
        if (which == LUCID_STAT_LAST_ERROR_STATUS) {
            printf("%s: %s\n", lucid_stat_name(which), lucid_status_name((int32_t)value));
        } else {
            printf("%s: %llu\n", lucid_stat_name(which), (unsigned long long)value);
        }
    }
    lucid_stats_free(stats);
    return EXIT_OK;
}

static int print_token(const LucidClient *client) {
    char *token = NULL;
    LucidError *err = NULL;
    LucidStatus status = lucid_client_access_token(client, NULL, &token, &err);
    if (status != LUCID_STATUS_OK) {
        return library_error(status, err);
    }
    printf("%s\n", token);
    lucid_string_free(token);
    return EXIT_OK;
}

/* The largest body --data reads from a file or standard input: beyond it, an error (a body read
   from /dev/zero or an endless pipe must not grow without bound). */
#define MAX_DATA_BYTES ((size_t)64 * 1024 * 1024)

/* Reads all of `file` into a new buffer (*out, free it) of *len bytes; 0 on success, EFBIG when
   it holds more than MAX_DATA_BYTES, else errno. */
static int read_all(FILE *file, char **out, size_t *len) {
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return ENOMEM;
    }
    for (;;) {
        if (used > MAX_DATA_BYTES) {
            free(buf);
            return EFBIG;
        }
        if (used == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t want = cap - used;
        if (want > MAX_DATA_BYTES + 1 - used) {
            want = MAX_DATA_BYTES + 1 - used; /* one byte past the cap is enough to know */
        }
        size_t n = fread(buf + used, 1, want, file);
        used += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(file)) {
        free(buf);
        return errno != 0 ? errno : EIO;
    }
    *out = buf;
    *len = used;
    return 0;
}

/* The body --data gives: the text itself, @FILE's bytes or standard input's (-). *owned is what
   to free afterwards (NULL for the text itself). Returns EXIT_OK or EXIT_USAGE after saying why. */
static int request_body(const char *data, const char **body, size_t *len, char **owned) {
    *owned = NULL;
    if (data == NULL) {
        *body = NULL;
        *len = 0;
        return EXIT_OK;
    }
    if (strcmp(data, "-") != 0 && data[0] != '@') {
        *body = data;
        *len = strlen(data);
        return EXIT_OK;
    }
    const char *name = data[0] == '@' ? data + 1 : "standard input";
    FILE *file = data[0] == '@' ? fopen(name, "rb") : stdin;
    int error = file == NULL ? errno : read_all(file, owned, len);
    if (file != NULL && file != stdin) {
        fclose(file);
    }
    if (error == EFBIG) {
        fprintf(stderr, "lucid: %s holds more than %zu bytes (64 MiB), the largest body --data sends\n", name,
                MAX_DATA_BYTES);
        return EXIT_USAGE;
    }
    if (error != 0) {
        fprintf(stderr, "lucid: cannot read %s: %s\n", name, strerror(error));
        return EXIT_USAGE;
    }
    *body = *owned;
    return EXIT_OK;
}

static int send_request(const LucidClient *client, const struct options *opts) {
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    const char *data = NULL;
    size_t data_len = 0;
    char *owned = NULL;
    int read_status = request_body(opts->data, &data, &data_len, &owned);
    if (read_status != EXIT_OK) {
        return read_status;
    }
    LucidStatus status = lucid_client_request(client, opts->method, opts->path, opts->headers, opts->header_count,
                                              (const uint8_t *)data, data_len, &response, &err);
    free(owned);
    if (status != LUCID_STATUS_OK) {
        return library_error(status, err);
    }
    size_t len = 0;
    const uint8_t *body = lucid_response_body(response, &len);
    fwrite(body, 1, len, stdout);
    if (len > 0 && body[len - 1] != '\n' && isatty(fileno(stdout))) {
        fputc('\n', stdout);
    }
    fflush(stdout);
    uint16_t code = lucid_response_status(response);
    fprintf(stderr, "HTTP %u\n", (unsigned)code);
    lucid_response_free(response);
    return code >= 200 && code < 300 ? EXIT_OK : EXIT_HTTP;
}

int main(int argc, char **argv) {
    struct options opts;
    memset(&opts, 0, sizeof opts);
    int exit_status = parse(argc, argv, &opts);
    if (exit_status != EXIT_OK) {
        free(opts.headers);
        return exit_status;
    }
    if (strcmp(opts.command, "version") == 0) {
        printf("lucid %s\n", lucid_version());
        free(opts.headers);
        return EXIT_OK;
    }

    LucidCredentials *creds = NULL;
    LucidClient *client = NULL;
    LucidError *err = NULL;
    LucidStatus status = load_credentials(&opts, &creds, &err);
    if (status == LUCID_STATUS_OK) {
        status = lucid_client_new(creds, &client, &err);
    }
    lucid_credentials_free(creds);
    if (status != LUCID_STATUS_OK) {
        exit_status = library_error(status, err);
    } else if (strcmp(opts.command, "token") == 0) {
        exit_status = print_token(client);
    } else if (strcmp(opts.command, "info") == 0) {
        exit_status = print_info(client);
    } else {
        exit_status = send_request(client, &opts);
    }
    lucid_client_free(client);
    free(opts.headers);
    return exit_status;
}
