// Tests of lucidauth.hpp against the bundled local server, first translation unit (the other is
// test_second_tu.cpp; both include lucidauth.hpp, which proves it has no ODR problems).
//
//   lucidauth_cpp_test CREDENTIALS_FILE BASE_URL
//
// CREDENTIALS_FILE is the file written by `lucid-testserver --credentials-out`, BASE_URL the
// server's (http://127.0.0.1:PORT, for its /_admin/ endpoints). The tests of the shared Client
// fetch exactly one token for it, the long-token and log tests six with clients of their own, the
// stats tests two, the authorize tests two; run_tests.sh checks the total through the server's
// /_admin/stats.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "lucidauth.hpp"
#include "test_support.hpp"

using test::contains;
using test::expect_error;

namespace {

/// The body of GET <base_url>/_admin/requests (what the server received), in lower case. The
/// client reaches the admin endpoint as an absolute URL on the API's origin.
std::string recorded_requests(const lucidauth::Client &client, const std::string &base_url) {
    std::string body = client.request("GET", base_url + "/_admin/requests").body_string();
    std::transform(body.begin(), body.end(), body.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return body;
}

void shared_client_tests(const lucidauth::Client &client, const std::string &base_url) {
    test::run("token() returns the same non-empty token on every call", [&] {
        std::string first = client.token();
        std::string second = client.token();
        std::string third = client.token(std::nullopt);
        CHECK(!first.empty());
        CHECK(first == second);
        CHECK(first == third);
    });

    test::run("request() sends path, query, body and extra headers; 200 with the echo", [&] {
        std::vector<lucidauth::Header> headers{{"X-Test", "from C++"}, {"Content-Type", "text/plain"}};
        lucidauth::Response r = client.request("POST", "/documents?limit=1", "hello from C++", headers);
        CHECK(r.status() == 200);
        std::string_view body = r.body();
        CHECK(contains(body, "\"method\":\"POST\""));
        CHECK(contains(body, "\"path\":\"/v1/documents\""));
        CHECK(contains(body, "\"query\":\"limit=1\""));
        CHECK(contains(body, "\"body\":\"hello from C++\""));
        CHECK(contains(body, "\"x-test\":\"from C++\""));
        CHECK(contains(body, "\"x-api-key\":\"API_KEY\""));
        CHECK(contains(body, "\"authorization\":\"Bearer " + client.token() + "\""));
        CHECK(r.body_string() == body);
    });

    test::run("request() sends the extra headers in the caller's order", [&] {
        std::vector<lucidauth::Header> headers{
            {"X-Test-Zeta", "cpp-order-1"}, {"X-Test-Alpha", "cpp-order-2"}, {"X-Test-Mid", "cpp-order-3"}};
        CHECK(client.request("GET", "/documents", {}, headers).status() == 200);
        std::string recorded = recorded_requests(client, base_url);
        size_t zeta = recorded.find(R"(["x-test-zeta","cpp-order-1"])");
        size_t alpha = recorded.find(R"(["x-test-alpha","cpp-order-2"])");
        size_t mid = recorded.find(R"(["x-test-mid","cpp-order-3"])");
        CHECK(zeta != std::string::npos);
        CHECK(alpha != std::string::npos);
        CHECK(mid != std::string::npos);
        CHECK(zeta < alpha);
        CHECK(alpha < mid);
    });

    test::run("request() takes string_views that are not NUL-terminated", [&] {
        std::string buffer = "GETXX/documents/abcXX";
        std::string_view method(buffer.data(), 3);
        std::string_view path(buffer.data() + 5, 14);
        std::string data = "bodyXX";
        lucidauth::Response r = client.request(method, path, std::string_view(data.data(), 4));
        CHECK(r.status() == 200);
        CHECK(contains(r.body(), "\"method\":\"GET\""));
        CHECK(contains(r.body(), "\"path\":\"/v1/documents/abc\""));
        CHECK(contains(r.body(), "\"body\":\"body\""));
    });

    test::run("Response::header() is case-insensitive; headers() lists lower-case names", [&] {
        lucidauth::Response r = client.request("GET", "/documents");
        CHECK(r.status() == 200);
        auto content_type = r.header("Content-Type");
        CHECK(content_type.has_value());
        CHECK(content_type && contains(*content_type, "application/json"));
        CHECK(r.header("content-type") == content_type);
        CHECK(!r.header("x-no-such-header").has_value());
        auto all = r.headers();
        bool found = false;
        for (const auto &[name, value] : all) {
            if (name == "content-type") found = (value == *content_type);
        }
        CHECK(!all.empty());
        CHECK(found);
    });

    test::run("a redirect is returned, not followed (HTTP status is not an exception)", [&] {
        lucidauth::Response r = client.request("GET", "/somewhere/redirect");
        CHECK(r.status() == 302);
        auto location = r.header("location");
        CHECK(location && contains(*location, "/elsewhere"));
    });

    test::run("an absolute URL on another origin is refused (LUCID_STATUS_INSECURE_URL)", [&] {
        auto e = expect_error([&] { client.request("GET", "https://example.com/steal"); });
        CHECK(e.status() == LUCID_STATUS_INSECURE_URL);
        CHECK(e.status_name() == "LUCID_STATUS_INSECURE_URL");
        CHECK(e.http_status() == 0);
    });

    test::run("8 threads x 100 token() calls all get the same token", [&] {
        const std::string expected = client.token();
        constexpr int kThreads = 8;
        constexpr int kCalls = 100;
        std::vector<int> mismatches(kThreads, 0);
        std::vector<int> errors(kThreads, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kCalls; ++i) {
                    try {
                        if (client.token() != expected) ++mismatches[t];
                    } catch (const lucidauth::Error &) {
                        ++errors[t];
                    }
                }
            });
        }
        for (auto &thread : threads) thread.join();
        for (int t = 0; t < kThreads; ++t) {
            CHECK(mismatches[t] == 0);
            CHECK(errors[t] == 0);
        }
    });
}

