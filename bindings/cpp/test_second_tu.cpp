// Tests of lucidauth.hpp, second translation unit: errors, builders and moved-from handles.
// It includes lucidauth.hpp just as test_main.cpp does and uses the same inline functions
// (Credentials::from_file, Client::Client, Client::token, ...), so the program links only if the
// header defines nothing that is not inline.
#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lucidauth.hpp"
#include "test_support.hpp"

using test::contains;
using test::expect_error;

// Handles are movable (without throwing) and not copyable; Error is cheap to copy.
static_assert(!std::is_copy_constructible_v<lucidauth::Client>);
static_assert(!std::is_copy_assignable_v<lucidauth::Client>);
static_assert(std::is_nothrow_move_constructible_v<lucidauth::Client>);
static_assert(std::is_nothrow_move_assignable_v<lucidauth::Client>);
static_assert(!std::is_copy_constructible_v<lucidauth::Credentials>);
static_assert(std::is_nothrow_move_constructible_v<lucidauth::Credentials>);
static_assert(!std::is_copy_constructible_v<lucidauth::CredentialsBuilder>);
static_assert(std::is_nothrow_move_constructible_v<lucidauth::CredentialsBuilder>);
static_assert(!std::is_copy_constructible_v<lucidauth::Response>);
static_assert(std::is_nothrow_move_constructible_v<lucidauth::Response>);
static_assert(std::is_base_of_v<std::runtime_error, lucidauth::Error>);
static_assert(std::is_nothrow_copy_constructible_v<lucidauth::Error>);

