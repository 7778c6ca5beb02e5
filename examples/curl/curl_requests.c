/*
 * lucid-curl: API requests sent by libcurl, authorized by lucidauth. Your HTTP client keeps its
 * own connections, proxies and options; lucidauth gives each request the headers it needs
 * (lucid_client_authorize) and hears about a 401 (lucid_client_unauthorized).
 *
 *   lucid-curl [--credentials FILE] [--profile NAME] METHOD URL [METHOD URL]...
 *
 * Sends each request in turn over one reused curl handle (one keep-alive connection), with the
 * headers of lucid_client_authorize, and prints `METHOD URL: HTTP <status>` for each answer. On
 * a 401 it calls lucid_client_unauthorized with the headers it sent (the token is dropped, once
 * for any number of requests that saw it) and sends the request once more with new headers; the
 * first answer's line then says `HTTP 401, sent again`. The body of an answer is read and
 * dropped. URLs must be on the credentials' API origin (api_endpoint): lucidauth refuses any
 * other, so that the token and api key go nowhere else.
 *
 * Exit status: 0 when every request's last answer is 2xx, 1 a lucidauth or curl error (on
 * stderr), 2 a usage error, 4 when some answer is outside 2xx.
 *
 * Build: cc -std=c99 curl_requests.c -llucidauth -lcurl (`make` builds build/lucid-curl when the
 * libcurl headers are installed: Debian's libcurl4-openssl-dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lucidauth.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_HTTP = 4 };

static int usage(const char *problem) {
    if (problem != NULL) fprintf(stderr, "lucid-curl: %s\n", problem);
    fprintf(stderr, "usage: lucid-curl [--credentials FILE] [--profile NAME] METHOD URL [METHOD URL]...\n");
    return EXIT_USAGE;
}

/* Prints a lucidauth failure and frees its error. */
static int lucid_failed(const char *what, LucidStatus status, LucidError *err) {
    fprintf(stderr, "lucid-curl: %s: %s: %s\n", what, lucid_status_name(status),
            err != NULL ? lucid_error_message(err) : "(no details)");
    lucid_error_free(err);
    return EXIT_FAILED;
}

/* Zeroes n bytes through a volatile pointer, so that the compiler keeps the stores. */
static void wipe(char *p, size_t n) {
    volatile char *v = p;
    while (n-- > 0) *v++ = 0;
}

/* The headers of `headers` as a curl list of "Name: value" lines. curl copies each line; the
 * line buffer, which holds the token, is wiped here. NULL when out of memory. */
static struct curl_slist *curl_headers(const LucidHeaders *headers) {
    struct curl_slist *list = NULL;
    size_t i, count = lucid_headers_count(headers);
    for (i = 0; i < count; i++) {
        const char *name = lucid_headers_name(headers, i), *value = lucid_headers_value(headers, i);
        size_t size = strlen(name) + strlen(value) + 3;
        char *line = malloc(size);
        struct curl_slist *longer = NULL;
        if (line != NULL) {
            snprintf(line, size, "%s: %s", name, value);
            longer = curl_slist_append(list, line);
            wipe(line, size);
            free(line);
        }
        if (longer == NULL) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = longer;
    }
    return list;
}

/* Answer bodies are read and dropped. */
static size_t drop_body(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

/* The first value of header `name` of the last answer, or NULL. */
static const char *answer_header(CURL *curl, const char *name) {
#if LIBCURL_VERSION_NUM >= 0x075400 /* curl_easy_header: libcurl 7.84 */
    struct curl_header *h = NULL;
    if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK) return h->value;
#else
    (void)curl;
    (void)name;
#endif
    return NULL;
}

/* One exchange with the headers lucidauth gives for it; *sent keeps them (the caller frees them
 * with lucid_headers_free), for lucid_client_unauthorized. Returns EXIT_OK or EXIT_FAILED. */
