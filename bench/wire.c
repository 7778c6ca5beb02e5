/*
 * make bench-wire: N sequential keep-alive authorized GETs of PATH by one side, for counting
 * under strace, callgrind and valgrind's memcheck (bench/wire.py runs it at two N and takes the
 * difference, so start-up, the token fetch and the TLS handshake cancel out).
 *
 *   wire lucidauth CREDENTIALS_FILE N PATH
 *   wire libcurl   CREDENTIALS_FILE N PATH API_ENDPOINT API_KEY CA_FILE|-
 *
 * Both make one warm-up request first. lucidauth: lucid_client_request over the client's pool
 * (HTTPS trusting the credentials' ca_file). libcurl: ONE easy handle, reused, with the same URL
 * and headers (bench/curl_side.h), CURLOPT_CAINFO = CA_FILE.
 */
#include "curl_side.h"

static void run_curl(LucidClient *client, long n, const char *path, char **args) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_request request;
    curl_request_init(&request, client, args[0], path, args[1], args[2]);
    struct curl_side side;
    curl_side_open(&side, &request);
    for (long i = 0; i <= n; i++) {
        curl_side_get(&side);
    }
    curl_side_close(&side);
    curl_slist_free_all(request.headers);
    curl_global_cleanup();
}

int main(int argc, char **argv) {
    int curl = argc == 8 && strcmp(argv[1], "libcurl") == 0;
    if (!curl && !(argc == 5 && strcmp(argv[1], "lucidauth") == 0)) {
        fprintf(stderr, "usage: wire lucidauth CREDENTIALS N PATH\n"
                        "       wire libcurl CREDENTIALS N PATH API_ENDPOINT API_KEY CA_FILE|-\n");
        return 2;
    }
    long n = atol(argv[3]);
    const char *path = argv[4];
    LucidClient *client = client_from_file(argv[2]);
    if (curl) {
        run_curl(client, n, path, argv + 5);
    } else {
        for (long i = 0; i <= n; i++) {
            lucid_get(client, path);
        }
    }
    lucid_client_free(client);
    return 0;
}
