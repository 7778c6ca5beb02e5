/*
 * Benchmark 1: reading the cached token through the C ABI, against a baseline in the same
 * program.
 *
 *   token_read CREDENTIALS_FILE THREAD_COUNTS CALLS [IMPLS]
 *
 * THREAD_COUNTS is a comma-separated list such as "1,2,4,8"; CALLS is the total number of reads
 * per measurement, shared evenly between the threads. One warm-up read fetches the token from
 * the server; every timed read is then a cache hit. IMPLS (default all) is a comma-separated
 * subset of the names below, e.g. "lucidauth" alone for profiling.
 *
 *   lucidauth       lucid_client_access_token(client, NULL, &token, NULL) + lucid_string_free
 *   lucidauth_buf   lucid_client_access_token_buf into a 2 KiB buffer of the thread's own (the
 *                   zero-allocation read)
 *   mutex_strdup    the baseline: a pthread_mutex-guarded cached token, strdup + free
 *   mutex_clock     the baseline plus what a real cache also does: read the monotonic clock and
 *                   compare it with the token's expiry (for information)
 *   strdup_only     strdup + free of the token with no lock: what a lock-free cache could reach
 *                   (for information)
 *   compute         no memory shared between threads at all, ~the cost of one read in
 *                   arithmetic: how much faster 2 threads can be on this machine (the ceiling
 *                   for the 2-thread target)
 *
 * For each thread count the three are measured one after the other; prints one JSON line each:
 * {"bench":"token_read","impl":...,"threads":N,"calls":C,"ns_per_call":..,"calls_per_sec":..}
 * where ns_per_call is wall time x threads / calls (the time one read takes on its thread) and
 * calls_per_sec is calls / wall time (all threads together).
 */
#include "common.h"

typedef char *(*read_fn)(void);
typedef void (*release_fn)(char *);

static LucidClient *client;

static char *lucid_read(void) {
    char *token = NULL;
    LucidError *err = NULL;
    check(lucid_client_access_token(client, NULL, &token, &err), &err, "access token");
    return token;
}

static void lucid_release(char *token) {
    lucid_string_free(token);
}

/* The caller's buffer: a thread's own, as a stack buffer would be. */
static _Thread_local char token_buf[2048];

static char *lucid_buf_read(void) {
    size_t len = 0;
    LucidError *err = NULL;
    check(lucid_client_access_token_buf(client, NULL, token_buf, sizeof token_buf, &len, &err), &err,
          "access token into a buffer");
    return token_buf;
}

static void lucid_buf_release(char *token) {
    keep(token);
}

static pthread_mutex_t baseline_lock = PTHREAD_MUTEX_INITIALIZER;
static char *baseline_token;
static uint64_t baseline_expiry_ns;

static char *baseline_read(void) {
    pthread_mutex_lock(&baseline_lock);
    char *copy = strdup(baseline_token);
    pthread_mutex_unlock(&baseline_lock);
    return copy;
}

static char *baseline_clock_read(void) {
    uint64_t now = now_ns();
    char *copy = NULL;
    pthread_mutex_lock(&baseline_lock);
    if (now < baseline_expiry_ns) {
        copy = strdup(baseline_token);
    }
    pthread_mutex_unlock(&baseline_lock);
    return copy;
}

static void baseline_release(char *token) {
    free(token);
}

static char *strdup_only_read(void) {
    return strdup(baseline_token);
}

static char compute_result[2] = "x";

static char *compute_read(void) {
    uint64_t x = (uint64_t)(uintptr_t)&x;
    for (int i = 0; i < 24; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        keep(&x);
    }
    return compute_result;
}

static void compute_release(char *token) {
    keep(token);
}

struct job {
    read_fn read;
    release_fn release;
    long calls;
    pthread_barrier_t *start;
    unsigned long checksum;
};

static void *reader(void *arg) {
    struct job *job = arg;
    unsigned long checksum = 0;
    pthread_barrier_wait(job->start);
    for (long i = 0; i < job->calls; i++) {
        char *token = job->read();
        keep(token);
        checksum += (unsigned char)token[0];
        job->release(token);
    }
    job->checksum = checksum;
    return NULL;
}

/* Runs `calls` reads spread over `threads` threads; returns the wall time in ns. */
static uint64_t measure(read_fn read, release_fn release, int threads, long calls) {
    pthread_t ids[64];
    struct job jobs[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){read, release, calls / threads, &start, 0};
        pthread_create(&ids[t], NULL, reader, &jobs[t]);
    }
    pthread_barrier_wait(&start);
    uint64_t begin = now_ns();
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
    }
    uint64_t elapsed = now_ns() - begin;
    pthread_barrier_destroy(&start);
    return elapsed;
}

static void report(const char *impl, int threads, long calls, uint64_t elapsed) {
    long done = calls / threads * threads;
    printf("{\"bench\":\"token_read\",\"impl\":\"%s\",\"threads\":%d,\"calls\":%ld,"
           "\"ns_per_call\":%.2f,\"calls_per_sec\":%.0f}\n",
           impl, threads, done, (double)elapsed * threads / (double)done,
           (double)done * 1e9 / (double)elapsed);
    fflush(stdout);
}

/* Whether `name` is an item of the comma-separated `list`. */
static int wanted(const char *list, const char *name) {
    size_t len = strlen(name);
    for (const char *p = list; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0')) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: token_read CREDENTIALS_FILE THREAD_COUNTS CALLS [IMPLS]\n");
        return 2;
    }
    long calls = atol(argv[3]);
    const char *impls =
        argc == 5 ? argv[4] : "lucidauth,lucidauth_buf,mutex_strdup,mutex_clock,strdup_only,compute";
    client = client_from_file(argv[1]);

    /* Warm-up: the one fetch, then the baseline caches the same token. */
    char *token = lucid_read();
    baseline_token = strdup(token);
    baseline_expiry_ns = now_ns() + 3600ull * 1000000000u;
    lucid_release(token);

    char list[256];
    snprintf(list, sizeof list, "%s", argv[2]);
    for (char *item = strtok(list, ","); item != NULL; item = strtok(NULL, ",")) {
        int threads = atoi(item);
        if (threads < 1 || threads > 64) {
            fprintf(stderr, "token_read: thread counts are 1 to 64\n");
            return 2;
        }
        if (wanted(impls, "lucidauth")) {
            report("lucidauth", threads, calls,
                   measure(lucid_read, lucid_release, threads, calls));
        }
        if (wanted(impls, "lucidauth_buf")) {
            report("lucidauth_buf", threads, calls,
                   measure(lucid_buf_read, lucid_buf_release, threads, calls));
        }
        if (wanted(impls, "mutex_strdup")) {
            report("mutex_strdup", threads, calls,
                   measure(baseline_read, baseline_release, threads, calls));
        }
        if (wanted(impls, "mutex_clock")) {
            report("mutex_clock", threads, calls,
                   measure(baseline_clock_read, baseline_release, threads, calls));
        }
        if (wanted(impls, "strdup_only")) {
            report("strdup_only", threads, calls,
                   measure(strdup_only_read, baseline_release, threads, calls));
        }
        if (wanted(impls, "compute")) {
            report("compute", threads, calls,
                   measure(compute_read, compute_release, threads, calls));
        }
    }
    free(baseline_token);
    lucid_client_free(client);
    return 0;
}
