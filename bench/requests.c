/*
 * Benchmark 3: authorized GET round trips on loopback, lucidauth against libcurl, in one run
 * against one server (`lucid-testserver --keep-alive`).
 *
 *   requests CREDENTIALS_FILE ROUNDS REQUESTS
 *
 *   lucidauth   lucid_client_request(client, "GET", "/documents", ...) + lucid_response_free
 *   libcurl     ONE easy handle, reused, sending the same headers (x-api-key,
 *               Authorization: Bearer <the same token>, User-Agent: lucidauth/<version>) to the
 *               same URL, the body collected into a buffer as lucidauth does
 *
 * Each side makes one warm-up request first (lucidauth: which also fetches the token). Then, for
 * each round, both sides run REQUESTS sequential requests, one after the other (the order
 * alternating between rounds). Around each run the server's counters are reset
 * (`POST /_admin/reset`) and read (`GET /_admin/stats`, through a separate curl handle whose
 * admin requests are not counted): `connections` is the number of TCP connections that carried
 * the run's requests. Prints one JSON line per run:
 * {"bench":"requests","impl":...,"round":R,"requests":N,"seconds":..,"requests_per_sec":..,
 *  "api_requests":N,"connections":C}
 */
#include "common.h"

#include <curl/curl.h>

static const char PATH[] = "/documents";

/* A growing buffer for response bodies. */
struct buffer {
    char *data;
    size_t len, cap;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) {
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
    b->data[b->len] = '\0';
    return n;
}

/* The value of `key` in the default profile of a `key = value` credentials file. */
static char *credential(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    char line[1024];
    char *value = NULL;
    size_t len = strlen(key);
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    while (value == NULL && fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '[') {
            break;
        }
        char *p = line;
        if (strncmp(p, key, len) != 0) {
            continue;
        }
        p += len;
        while (*p == ' ') {
            p++;
        }
        if (*p != '=') {
            continue;
        }
        p++;
        while (*p == ' ') {
            p++;
        }
        p[strcspn(p, "\r\n")] = '\0';
        value = strdup(p);
    }
    fclose(f);
    if (value == NULL) {
        fprintf(stderr, "requests: no %s in %s\n", key, path);
        exit(1);
    }
    return value;
}

/* The admin side: a curl handle of its own, so its connection is not the measured one. */
static CURL *admin;
static char admin_base[512];

static void admin_call(const char *method, const char *path, struct buffer *out) {
    char url[600];
    snprintf(url, sizeof url, "%s%s", admin_base, path);
    out->len = 0;
    curl_easy_setopt(admin, CURLOPT_URL, url);
    curl_easy_setopt(admin, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(admin, CURLOPT_POSTFIELDS, strcmp(method, "POST") == 0 ? "" : NULL);
    curl_easy_setopt(admin, CURLOPT_HTTPGET, strcmp(method, "GET") == 0 ? 1L : 0L);
    curl_easy_setopt(admin, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(admin, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(admin);
    if (rc != CURLE_OK) {
        fprintf(stderr, "requests: %s %s: %s\n", method, path, curl_easy_strerror(rc));
        exit(1);
    }
}

static long stat_field(const struct buffer *stats, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *p = stats->data != NULL ? strstr(stats->data, key) : NULL;
    return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* One sequential run of `n` requests by one side; returns its wall time in ns. */
typedef uint64_t (*run_fn)(long n);

static LucidClient *client;

static uint64_t lucid_run(long n) {
    uint64_t begin = now_ns();
    for (long i = 0; i < n; i++) {
        LucidResponse *response = NULL;
        LucidError *err = NULL;
        check(lucid_client_request(client, "GET", PATH, NULL, 0, NULL, 0, &response, &err), &err,
              "request");
        size_t len = 0;
        const uint8_t *body = lucid_response_body(response, &len);
        if (lucid_response_status(response) != 200 || len == 0) {
            fprintf(stderr, "requests: lucidauth got HTTP %u\n", lucid_response_status(response));
            exit(1);
        }
        keep(body);
        lucid_response_free(response);
    }
    return now_ns() - begin;
}

static CURL *easy;
static struct buffer easy_body;

static uint64_t curl_run(long n) {
    uint64_t begin = now_ns();
    for (long i = 0; i < n; i++) {
        easy_body.len = 0;
        CURLcode rc = curl_easy_perform(easy);
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || easy_body.len == 0) {
            fprintf(stderr, "requests: libcurl: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
            exit(1);
        }
        keep(easy_body.data);
    }
    return now_ns() - begin;
}

static void measure(const char *impl, run_fn run, int round, long n) {
    struct buffer stats = {0};
    admin_call("POST", "/_admin/reset", &stats);
    uint64_t elapsed = run(n);
    admin_call("GET", "/_admin/stats", &stats);
    printf("{\"bench\":\"requests\",\"impl\":\"%s\",\"round\":%d,\"requests\":%ld,"
           "\"seconds\":%.6f,\"requests_per_sec\":%.1f,\"api_requests\":%ld,"
           "\"connections\":%ld}\n",
           impl, round, n, (double)elapsed / 1e9, (double)n * 1e9 / (double)elapsed,
           stat_field(&stats, "api_requests"), stat_field(&stats, "connections"));
    fflush(stdout);
    free(stats.data);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: requests CREDENTIALS_FILE ROUNDS REQUESTS\n");
        return 2;
    }
    int rounds = atoi(argv[2]);
    long n = atol(argv[3]);
    char *api_endpoint = credential(argv[1], "api_endpoint");
    char *api_key = credential(argv[1], "api_key");
    /* api_endpoint is <base>/v1: the admin endpoints are on <base>. */
    snprintf(admin_base, sizeof admin_base, "%s", api_endpoint);
    char *slash = strrchr(admin_base, '/');
    if (slash != NULL) {
        *slash = '\0';
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    admin = curl_easy_init();

    /* lucidauth: the client, one warm-up request (which fetches the token). */
    client = client_from_file(argv[1]);
    lucid_run(1);

    /* libcurl: the same token, headers and URL; one warm-up request. */
    char *token = NULL;
    LucidError *err = NULL;
    check(lucid_client_access_token(client, NULL, &token, &err), &err, "access token");
    char url[600], auth[4096], key[512], agent[64];
    snprintf(url, sizeof url, "%s%s", api_endpoint, PATH);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    snprintf(key, sizeof key, "x-api-key: %s", api_key);
    snprintf(agent, sizeof agent, "lucidauth/%s", lucid_version());
    lucid_string_free(token);
    struct curl_slist *headers = curl_slist_append(NULL, key);
    headers = curl_slist_append(headers, auth);
    easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &easy_body);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_run(1);

    for (int round = 1; round <= rounds; round++) {
        if (round % 2 == 1) {
            measure("lucidauth", lucid_run, round, n);
            measure("libcurl", curl_run, round, n);
        } else {
            measure("libcurl", curl_run, round, n);
            measure("lucidauth", lucid_run, round, n);
        }
    }

    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_easy_cleanup(admin);
    curl_global_cleanup();
    free(easy_body.data);
    lucid_client_free(client);
    free(api_endpoint);
    free(api_key);
    return 0;
}
