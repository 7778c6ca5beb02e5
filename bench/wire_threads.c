/*
 * make bench-wire, the timing row: THREADS threads each making N sequential keep-alive
 * authorized GETs of PATH, all through ONE lucidauth client, or each through its own libcurl
 * easy handle (bench/curl_side.h).
 *
 *   wire_threads lucidauth CREDENTIALS_FILE THREADS N PATH
 *   wire_threads libcurl   CREDENTIALS_FILE THREADS N PATH API_ENDPOINT API_KEY CA_FILE|-
 *
 * Each thread makes one warm-up request (libcurl: its connection), one thread after the other,
 * so every connection is open before the timing starts. (This began as a way around tiny_http
 * 0.12, lucid-testserver's HTTP library then, which could leave one of several connections
 * opened at once unserved; the test server now has a thread per connection.) Then all start
 * together at a barrier; the time is from the barrier to the last thread's end. Prints one
 * JSON line:
 * {"side":..,"threads":T,"requests":T*N,"seconds":..,"requests_per_sec":..}
 */
#include "curl_side.h"

enum { MAX_THREADS = 64 };

static LucidClient *client;
static struct curl_request request;
static int use_curl;
static long per_thread;
static const char *path;
static pthread_barrier_t start;
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static long turn; /* the thread whose warm-up is next */

/* Runs `warm_up` when it is thread `me`'s turn, then gives the turn to the next thread. */
static void in_turn(long me, void (*warm_up)(void *), void *arg) {
    pthread_mutex_lock(&turn_lock);
    while (turn != me) {
        pthread_cond_wait(&turn_changed, &turn_lock);
    }
    pthread_mutex_unlock(&turn_lock);
    warm_up(arg);
    pthread_mutex_lock(&turn_lock);
    turn++;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&turn_lock);
}

static void warm_up(void *arg) {
    struct curl_side *side = arg;
    if (use_curl) {
        curl_side_open(side, &request);
        curl_side_get(side);
    } else {
        lucid_get(client, path);
    }
}

static void *worker(void *arg) {
    struct curl_side side;
    in_turn((long)(intptr_t)arg, warm_up, &side);
    pthread_barrier_wait(&start);
    for (long i = 0; i < per_thread; i++) {
        if (use_curl) {
            curl_side_get(&side);
        } else {
            lucid_get(client, path);
        }
    }
    if (use_curl) {
        curl_side_close(&side);
    }
    return NULL;
}

int main(int argc, char **argv) {
    use_curl = argc == 9 && strcmp(argv[1], "libcurl") == 0;
    if (!use_curl && !(argc == 6 && strcmp(argv[1], "lucidauth") == 0)) {
        fprintf(stderr, "usage: wire_threads lucidauth CREDENTIALS THREADS N PATH\n"
                        "       wire_threads libcurl CREDENTIALS THREADS N PATH API_ENDPOINT "
                        "API_KEY CA_FILE|-\n");
        return 2;
    }
    int threads = atoi(argv[3]);
    per_thread = atol(argv[4]);
    path = argv[5];
    if (threads < 1 || threads > MAX_THREADS || per_thread < 1) {
        fprintf(stderr, "wire_threads: THREADS 1..%d, N at least 1\n", MAX_THREADS);
        return 2;
    }
    client = client_from_file(argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (use_curl) {
        curl_request_init(&request, client, argv[6], path, argv[7], argv[8]);
    }
    pthread_t ids[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&ids[t], NULL, worker, (void *)(intptr_t)t) != 0) {
            fprintf(stderr, "wire_threads: cannot start a thread\n");
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    uint64_t begin = now_ns();
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
    }
    uint64_t elapsed = now_ns() - begin;
    long total = per_thread * threads;
    printf("{\"side\":\"%s\",\"threads\":%d,\"requests\":%ld,\"seconds\":%.6f,"
           "\"requests_per_sec\":%.1f}\n",
           argv[1], threads, total, (double)elapsed / 1e9, (double)total * 1e9 / (double)elapsed);
    pthread_barrier_destroy(&start);
    if (use_curl) {
        curl_slist_free_all(request.headers);
    }
    curl_global_cleanup();
    lucid_client_free(client);
    return 0;
}