static int exchange(CURL *curl, const LucidClient *client, const char *method, const char *url,
                    LucidHeaders **sent, long *status) {
    LucidError *err = NULL;
    struct curl_slist *list;
    CURLcode rc;
    LucidStatus st = lucid_client_authorize(client, method, url, sent, &err);
    if (st != LUCID_STATUS_OK) return lucid_failed("lucid_client_authorize", st, err);
    list = curl_headers(*sent);
    if (list == NULL) {
        fprintf(stderr, "lucid-curl: out of memory\n");
        return EXIT_FAILED;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        fprintf(stderr, "lucid-curl: %s %s: %s\n", method, url, curl_easy_strerror(rc));
        return EXIT_FAILED;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    return EXIT_OK;
}

/* Sends one request, and once more after a 401 (which is told to lucidauth). Returns EXIT_OK
 * for a 2xx answer, EXIT_HTTP for another, EXIT_FAILED on a failure. */
static int send_request(CURL *curl, const LucidClient *client, const char *method, const char *url) {
    LucidHeaders *sent = NULL;
    long status = 0;
    int result = exchange(curl, client, method, url, &sent, &status);
    if (result == EXIT_OK && status == 401) {
        LucidError *err = NULL;
        LucidStatus st = lucid_client_unauthorized(client, sent, answer_header(curl, "WWW-Authenticate"),
                                                   answer_header(curl, "DPoP-Nonce"), &err);
        lucid_headers_free(sent);
        sent = NULL;
        if (st != LUCID_STATUS_OK) return lucid_failed("lucid_client_unauthorized", st, err);
        printf("%s %s: HTTP 401, sent again\n", method, url);
        result = exchange(curl, client, method, url, &sent, &status);
    }
    lucid_headers_free(sent);
    if (result != EXIT_OK) return result;
    printf("%s %s: HTTP %ld\n", method, url, status);
    return status >= 200 && status < 300 ? EXIT_OK : EXIT_HTTP;
}

/* Sends the METHOD URL pairs of argv[first..argc) in turn; the worst outcome. */
static int send_all(const LucidClient *client, int first, int argc, char **argv) {
    int i, worst = EXIT_OK;
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        fprintf(stderr, "lucid-curl: curl_easy_init failed\n");
        return EXIT_FAILED;
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, drop_body);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    for (i = first; i + 1 < argc && worst != EXIT_FAILED; i += 2) {
        int result = send_request(curl, client, argv[i], argv[i + 1]);
        if (result > worst || result == EXIT_FAILED) worst = result;
    }
    curl_easy_cleanup(curl);
    return worst;
}

int main(int argc, char **argv) {
    const char *file = NULL, *profile = NULL;
    LucidCredentials *creds = NULL;
    LucidClient *client = NULL;
    LucidError *err = NULL;
    LucidStatus st;
    int first = 1, result;

    for (; first + 1 < argc && strncmp(argv[first], "--", 2) == 0; first += 2) {
        if (strcmp(argv[first], "--credentials") == 0) {
            file = argv[first + 1];
        } else if (strcmp(argv[first], "--profile") == 0) {
            profile = argv[first + 1];
        } else {
            return usage("unknown option");
        }
    }
    if (first >= argc || (argc - first) % 2 != 0) return usage("expected METHOD URL pairs");

    st = file != NULL ? lucid_credentials_from_file(file, profile, &creds, &err)
                      : lucid_credentials_discover(profile, &creds, &err);
    if (st != LUCID_STATUS_OK) return lucid_failed("credentials", st, err);
    st = lucid_client_new(creds, &client, &err);
    lucid_credentials_free(creds);
    if (st != LUCID_STATUS_OK) return lucid_failed("lucid_client_new", st, err);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        lucid_client_free(client);
        fprintf(stderr, "lucid-curl: curl_global_init failed\n");
        return EXIT_FAILED;
    }
    result = send_all(client, first, argc, argv);
    curl_global_cleanup();
    lucid_client_free(client);
    return result;
}
