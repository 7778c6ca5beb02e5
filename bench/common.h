/*
 * Helpers shared by the C benchmarks: a monotonic clock, failing loudly on a library error,
 * a client made from a credentials file, /proc/self/status readings, and a barrier start for
 * threads. Each benchmark prints one JSON object per line on stdout for bench/run.py.
 */
#ifndef LUCIDAUTH_BENCH_COMMON_H
#define LUCIDAUTH_BENCH_COMMON_H

#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lucidauth.h"

/* Nanoseconds on the monotonic clock. */
static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps the compiler from dropping a value (and the work that made it). */
static inline void keep(const void *p) {
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* Exits with the library's message when `status` is not OK. `err` is read only after the call
 * that made `status` (the argument order of that call's own evaluation does not matter). */
static inline void check(LucidStatus status, LucidError **err, const char *what) {
    if (status != LUCID_STATUS_OK) {
        const char *message = lucid_error_message(*err);
        fprintf(stderr, "bench: %s: %s: %s\n", what, lucid_status_name(status),
                message != NULL ? message : "");
        lucid_error_free(*err);
        exit(1);
    }
}

/* A client for the default profile of the credentials file at `path`. */
static inline LucidClient *client_from_file(const char *path) {
    LucidCredentials *creds = NULL;
    LucidClient *client = NULL;
    LucidError *err = NULL;
    check(lucid_credentials_from_file(path, NULL, &creds, &err), &err, "credentials");
    check(lucid_client_new(creds, &client, &err), &err, "client");
    lucid_credentials_free(creds);
    return client;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM), or -1. */
static inline long proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long value = -1;
    size_t len = strlen(field);
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            value = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

/* Sorts doubles ascending, for percentiles. */
static inline int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of `n` sorted values, nearest rank. */
static inline double quantile(const double *sorted, size_t n, double q) {
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return sorted[rank - 1];
}

#endif
