// A very small test harness shared by the two translation units of the C++ wrapper's test
// (test_main.cpp and test_second_tu.cpp). Like lucidauth.hpp, everything here is inline, so the
// header can be included in both without multiple definitions.
#ifndef LUCIDAUTH_TEST_SUPPORT_HPP
#define LUCIDAUTH_TEST_SUPPORT_HPP

#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>

#include "lucidauth.hpp"

namespace test {

inline int passed = 0;
inline int failed = 0;
inline int current_failures = 0;

/// Records one expectation; prints it when it does not hold.
inline void check(bool ok, const char *expr, const char *file, int line) {
    if (!ok) {
        ++current_failures;
        std::cerr << "    " << file << ':' << line << ": expected " << expr << '\n';
    }
}

/// Runs one named test case; an exception escaping it is a failure.
inline void run(const char *name, const std::function<void()> &body) {
    current_failures = 0;
    try {
        body();
    } catch (const lucidauth::Error &e) {
        ++current_failures;
        std::cerr << "    unexpected lucidauth::Error " << e.status_name() << ": " << e.what() << '\n';
    } catch (const std::exception &e) {
        ++current_failures;
        std::cerr << "    unexpected exception: " << e.what() << '\n';
    }
    if (current_failures == 0) {
        ++passed;
        std::cout << "ok   " << name << '\n';
    } else {
        ++failed;
        std::cout << "FAIL " << name << '\n';
    }
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

/// Runs `f`, expecting it to throw lucidauth::Error; returns it (or a LUCID_STATUS_OK one).
template <typename F>
inline lucidauth::Error expect_error(F &&f) {
    try {
        f();
    } catch (const lucidauth::Error &e) {
        return e;
    }
    return lucidauth::Error(LUCID_STATUS_OK, "no exception was thrown");
}

/// The tests defined in test_second_tu.cpp.
void run_second_tu_tests(const std::string &credentials_path);

}  // namespace test

#define CHECK(expr) ::test::check(static_cast<bool>(expr), #expr, __FILE__, __LINE__)

#endif  // LUCIDAUTH_TEST_SUPPORT_HPP