/// A token of `length` bytes: "long-" and then the letters a to z over and over.
std::string long_token(size_t length) {
    std::string token = "long-";
    while (token.size() < length) token.push_back(static_cast<char>('a' + token.size() % 26));
    token.resize(length);
    return token;
}

/// Tokens around and far past token()'s stack buffer, from the server's scripted answers: each
/// is fetched by a client of its own (one token request each), then read again from its cache.
void long_token_tests(const lucidauth::Client &admin, const std::string &credentials_path,
                      const std::string &base_url) {
    const size_t sizes[] = {lucidauth::detail::kTokenStackBuffer - 1, lucidauth::detail::kTokenStackBuffer,
                            20000};
    for (size_t size : sizes) {
        const std::string name = "token() of " + std::to_string(size) + " bytes (stack buffer " +
                                 std::to_string(lucidauth::detail::kTokenStackBuffer) + ")";
        test::run(name.c_str(), [&] {
            const std::string expected = long_token(size);
            std::string script = R"({"target":"token","status":200,"body":{"access_token":")" + expected +
                                 R"(","expires_in":3600,"token_type":"Bearer"}})";
            auto scripted = admin.request("POST", base_url + "/_admin/script", script,
                                          {{"Content-Type", "application/json"}});
            CHECK(scripted.status() == 204);
            lucidauth::Client client(lucidauth::Credentials::from_file(credentials_path));
            std::string first = client.token();
            CHECK(first.size() == size);
            CHECK(first == expected);
            CHECK(client.token() == expected);  // from the cache, through the same path
        });
    }
}

/// One token fetch by a client of its own (the shared client's token is cached).
std::string fresh_token(const std::string &credentials_path) {
    lucidauth::Client fresh(lucidauth::Credentials::from_file(credentials_path));
    return fresh.token();
}

void log_tests(const std::string &credentials_path, const std::string &base_url) {
    test::run("set_log_handler gets the line of a token fetch, and nothing once removed", [&] {
        std::mutex mutex;
        std::vector<std::pair<lucidauth::LogLevel, std::string>> lines;
        lucidauth::set_log_handler(
            [&](lucidauth::LogLevel level, std::string_view message) {
                std::lock_guard<std::mutex> lock(mutex);
                lines.emplace_back(level, std::string(message));
            },
            lucidauth::LogLevel::info);
        std::string token;
        try {
            token = fresh_token(credentials_path);
        } catch (...) {
            lucidauth::set_log_handler({});
            throw;
        }
        lucidauth::set_log_handler({});

        const std::string prefix = "token request to " + base_url + "/oauth2/token for scope '': HTTP 200 in ";
        int fetches = 0;
        for (const auto &[level, message] : lines) {
            bool is_fetch = message.rfind(prefix, 0) == 0 && message.size() > prefix.size() + 3 &&
                            message.compare(message.size() - 3, 3, " ms") == 0;
            if (is_fetch) {
                ++fetches;
                CHECK(level == lucidauth::LogLevel::info);
            }
            CHECK(!contains(message, token));
            CHECK(!contains(message, "CLIENT_SECRET"));
        }
        CHECK(fetches == 1);

        const size_t seen = lines.size();
        CHECK(!fresh_token(credentials_path).empty());
        CHECK(lines.size() == seen);

        auto e = expect_error([] { lucidauth::set_log_handler([](lucidauth::LogLevel, std::string_view) {},
                                                             static_cast<lucidauth::LogLevel>(7)); });
        CHECK(e.status() == LUCID_STATUS_INVALID_ARGUMENT);
    });

    test::run("a log handler that throws disturbs nothing", [&] {
        std::atomic<int> calls{0};
        lucidauth::set_log_handler(
            [&](lucidauth::LogLevel, std::string_view) {
                ++calls;
                throw std::runtime_error("a handler that fails");
            },
            lucidauth::LogLevel::debug);
        std::string token;
        try {
            token = fresh_token(credentials_path);
        } catch (...) {
            lucidauth::set_log_handler({});
            throw;
        }
        lucidauth::set_log_handler({});
        CHECK(!token.empty());
        CHECK(calls.load() > 0);
    });
}

