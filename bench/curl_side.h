/*
 * The libcurl side of bench-wire (wire.c, wire_threads.c): one easy handle set up to send what
 * lucidauth sends for an authorized GET of the API (x-api-key, Authorization: Bearer <the
 * client's token>, User-Agent: lucidauth/<version>), trusting CA_FILE for HTTPS as lucidauth
 * trusts its ca_file, and collecting the body into a growing buffer as lucidauth does.
 */
#ifndef LUCIDAUTH_BENCH_CURL_SIDE_H
#define LUCIDAUTH_BENCH_CURL_SIDE_H

#include "common.h"

#include <curl/curl.h>

/* A growing buffer for response bodies, kept between requests. */
struct buffer {
    char *data;
    size_t len, cap;
};

static inline size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
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

/* What every easy handle of a run sends: made once from the lucidauth client's token. */
struct curl_request {
    char url[1024];
    char agent[64];
    const char *ca_file; /* NULL over plain HTTP */
    struct curl_slist *headers;
};

/* The request for `endpoint` + `path` with the client's current token. `ca_file` "-" or NULL:
 * none. Call after curl_global_init. */
static inline void curl_request_init(struct curl_request *r, LucidClient *client,
                                     const char *endpoint, const char *path, const char *api_key,
                                     const char *ca_file) {
    char *token = NULL;
    LucidError *err = NULL;
    check(lucid_client_access_token(client, NULL, &token, &err), &err, "access token");
    char auth[4096], key[512];
    snprintf(r->url, sizeof r->url, "%s%s", endpoint, path);
    snprintf(r->agent, sizeof r->agent, "lucidauth/%s", lucid_version());
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    snprintf(key, sizeof key, "x-api-key: %s", api_key);
    lucid_string_free(token);
    r->headers = curl_slist_append(curl_slist_append(NULL, key), auth);
    r->ca_file = ca_file != NULL && strcmp(ca_file, "-") != 0 ? ca_file : NULL;
}

/* One reused easy handle and its body buffer. */
struct curl_side {
    CURL *easy;
    struct buffer body;
};

static inline void curl_side_open(struct curl_side *s, const struct curl_request *r) {
    memset(s, 0, sizeof *s);
    s->easy = curl_easy_init();
    if (s->easy == NULL) {
        fprintf(stderr, "bench: curl_easy_init failed\n");
        exit(1);
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, r->url);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, r->agent);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->body);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    if (r->ca_file != NULL) {
        curl_easy_setopt(s->easy, CURLOPT_CAINFO, r->ca_file);
    }
}

/* One GET; exits unless it answered 200. */
static inline void curl_side_get(struct curl_side *s) {
    s->body.len = 0;
    long status = 0;
    CURLcode rc = curl_easy_perform(s->easy);
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "bench: libcurl: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
        exit(1);
    }
    keep(s->body.data);
}

static inline void curl_side_close(struct curl_side *s) {
    curl_easy_cleanup(s->easy);
    free(s->body.data);
}

/* One lucidauth GET of `path`; exits unless it answered 200. */
static inline void lucid_get(LucidClient *client, const char *path) {
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    check(lucid_client_request(client, "GET", path, NULL, 0, NULL, 0, &response, &err), &err,
          "request");
    if (lucid_response_status(response) != 200) {
        fprintf(stderr, "bench: lucidauth got HTTP %u\n", lucid_response_status(response));
        exit(1);
    }
    size_t len = 0;
    keep(lucid_response_body(response, &len));
    lucid_response_free(response);
}

#endif
