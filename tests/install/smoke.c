/*
 * The install test's C program (scripts/test_install.sh): built against an installed lucidauth
 * (pkg-config shared and static, CMake), it reads credentials from a file, gets a token, makes
 * one API call and prints the library's version.
 *
 *   smoke CREDENTIALS_FILE
 *
 * Prints `lucid_version: X.Y.Z`, `header: X.Y.Z`, `token: N bytes` and `GET /documents?limit=1:
 * HTTP 200`. Exit status 0 on success, 1 on a failure (the reason on stderr), 2 on a usage error.
 */
#include <lucidauth.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, LucidStatus status, LucidError *err) {
    fprintf(stderr, "smoke: %s: %s: %s\n", what, lucid_status_name(status),
            err != NULL ? lucid_error_message(err) : "(no details)");
    lucid_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    LucidCredentials *creds = NULL;
    LucidClient *client = NULL;
    LucidResponse *response = NULL;
    LucidError *err = NULL;
    LucidStatus status;
    char *token = NULL;
    int result = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: smoke CREDENTIALS_FILE\n");
        return 2;
    }
    printf("lucid_version: %s\n", lucid_version());
    printf("header: %s (%d.%d.%d)\n", LUCIDAUTH_VERSION_STRING, LUCIDAUTH_VERSION_MAJOR,
           LUCIDAUTH_VERSION_MINOR, LUCIDAUTH_VERSION_PATCH);
    if (strcmp(lucid_version(), LUCIDAUTH_VERSION_STRING) != 0) {
        fprintf(stderr, "smoke: lucid_version() is %s but the header says %s\n", lucid_version(),
                LUCIDAUTH_VERSION_STRING);
        return 1;
    }

    status = lucid_credentials_from_file(argv[1], NULL, &creds, &err);
    if (status != LUCID_STATUS_OK) {
        return fail("lucid_credentials_from_file", status, err);
    }
    status = lucid_client_new(creds, &client, &err);
    if (status != LUCID_STATUS_OK) {
        result = fail("lucid_client_new", status, err);
        goto done;
    }
    status = lucid_client_access_token(client, NULL, &token, &err);
    if (status != LUCID_STATUS_OK) {
        result = fail("lucid_client_access_token", status, err);
        goto done;
    }
    printf("token: %zu bytes\n", strlen(token));

    status = lucid_client_request(client, "GET", "/documents?limit=1", NULL, 0, NULL, 0, &response,
                                  &err);
    if (status != LUCID_STATUS_OK) {
        result = fail("lucid_client_request", status, err);
        goto done;
    }
    printf("GET /documents?limit=1: HTTP %u\n", (unsigned)lucid_response_status(response));
    result = lucid_response_status(response) == 200 ? 0 : 1;

done:
    lucid_response_free(response);
    lucid_string_free(token);
    lucid_client_free(client);
    lucid_credentials_free(creds);
    return result;
}