/// Client::stats() of clients of their own: one good (one fetch, then nine reads from memory),
/// one with a wrong secret (one rejected fetch).
void stats_tests(const std::string &credentials_path) {
    test::run("lucid_stat_name names every LUCID_STAT_ counter and no more", [&] {
        int32_t count = 0;
        while (lucid_stat_name(count) != nullptr) ++count;
        CHECK(count == LUCID_STAT_LAST_ERROR_STATUS + 1);
        CHECK(std::string_view(lucid_stat_name(LUCID_STAT_TOKEN_FETCHES)) == "token_fetches");
        CHECK(lucid_stat_name(-1) == nullptr);
    });

    test::run("stats(): 1 token fetch, then 9 memory reads, one scope from the token endpoint", [&] {
        lucidauth::Client client(lucidauth::Credentials::from_file(credentials_path));
        const std::string first = client.token();
        for (int i = 0; i < 9; ++i) CHECK(client.token() == first);
        const lucidauth::Stats s = client.stats();
        CHECK(s.token_fetches == 1);
        CHECK(s.token_fetch_failures == 0);
        CHECK(s.memory_reads == 9);
        CHECK(s.shared_cache_reads == 0);
        CHECK(s.background_refreshes == 0);
        CHECK(s.unauthorized_refetches == 0);
        CHECK(s.retries == 0);
        CHECK(s.last_fetch_latency >= std::chrono::milliseconds(0));
        CHECK(s.last_fetch_latency < std::chrono::seconds(20));
        CHECK(s.last_error == LUCID_STATUS_OK);
        CHECK(s.scopes.size() == 1);
        if (s.scopes.size() == 1) {
            const lucidauth::ScopeStats &scope = s.scopes[0];
            CHECK(scope.scope.empty());
            CHECK(scope.origin == "token endpoint");
            CHECK(scope.expires_in > std::chrono::milliseconds(0));
            CHECK(scope.expires_in <= std::chrono::seconds(3600));
            CHECK(scope.refresh_in <= scope.expires_in);
            // The refresh window is refresh_margin (300 s by default); each end is rounded down
            // to a millisecond on its own.
            const auto margin = scope.expires_in - scope.refresh_in;
            CHECK(margin >= std::chrono::milliseconds(299999));
            CHECK(margin <= std::chrono::milliseconds(300001));
        }
    });

    test::run("stats(): a wrong secret is 1 failed fetch and LUCID_STATUS_CREDENTIALS_REJECTED", [&] {
        auto bad = lucidauth::Credentials::from_file(credentials_path)
                       .to_builder()
                       .set("client_secret", "not-the-secret-stats")
                       .build();
        lucidauth::Client client(bad);
        auto e = expect_error([&] { client.token(); });
        CHECK(e.status() == LUCID_STATUS_CREDENTIALS_REJECTED);
        const lucidauth::Stats s = client.stats();
        CHECK(s.token_fetches == 0);
        CHECK(s.token_fetch_failures == 1);
        CHECK(s.memory_reads == 0);
        CHECK(s.retries == 0);
        CHECK(s.last_fetch_latency == std::chrono::milliseconds(0));
        CHECK(s.last_error == LUCID_STATUS_CREDENTIALS_REJECTED);
        CHECK(static_cast<int32_t>(s.last_error) == 9);
        CHECK(s.scopes.empty());
    });

    test::run("stats() on a moved-from Client throws LUCID_STATUS_NULL_ARGUMENT", [&] {
        lucidauth::Client client(lucidauth::Credentials::from_file(credentials_path));
        lucidauth::Client moved(std::move(client));
        auto e = expect_error([&] { (void)client.stats(); });  // NOLINT(bugprone-use-after-move)
        CHECK(e.status() == LUCID_STATUS_NULL_ARGUMENT);
    });
}

