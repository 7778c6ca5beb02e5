/*
 * make bench-wire: N sequential keep-alive authorized GETs by one side, for counting under
 * strace, callgrind and valgrind's memcheck (bench/wire.py runs it at two N and takes the
 * difference, so start-up and the token fetch cancel out).
 *
 *   wire lucidauth CREDENTIALS_FILE N
 *   wire libcurl   CREDENTIALS_FILE N API_ENDPOINT API_KEY
 *
 * Both make one warm-up request first. libcurl: ONE easy handle, reused, with the same URL and
 * headers as lucidauth sends (x-api-key, Authorization: Bearer <the client's token>,
 * User-Agent: lucidauth/<version>), the body collected into a growing buffer as lucidauth does.
 */
#include "common.h"

#include <curl/curl.h>

static const char PATH[] = "/documents";

struct buffer {
    char *data;
    size_t len, cap;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) {
            cap *= 2;
        }
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            return 0;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

static void lucid_get(LucidClient *client) {
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    check(lucid_client_request(client, "GET", PATH, NULL, 0, NULL, 0, &response, &err), &err,
          "request");
    if (lucid_response_status(response) != 200) {
        fprintf(stderr, "wire: lucidauth got HTTP %u\n", lucid_response_status(response));
        exit(1);
    }
    lucid_response_free(response);
}

static void curl_get(CURL *easy, struct buffer *body) {
    body->len = 0;
    long status = 0;
    CURLcode rc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "wire: libcurl: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
        exit(1);
    }
}

static int run_curl(LucidClient *client, long n, const char *endpoint, const char *api_key) {
    char *token = NULL;
    LucidError *err = NULL;
    check(lucid_client_access_token(client, NULL, &token, &err), &err, "access token");
    char url[600], auth[4096], key[512], agent[64];
    snprintf(url, sizeof url, "%s%s", endpoint, PATH);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    snprintf(key, sizeof key, "x-api-key: %s", api_key);
    snprintf(agent, sizeof agent, "lucidauth/%s", lucid_version());
    lucid_string_free(token);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *headers = curl_slist_append(NULL, key);
    headers = curl_slist_append(headers, auth);
    struct buffer body = {0};
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    for (long i = 0; i <= n; i++) {
        curl_get(easy, &body);
    }
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(body.data);
    return 0;
}

int main(int argc, char **argv) {
    int curl = argc == 6 && strcmp(argv[1], "libcurl") == 0;
    if (!curl && !(argc == 4 && strcmp(argv[1], "lucidauth") == 0)) {
        fprintf(stderr, "usage: wire lucidauth CREDENTIALS N | wire libcurl CREDENTIALS N "
                        "API_ENDPOINT API_KEY\n");
        return 2;
    }
    long n = atol(argv[3]);
    LucidClient *client = client_from_file(argv[2]);
    if (curl) {
        run_curl(client, n, argv[4], argv[5]);
    } else {
        for (long i = 0; i <= n; i++) {
            lucid_get(client);
        }
    }
    lucid_client_free(client);
    return 0;
}
