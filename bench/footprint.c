/*
 * Benchmark 5 (the program part): memory use of cached token reads, and a loop to count
 * allocations under valgrind.
 *
 *   footprint CREDENTIALS_FILE rss
 *       one warm-up fetch, then 1,000 reads: takes VmRSS and VmHWM; then reads up to 1,000,000
 *       and takes them again, and once more at 2,000,000 (growth per read would show twice).
 *       A JSON line: {"bench":"footprint_rss","rss_kb_1k":..,"hwm_kb_1k":..,"rss_kb_1m":..,
 *       "hwm_kb_1m":..,"rss_kb_2m":..,"hwm_kb_2m":..}
 *   footprint CREDENTIALS_FILE reads N
 *   footprint CREDENTIALS_FILE requests N
 *       one warm-up (a read, or a request), then N more token reads or GET requests, and exit.
 *       Run under `valgrind --tool=memcheck` for N and 2N: the difference of the "total heap
 *       usage: A allocs" lines, divided by N, is the allocations per read (or request).
 */
#include "common.h"

static LucidClient *client;

static void read_token(void) {
    char *token = NULL;
    LucidError *err = NULL;
    check(lucid_client_access_token(client, NULL, &token, &err), &err, "access token");
    keep(token);
    lucid_string_free(token);
}

static void request(void) {
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    check(lucid_client_request(client, "GET", "/documents", NULL, 0, NULL, 0, &response, &err),
          &err, "request");
    if (lucid_response_status(response) != 200) {
        fprintf(stderr, "footprint: HTTP %u\n", lucid_response_status(response));
        exit(1);
    }
    lucid_response_free(response);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: footprint CREDENTIALS_FILE rss | reads N | requests N\n");
        return 2;
    }
    client = client_from_file(argv[1]);
    if (strcmp(argv[2], "rss") == 0) {
        read_token(); /* the fetch */
        for (long i = 0; i < 1000; i++) {
            read_token();
        }
        long rss_1k = proc_status_kb("VmRSS"), hwm_1k = proc_status_kb("VmHWM");
        for (long i = 1000; i < 1000000; i++) {
            read_token();
        }
        long rss_1m = proc_status_kb("VmRSS"), hwm_1m = proc_status_kb("VmHWM");
        for (long i = 1000000; i < 2000000; i++) {
            read_token();
        }
        long rss_2m = proc_status_kb("VmRSS"), hwm_2m = proc_status_kb("VmHWM");
        printf("{\"bench\":\"footprint_rss\",\"rss_kb_1k\":%ld,\"hwm_kb_1k\":%ld,"
               "\"rss_kb_1m\":%ld,\"hwm_kb_1m\":%ld,\"rss_kb_2m\":%ld,\"hwm_kb_2m\":%ld}\n",
               rss_1k, hwm_1k, rss_1m, hwm_1m, rss_2m, hwm_2m);
    } else if (argc == 4 && strcmp(argv[2], "reads") == 0) {
        long n = atol(argv[3]);
        read_token();
        for (long i = 0; i < n; i++) {
            read_token();
        }
    } else if (argc == 4 && strcmp(argv[2], "requests") == 0) {
        long n = atol(argv[3]);
        request();
        for (long i = 0; i < n; i++) {
            request();
        }
    } else {
        fprintf(stderr, "usage: footprint CREDENTIALS_FILE rss | reads N | requests N\n");
        return 2;
    }
    lucid_client_free(client);
    return 0;
}