/// Client::authorize and Client::unauthorized with a client of their own: two token requests
/// (the first authorize, and the one after the drop).
void authorize_tests(const std::string &credentials_path, const std::string &base_url) {
    lucidauth::Client client(lucidauth::Credentials::from_file(credentials_path));
    const std::string url = base_url + "/v1/documents?limit=1";

    test::run("authorize() gives x-api-key and the bearer token, in that order", [&] {
        lucidauth::Headers sent = client.authorize("GET", url);
        std::string token = client.token();
        CHECK(sent.size() == 2);
        CHECK(sent.name(0) == "x-api-key" && sent.value(0) == "API_KEY");
        CHECK(sent.name(1) == "Authorization" && sent.value(1) == "Bearer " + token);
        CHECK(sent.name(2).empty() && sent.value(2).empty());
        std::vector<std::string> lines = sent.lines();
        CHECK(lines.size() == 2 && lines[1] == "Authorization: Bearer " + token);
    });

    test::run("authorize() refuses another origin with LUCID_STATUS_INSECURE_URL", [&] {
        auto e = expect_error([&] { (void)client.authorize("GET", "https://api.lucidtech.ai/v1/documents"); });
        CHECK(e.status() == LUCID_STATUS_INSECURE_URL);
        auto bad = expect_error([&] { (void)client.authorize("GET", std::string("/a\0b", 4)); });
        CHECK(bad.status() == LUCID_STATUS_INVALID_ARGUMENT);
    });

    test::run("unauthorized() drops the token that was sent, once", [&] {
        lucidauth::Headers first = client.authorize("GET", url);
        client.unauthorized(first, "Bearer error=\"invalid_token\"");
        lucidauth::Headers second = client.authorize("GET", url);
        CHECK(second.value(1) != first.value(1));
        client.unauthorized(first, std::nullopt, "nonce");  // stale: the new token stays
        lucidauth::Headers third = client.authorize("GET", url);
        CHECK(third.value(1) == second.value(1));
    });

    test::run("authorize() and unauthorized() on a moved-from Client throw LUCID_STATUS_NULL_ARGUMENT", [&] {
        lucidauth::Headers sent = client.authorize("GET", url);
        lucidauth::Client moved(std::move(client));
        auto e = expect_error([&] { (void)client.authorize("GET", url); });  // NOLINT(bugprone-use-after-move)
        CHECK(e.status() == LUCID_STATUS_NULL_ARGUMENT);
        auto u = expect_error([&] { client.unauthorized(sent); });  // NOLINT(bugprone-use-after-move)
        CHECK(u.status() == LUCID_STATUS_NULL_ARGUMENT);
        lucidauth::Headers empty(nullptr);
        auto n = expect_error([&] { moved.unauthorized(empty); });
        CHECK(n.status() == LUCID_STATUS_NULL_ARGUMENT);
        CHECK(empty.size() == 0 && empty.name(0).empty());
    });
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << (argc > 0 ? argv[0] : "lucidauth_cpp_test") << " CREDENTIALS_FILE BASE_URL\n";
        return 2;
    }
    const std::string credentials_path = argv[1];
    const std::string base_url = argv[2];
    std::cout << "lucidauth " << lucidauth::version() << " (header " << LUCIDAUTH_VERSION_STRING << ")\n";

    test::run("the library's version matches the header", [&] {
        CHECK(lucidauth::version() == LUCIDAUTH_VERSION_STRING);
    });

    std::optional<lucidauth::Client> client;
    test::run("Credentials::from_file and Client construct", [&] {
        auto creds = lucidauth::Credentials::from_file(credentials_path);
        CHECK(static_cast<bool>(creds));
        client.emplace(creds);  // the client copies the credentials; creds is freed here
        CHECK(static_cast<bool>(*client));
    });
    if (client) {
        shared_client_tests(*client, base_url);
        long_token_tests(*client, credentials_path, base_url);
    } else {
        ++test::failed;
        std::cout << "FAIL (the shared-client tests did not run)\n";
    }

    log_tests(credentials_path, base_url);
    stats_tests(credentials_path);
    authorize_tests(credentials_path, base_url);
    test::run_second_tu_tests(credentials_path);

    std::cout << test::passed << " passed, " << test::failed << " failed\n";
    return test::failed == 0 ? 0 : 1;
}
