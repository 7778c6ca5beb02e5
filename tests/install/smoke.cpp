// The install test's C++ program (scripts/test_install.sh): smoke.c again, through the installed
// C++ wrapper: #include <lucidauth.hpp> must find the one installed beside lucidauth.h.
//
//   smoke_cpp CREDENTIALS_FILE
//
// Prints what smoke.c prints (`lucid_version: X.Y.Z`, `header: ...`, `token: N bytes`,
// `GET /documents?limit=1: HTTP 200`). Exit status 0 on success, 1 on a failure, 2 on a usage
// error.
#include <lucidauth.hpp>

#include <cstring>
#include <iostream>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: smoke_cpp CREDENTIALS_FILE\n";
        return 2;
    }
    std::cout << "lucid_version: " << lucidauth::version() << '\n';
    std::cout << "header: " << LUCIDAUTH_VERSION_STRING << " (" << LUCIDAUTH_VERSION_MAJOR << '.'
              << LUCIDAUTH_VERSION_MINOR << '.' << LUCIDAUTH_VERSION_PATCH << ")\n";
    if (lucidauth::version() != LUCIDAUTH_VERSION_STRING) {
        std::cerr << "smoke_cpp: the library is " << lucidauth::version() << " but the header says "
                  << LUCIDAUTH_VERSION_STRING << '\n';
        return 1;
    }
    try {
        lucidauth::Client client(lucidauth::Credentials::from_file(argv[1]));
        std::cout << "token: " << client.token().size() << " bytes\n";
        lucidauth::Response response = client.request("GET", "/documents?limit=1");
        std::cout << "GET /documents?limit=1: HTTP " << response.status() << '\n';
        return response.status() == 200 ? 0 : 1;
    } catch (const lucidauth::Error &e) {
        std::cerr << "smoke_cpp: " << e.status_name() << ": " << e.what() << '\n';
        return 1;
    }
}