namespace test {

void run_second_tu_tests(const std::string &credentials_path) {
    const std::string kWrongSecret = "not-the-secret-7f3a9c";

    test::run("a wrong secret throws CREDENTIALS_REJECTED, 401, invalid_client, no secret in what()", [&] {
        auto good = lucidauth::Credentials::from_file(credentials_path);
        auto bad = good.to_builder().set("client_secret", kWrongSecret).build();
        lucidauth::Client client(bad);
        auto e = expect_error([&] { client.token(); });
        CHECK(e.status() == LUCID_STATUS_CREDENTIALS_REJECTED);
        CHECK(e.status_name() == "LUCID_STATUS_CREDENTIALS_REJECTED");
        CHECK(e.http_status() == 401);
        CHECK(e.oauth_error() == std::optional<std::string>("invalid_client"));
        CHECK(!contains(e.what(), kWrongSecret));
        CHECK(!contains(e.what(), "CLIENT_SECRET"));
        CHECK(!e.oauth_error_description() || !contains(*e.oauth_error_description(), kWrongSecret));
        CHECK(std::string(e.what()) != "");
        // A copy keeps every detail (they are shared, not re-read from the freed LucidError).
        lucidauth::Error copy = e;
        CHECK(copy.status() == e.status());
        CHECK(copy.http_status() == 401);
        CHECK(copy.oauth_error() == e.oauth_error());
        CHECK(std::string(copy.what()) == e.what());
    });

    test::run("a missing profile throws LUCID_STATUS_CONFIG", [&] {
        auto e = expect_error([&] { lucidauth::Credentials::from_file(credentials_path, "no-such-profile"); });
        CHECK(e.status() == LUCID_STATUS_CONFIG);
        CHECK(e.status_name() == "LUCID_STATUS_CONFIG");
        CHECK(e.http_status() == 0);
        CHECK(!e.oauth_error().has_value());
    });

    test::run("a missing file throws a lucidauth::Error (not OK)", [&] {
        auto e = expect_error([&] { lucidauth::Credentials::from_file(credentials_path + ".does-not-exist"); });
        CHECK(e.status() != LUCID_STATUS_OK);
        CHECK(e.status() == LUCID_STATUS_IO || e.status() == LUCID_STATUS_CONFIG);
    });

    test::run("CredentialsBuilder: set/build, unknown key and bad value are INVALID_ARGUMENT", [&] {
        lucidauth::CredentialsBuilder builder;
        builder.set("client_id", "id").set("client_secret", "secret");
        auto creds = builder.build();
        CHECK(static_cast<bool>(creds));
        auto again = builder.build();  // the builder stays usable
        CHECK(static_cast<bool>(again));
        auto chained = lucidauth::CredentialsBuilder().set("client_id", "a").set("client_secret", "b").build();
        CHECK(static_cast<bool>(chained));

        auto unknown = expect_error([&] { builder.set("no_such_key", "x"); });
        CHECK(unknown.status() == LUCID_STATUS_INVALID_ARGUMENT);
        auto bad_value = expect_error([&] { builder.set("timeout", "soon"); });
        CHECK(bad_value.status() == LUCID_STATUS_INVALID_ARGUMENT);
        CHECK(static_cast<bool>(builder.build()));  // left as it was

        auto incomplete = expect_error([] { lucidauth::CredentialsBuilder().set("client_id", "only").build(); });
        CHECK(incomplete.status() != LUCID_STATUS_OK);
    });

    test::run("credential_keys() is lucid_credentials_key's list, and set() accepts every key", [&] {
        std::vector<std::string_view> keys = lucidauth::credential_keys();
        size_t count = 0;
        while (lucid_credentials_key(count) != nullptr) ++count;
        CHECK(keys.size() == count);
        for (size_t i = 0; i < keys.size() && i < count; ++i) CHECK(keys[i] == lucid_credentials_key(i));
        CHECK(!keys.empty() && keys.front() == "client_id");
        CHECK(std::find(keys.begin(), keys.end(), "cache_url") != keys.end());
        // No key the library lists is unknown to the builder: a blank value may be refused, but
        // never as an unknown key (as a made-up key is).
        auto made_up = expect_error([] { lucidauth::CredentialsBuilder().set("colour", " "); });
        CHECK(contains(made_up.what(), "unknown key"));
        for (std::string_view key : keys) {
            auto e = expect_error([&] { lucidauth::CredentialsBuilder().set(key, " "); });
            CHECK(!contains(e.what(), "unknown key"));
        }
    });

    test::run("Credentials::create and Client need no network", [&] {
        auto creds = lucidauth::Credentials::create("some-id", "some-secret");
        lucidauth::Client client(creds);
        CHECK(static_cast<bool>(client));
    });

    test::run("string arguments holding a NUL byte are refused, not truncated", [&] {
        using namespace std::string_literals;
        auto e = expect_error([] { lucidauth::Credentials::create("id\0tail"s, "secret"); });
        CHECK(e.status() == LUCID_STATUS_INVALID_ARGUMENT);
        CHECK(!contains(e.what(), "secret"));
        auto creds = lucidauth::Credentials::create("id", "secret");
        lucidauth::Client client(creds);
        auto p = expect_error([&] { client.request("GET", "/a\0b"s); });
        CHECK(p.status() == LUCID_STATUS_INVALID_ARGUMENT);
    });

    test::run("moved-from handles are safe to destroy, and calls on them throw", [&] {
        auto creds = lucidauth::Credentials::from_file(credentials_path);
        lucidauth::Credentials moved_creds = std::move(creds);
        CHECK(!creds);  // NOLINT(bugprone-use-after-move): checking the moved-from state
        CHECK(static_cast<bool>(moved_creds));
        auto builder_error = expect_error([&] { creds.to_builder(); });
        CHECK(builder_error.status() == LUCID_STATUS_NULL_ARGUMENT);
        auto client_error = expect_error([&] { lucidauth::Client c(creds); });
        CHECK(client_error.status() == LUCID_STATUS_NULL_ARGUMENT);

        lucidauth::Client client(moved_creds);
        lucidauth::Client other = std::move(client);
        CHECK(!client);
        auto token_error = expect_error([&] { client.token(); });
        CHECK(token_error.status() == LUCID_STATUS_NULL_ARGUMENT);
        auto request_error = expect_error([&] { client.request("GET", "/documents"); });
        CHECK(request_error.status() == LUCID_STATUS_NULL_ARGUMENT);
        client = std::move(other);  // assigning to a moved-from handle works
        CHECK(static_cast<bool>(client));

        lucidauth::CredentialsBuilder builder;
        lucidauth::CredentialsBuilder builder2 = std::move(builder);
        auto set_error = expect_error([&] { builder.set("client_id", "x"); });
        CHECK(set_error.status() == LUCID_STATUS_NULL_ARGUMENT);

        lucidauth::Response empty(nullptr);
        lucidauth::Response moved_response = std::move(empty);
        CHECK(empty.status() == 0);
        CHECK(empty.body().empty());
        CHECK(!empty.header("content-type").has_value());
        CHECK(empty.headers().empty());
        // Every moved-from object above is destroyed at the end of this scope.
    });
}

}  // namespace test
