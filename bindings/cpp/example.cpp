// lucid_cpp: the C++ counterpart of examples/c/lucid.c, on top of lucidauth.hpp.
//
//   lucid_cpp [--profile NAME] [--credentials FILE] [--scope SCOPE] [PATH]
//
// Prints an access token, then sends `GET PATH` (default /documents?limit=1) to the API and
// prints the response body to stdout and `HTTP <status>` to stderr.
// Exit status: 0 success (a 2xx answer), 1 a library error, 2 a usage error, 4 an HTTP status
// outside 2xx. Without --credentials, credentials are found as the library finds them
// (environment, then ~/.lucidtech/credentials.cfg).
#include <iostream>
#include <optional>
#include <string>

#include "lucidauth.hpp"

namespace {

enum { kExitOk = 0, kExitLibrary = 1, kExitUsage = 2, kExitHttp = 4 };

int usage(const char *problem) {
    if (problem != nullptr) std::cerr << "lucid_cpp: " << problem << '\n';
    std::cerr << "usage: lucid_cpp [--profile NAME] [--credentials FILE] [--scope SCOPE] [PATH]\n";
    return kExitUsage;
}

}  // namespace

int main(int argc, char **argv) {
    std::optional<std::string> profile;
    std::optional<std::string> credentials_file;
    std::optional<std::string> scope;
    std::string path = "/documents?limit=1";
    bool have_path = false;

    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::optional<std::string> *target = nullptr;
        if (arg == "--profile") {
            target = &profile;
        } else if (arg == "--credentials") {
            target = &credentials_file;
        } else if (arg == "--scope") {
            target = &scope;
        } else if (arg == "--help" || arg == "-h") {
            return usage(nullptr);
        } else if (arg.rfind("--", 0) == 0) {
            return usage(("unknown option " + arg).c_str());
        } else if (!have_path) {
            path = arg;
            have_path = true;
            continue;
        } else {
            return usage("too many arguments");
        }
        if (i + 1 >= argc) return usage((arg + " needs a value").c_str());
        *target = argv[++i];
    }

    try {
        lucidauth::Credentials credentials =
            credentials_file ? lucidauth::Credentials::from_file(*credentials_file, profile)
                             : lucidauth::Credentials::discover(profile);
        if (scope) {
            credentials = credentials.to_builder().set("scope", *scope).build();
        }
        // One client for the whole program; it could be shared by any number of threads.
        const lucidauth::Client client(credentials);

        std::cout << client.token() << '\n';

        lucidauth::Response response = client.request("GET", path);
        std::cout << response.body();
        if (!response.body().empty() && response.body().back() != '\n') std::cout << '\n';
        std::cout.flush();
        std::cerr << "HTTP " << response.status() << '\n';
        return response.status() >= 200 && response.status() < 300 ? kExitOk : kExitHttp;
    } catch (const lucidauth::Error &e) {
        std::cerr << "lucid_cpp: " << e.status_name() << ": " << e.what() << '\n';
        return kExitLibrary;
    }
}
