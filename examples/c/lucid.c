/*
 * lucid: a small command-line tool on top of lucidauth.
 *
 *   lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] token
 *   lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] request METHOD PATH
 *         [--data TEXT] [--header 'Name: value']...
 *   lucid version
 *
 * Exit status: 0 success (a 2xx answer for `request`), 1 a library error, 2 a usage error,
 * 4 an HTTP status outside 2xx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lucidauth.h"

enum { EXIT_OK = 0, EXIT_LIBRARY = 1, EXIT_USAGE = 2, EXIT_HTTP = 4 };

static const char USAGE[] =
    "usage: lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] token\n"
    "       lucid [--profile NAME] [--credentials FILE] [--scope SCOPE] request METHOD PATH\n"
    "             [--data TEXT] [--header 'Name: value']...\n"
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
    } else if (strcmp(positional[0], "token") == 0 || strcmp(positional[0], "version") == 0) {
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

static int send_request(const LucidClient *client, const struct options *opts) {
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    size_t data_len = opts->data != NULL ? strlen(opts->data) : 0;
    LucidStatus status = lucid_client_request(client, opts->method, opts->path, opts->headers, opts->header_count,
                                              (const uint8_t *)opts->data, data_len, &response, &err);
    if (status != LUCID_STATUS_OK) {
        return library_error(status, err);
    }
    size_t len = 0;
    const uint8_t *body = lucid_response_body(response, &len);
    fwrite(body, 1, len, stdout);
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
    } else {
        exit_status = send_request(client, &opts);
    }
    lucid_client_free(client);
    free(opts.headers);
    return exit_status;
}
