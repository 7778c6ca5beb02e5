// lucidauth.hpp: a header-only C++17 wrapper around the lucidauth C API (lucidauth.h).
//
//   #include "lucidauth.hpp"
//
//   auto creds = lucidauth::Credentials::discover();          // or from_file(path) / create(id, secret)
//   lucidauth::Client client(creds);
//   std::string token = client.token();
//   lucidauth::Response r = client.request("GET", "/documents");
//   std::cout << r.status() << ' ' << r.body() << '\n';
//
// Ownership: every handle (Credentials, CredentialsBuilder, Client, Response) owns exactly one
// library object through a std::unique_ptr whose deleter is the library's own `lucid_*_free`.
// Handles are movable, not copyable; a moved-from handle holds NULL, may be destroyed or assigned
// to, and any other call on it throws lucidauth::Error (the library reports
// LUCID_STATUS_NULL_ARGUMENT) or, for Response accessors, returns an empty value. Tokens are
// copied by the library into a buffer of this header's (wiped after use), then into std::string.
// Everything here is `inline` (or a template), so the header may be included in any number of
// translation units of one program.
//
// Errors: every failure throws lucidauth::Error (a std::runtime_error) carrying the status code,
// the HTTP status and the OAuth error fields, all copied out of the library's LucidError, which is
// freed before the exception is thrown. Messages never contain a secret or a token.
//
// Threads: Credentials and Client are immutable and safe to use from many threads at once (all
// their member functions are const); share one Client per process so that all threads share its
// token cache. A Response may be read from any thread. A CredentialsBuilder must not be used from
// two threads at once. Moving or destroying a handle while another thread uses it is a data race,
// as for any C++ object.
#ifndef LUCIDAUTH_HPP
#define LUCIDAUTH_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lucidauth.h"

namespace lucidauth {

/// The library's version, e.g. "0.1.0" (the shared library actually loaded, not the header).
inline std::string_view version() noexcept { return lucid_version(); }

/// The name of a status code, e.g. "LUCID_STATUS_TIMEOUT".
inline std::string_view status_name(int32_t status) noexcept { return lucid_status_name(status); }

/// The name of every key of the credentials file and CredentialsBuilder::set ("client_id",
/// "client_secret", ...), in the order of the README's table, as the library lists them
/// (lucid_credentials_key). The strings are static.
inline std::vector<std::string_view> credential_keys() {
    std::vector<std::string_view> keys;
    for (size_t i = 0; const char *key = lucid_credentials_key(i); ++i) keys.emplace_back(key);
    return keys;
}

/// A failure reported by the library (or by this wrapper before calling it, e.g. a string
/// argument holding a NUL byte, reported as LUCID_STATUS_INVALID_ARGUMENT). what() is the
/// library's message. Cheap and non-throwing to copy: the details are shared, immutable.
class Error : public std::runtime_error {
public:
    Error(LucidStatus status, const std::string &message, uint16_t http_status = 0,
          std::optional<std::string> oauth_error = std::nullopt,
          std::optional<std::string> oauth_error_description = std::nullopt)
        : std::runtime_error(message),
          status_(status),
          http_status_(http_status),
          details_(std::make_shared<const Details>(
              Details{std::move(oauth_error), std::move(oauth_error_description)})) {}

    /// Takes the details out of `err` (which may be NULL) and frees it.
    static Error from_c(LucidStatus status, LucidError *err) {
        std::unique_ptr<LucidError, Deleter> owned(err);
        const char *message = lucid_error_message(owned.get());
        std::string text = message != nullptr && *message != '\0' ? std::string(message)
                                                                   : std::string(lucid_status_name(status));
        return Error(status, text, lucid_error_http_status(owned.get()),
                     copy(lucid_error_oauth_error(owned.get())),
                     copy(lucid_error_oauth_error_description(owned.get())));
    }

    /// The status code (never LUCID_STATUS_OK).
    LucidStatus status() const noexcept { return status_; }
    /// The name of the status code, e.g. "LUCID_STATUS_CREDENTIALS_REJECTED".
    std::string_view status_name() const noexcept { return lucid_status_name(status_); }
    /// The HTTP status of the answer that caused the failure; 0 when no server answered.
    uint16_t http_status() const noexcept { return http_status_; }
    /// The OAuth `error` code from the token endpoint (e.g. "invalid_client"), if it sent one.
    const std::optional<std::string> &oauth_error() const noexcept { return details_->oauth_error; }
    /// The OAuth `error_description` from the token endpoint, if it sent one.
    const std::optional<std::string> &oauth_error_description() const noexcept {
        return details_->oauth_error_description;
    }

private:
    struct Details {
        std::optional<std::string> oauth_error;
        std::optional<std::string> oauth_error_description;
    };
    struct Deleter {
        void operator()(LucidError *e) const noexcept { lucid_error_free(e); }
    };
    static std::optional<std::string> copy(const char *s) {
        return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
    }

    LucidStatus status_;
    uint16_t http_status_;
    std::shared_ptr<const Details> details_;
};

namespace detail {

struct CredentialsDeleter {
    void operator()(LucidCredentials *p) const noexcept { lucid_credentials_free(p); }
};
struct BuilderDeleter {
    void operator()(LucidCredentialsBuilder *p) const noexcept { lucid_credentials_builder_free(p); }
};
struct ClientDeleter {
    void operator()(LucidClient *p) const noexcept { lucid_client_free(p); }
};
struct ResponseDeleter {
    void operator()(LucidResponse *p) const noexcept { lucid_response_free(p); }
};
struct StatsDeleter {
    void operator()(LucidStats *p) const noexcept { lucid_stats_free(p); }
};
struct HeadersDeleter {
    void operator()(LucidHeaders *p) const noexcept { lucid_headers_free(p); }
};
/// Runs a fallible C call `f(LucidError **)`; on failure throws Error (freeing the LucidError).
template <typename F>
inline void call(F &&f) {
    LucidError *err = nullptr;
    LucidStatus status = f(&err);
    if (status != LUCID_STATUS_OK) {
        throw Error::from_c(status, err);
    }
    lucid_error_free(err);  // NULL on success; freed anyway in case.
}

/// The size of the stack buffer Client::token() tries first: room for the usual token (a JWT of
/// a thousand bytes or so); a longer one goes through a heap buffer of the size it needs.
inline constexpr size_t kTokenStackBuffer = 2048;

/// Zeroes `n` bytes at `p` through a volatile pointer, so that the compiler keeps the stores
/// even though the buffer is not read again.
inline void wipe(char *p, size_t n) noexcept {
    volatile char *v = p;
    for (size_t i = 0; i < n; ++i) v[i] = 0;
}

/// A NUL-terminated copy of `s` (a string_view need not be NUL-terminated). An embedded NUL
/// would silently cut the string short in C, so it is refused.
inline std::string c_string(std::string_view s, const char *what) {
    if (s.find('\0') != std::string_view::npos) {
        throw Error(LUCID_STATUS_INVALID_ARGUMENT, std::string(what) + " contains a NUL byte");
    }
    return std::string(s);
}

}  // namespace detail

/// The level of a log line, with the C API's numbers.
enum class LogLevel : int32_t { error = 1, warn = 2, info = 3, debug = 4 };

/// Receives one log line of the library (see set_log_handler). The text is valid during the call.
using LogHandler = std::function<void(LogLevel, std::string_view)>;

namespace detail {

/// The C callback: `user_data` is the LogHandler that set_log_handler installed.
inline void log_trampoline(void *user_data, int32_t level, const char *message) noexcept {
    try {
        (*static_cast<const LogHandler *>(user_data))(static_cast<LogLevel>(level),
                                                      message != nullptr ? message : "");
    } catch (...) {
        // An exception must not unwind into the library: the line is dropped.
    }
}

}  // namespace detail

/// Sends the library's log lines of `max_level` and more severe to `handler`, process-wide,
/// replacing the handler set before; an empty handler stops them. Independent of the
/// LUCIDAUTH_LOG environment variable, which logs to stderr. The handler is called from whichever
/// thread logs, possibly several at once: it must be thread-safe, must not call into lucidauth,
/// and should be quick; an exception it throws is swallowed. Lines never hold a secret or a
/// token. When this returns, the previous handler is no longer running and has been destroyed.
/// A `max_level` outside error..debug throws Error (LUCID_STATUS_INVALID_ARGUMENT).
inline void set_log_handler(LogHandler handler, LogLevel max_level = LogLevel::info) {
    if (handler && (max_level < LogLevel::error || max_level > LogLevel::debug)) {
        throw Error(LUCID_STATUS_INVALID_ARGUMENT, "the log level is not one of error..debug");
    }
    static std::mutex mutex;
    // Never destroyed at exit (a library thread could still log then); replaced below.
    static const LogHandler *current = nullptr;
    std::lock_guard<std::mutex> lock(mutex);
    const LogHandler *next = handler ? new LogHandler(std::move(handler)) : nullptr;
    lucid_set_log_callback(next != nullptr ? &detail::log_trampoline : nullptr,
                           const_cast<LogHandler *>(next), static_cast<int32_t>(max_level));
    delete current;  // lucid_set_log_callback waited for its running calls to return
    current = next;
}

class CredentialsBuilder;

/// Complete credentials (client id and secret, api key, endpoints, ...). Immutable: safe to use
/// from many threads at once. Clients keep their own copy, so Credentials may be destroyed as
/// soon as the Client is made.
class Credentials {
public:
    /// Finds credentials as the official SDKs do: LAS_CLIENT_ID/LAS_CLIENT_SECRET (and the other
    /// LAS_* variables), else the file LAS_CREDENTIALS_FILE, else ~/.lucidtech/credentials.cfg;
    /// profile `profile`, else LAS_PROFILE, else "default".
    static Credentials discover(std::optional<std::string_view> profile = std::nullopt) {
        std::optional<std::string> p;
        if (profile) p = detail::c_string(*profile, "profile");
        LucidCredentials *out = nullptr;
        detail::call([&](LucidError **err) {
            return lucid_credentials_discover(p ? p->c_str() : nullptr, &out, err);
        });
        return Credentials(out);
    }

    /// Reads profile `profile` (default: "default") of the INI file at `path`.
    static Credentials from_file(std::string_view path, std::optional<std::string_view> profile = std::nullopt) {
        std::string f = detail::c_string(path, "path");
        std::optional<std::string> p;
        if (profile) p = detail::c_string(*profile, "profile");
        LucidCredentials *out = nullptr;
        detail::call([&](LucidError **err) {
            return lucid_credentials_from_file(f.c_str(), p ? p->c_str() : nullptr, &out, err);
        });
        return Credentials(out);
    }

    /// Credentials with an id and a secret and every other key at its default. (The copy of the
    /// secret made here is an ordinary std::string and is not wiped; the library's copy is.)
    static Credentials create(std::string_view client_id, std::string_view client_secret) {
        std::string id = detail::c_string(client_id, "client_id");
        std::string secret = detail::c_string(client_secret, "client_secret");
        LucidCredentials *out = nullptr;
        detail::call([&](LucidError **err) {
            return lucid_credentials_new(id.c_str(), secret.c_str(), &out, err);
        });
        return Credentials(out);
    }

    /// A builder holding these credentials' keys, to make a copy with some keys changed.
    inline CredentialsBuilder to_builder() const;

    /// Takes ownership of `raw` (which must come from the library, or be NULL).
    explicit Credentials(LucidCredentials *raw) noexcept : handle_(raw) {}

    Credentials(Credentials &&) noexcept = default;
    Credentials &operator=(Credentials &&) noexcept = default;
    Credentials(const Credentials &) = delete;
    Credentials &operator=(const Credentials &) = delete;
    ~Credentials() = default;

    /// The C handle, still owned by this object (NULL after a move).
    const LucidCredentials *native_handle() const noexcept { return handle_.get(); }
    /// False after a move.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    std::unique_ptr<LucidCredentials, detail::CredentialsDeleter> handle_;
};

/// Credentials being assembled key by key, with the key names and values of the credentials
/// file (credential_keys() lists them). Not for use from two threads at once.
class CredentialsBuilder {
public:
    /// An empty builder.
    CredentialsBuilder() : handle_(lucid_credentials_builder_new()) {
        if (!handle_) throw std::bad_alloc();
    }

    /// Takes ownership of `raw` (which must come from the library, or be NULL).
    explicit CredentialsBuilder(LucidCredentialsBuilder *raw) noexcept : handle_(raw) {}

    CredentialsBuilder(CredentialsBuilder &&) noexcept = default;
    CredentialsBuilder &operator=(CredentialsBuilder &&) noexcept = default;
    CredentialsBuilder(const CredentialsBuilder &) = delete;
    CredentialsBuilder &operator=(const CredentialsBuilder &) = delete;
    ~CredentialsBuilder() = default;

    /// Sets one key. A bad value or unknown key throws Error (LUCID_STATUS_INVALID_ARGUMENT) and
    /// leaves the builder as it was. Returns *this, for chaining.
    CredentialsBuilder &set(std::string_view key, std::string_view value) & {
        std::string k = detail::c_string(key, "key");
        std::string v = detail::c_string(value, "value");
        detail::call([&](LucidError **err) {
            return lucid_credentials_builder_set(handle_.get(), k.c_str(), v.c_str(), err);
        });
        return *this;
    }
    /// As above, on a temporary: `CredentialsBuilder().set(...).set(...).build()`.
    CredentialsBuilder &&set(std::string_view key, std::string_view value) && {
        set(key, value);
        return std::move(*this);
    }

    /// Checks the keys set so far and makes credentials; the builder stays usable.
    Credentials build() const {
        LucidCredentials *out = nullptr;
        detail::call([&](LucidError **err) { return lucid_credentials_builder_build(handle_.get(), &out, err); });
        return Credentials(out);
    }

    /// The C handle, still owned by this object (NULL after a move).
    LucidCredentialsBuilder *native_handle() const noexcept { return handle_.get(); }
    /// False after a move.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    std::unique_ptr<LucidCredentialsBuilder, detail::BuilderDeleter> handle_;
};

inline CredentialsBuilder Credentials::to_builder() const {
    if (!handle_) {
        throw Error(LUCID_STATUS_NULL_ARGUMENT, "to_builder() on moved-from Credentials");
    }
    LucidCredentialsBuilder *raw = lucid_credentials_builder_from(handle_.get());
    if (raw == nullptr) throw std::bad_alloc();
    return CredentialsBuilder(raw);
}

/// An API response. Immutable: may be read from any thread. The string_views it returns borrow
/// from it and stay valid until it is destroyed (or moved from/assigned to).
class Response {
public:
    /// Takes ownership of `raw` (which must come from the library, or be NULL).
    explicit Response(LucidResponse *raw) noexcept : handle_(raw) {}

    Response(Response &&) noexcept = default;
    Response &operator=(Response &&) noexcept = default;
    Response(const Response &) = delete;
    Response &operator=(const Response &) = delete;
    ~Response() = default;

    /// The HTTP status code (0 after a move).
    uint16_t status() const noexcept { return lucid_response_status(handle_.get()); }

    /// The body's bytes, borrowed from this response.
    std::string_view body() const noexcept {
        size_t len = 0;
        const uint8_t *data = lucid_response_body(handle_.get(), &len);
        if (data == nullptr) return {};
        return std::string_view(reinterpret_cast<const char *>(data), len);
    }

    /// A copy of the body.
    std::string body_string() const { return std::string(body()); }

    /// The first value of header `name` (any case), borrowed from this response.
    std::optional<std::string_view> header(std::string_view name) const {
        if (name.find('\0') != std::string_view::npos) return std::nullopt;
        std::string n(name);
        const char *value = lucid_response_header(handle_.get(), n.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string_view(value);
    }

    /// Every header in the order received (names in lower case), borrowed from this response.
    std::vector<std::pair<std::string_view, std::string_view>> headers() const {
        std::vector<std::pair<std::string_view, std::string_view>> out;
        size_t count = lucid_response_header_count(handle_.get());
        out.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            const char *name = nullptr;
            const char *value = nullptr;
            detail::call([&](LucidError **err) {
                return lucid_response_header_at(handle_.get(), i, &name, &value, err);
            });
            out.emplace_back(name != nullptr ? name : "", value != nullptr ? value : "");
        }
        return out;
    }

    /// The C handle, still owned by this object (NULL after a move).
    const LucidResponse *native_handle() const noexcept { return handle_.get(); }
    /// False after a move.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    std::unique_ptr<LucidResponse, detail::ResponseDeleter> handle_;
};

/// A header for Client::request: (name, value).
using Header = std::pair<std::string, std::string>;

/// The headers an API request needs, from Client::authorize, for a request your own HTTP client
/// sends (x-api-key when there is an api key, Authorization: Bearer <token>, and any the library
/// adds later: iterate, do not assume two). Immutable; the string_views borrow from it and stay
/// valid until it is destroyed. The values are secrets: do not log them. Keep it until the answer
/// is in, for Client::unauthorized.
class Headers {
public:
    /// Takes ownership of `raw` (which must come from the library, or be NULL).
    explicit Headers(LucidHeaders *raw) noexcept : handle_(raw) {}

    Headers(Headers &&) noexcept = default;
    Headers &operator=(Headers &&) noexcept = default;
    Headers(const Headers &) = delete;
    Headers &operator=(const Headers &) = delete;
    ~Headers() = default;

    /// The number of headers (0 after a move).
    size_t size() const noexcept { return lucid_headers_count(handle_.get()); }
    /// The name of header `index` ("" past the end).
    std::string_view name(size_t index) const noexcept { return or_empty(lucid_headers_name(handle_.get(), index)); }
    /// The value of header `index` ("" past the end).
    std::string_view value(size_t index) const noexcept { return or_empty(lucid_headers_value(handle_.get(), index)); }

    /// Every header, in order, as "Name: value" lines (for curl_slist_append and the like).
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        out.reserve(size());
        for (size_t i = 0; i < size(); ++i) out.push_back(std::string(name(i)) + ": " + std::string(value(i)));
        return out;
    }

    /// The C handle, still owned by this object (NULL after a move).
    const LucidHeaders *native_handle() const noexcept { return handle_.get(); }
    /// False after a move.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    static std::string_view or_empty(const char *s) noexcept { return s != nullptr ? s : ""; }
    std::unique_ptr<LucidHeaders, detail::HeadersDeleter> handle_;
};

/// The token a client holds for one scope, as of a Client::stats() snapshot.
struct ScopeStats {
    std::string scope;   ///< "" for no scope
    std::string origin;  ///< "token endpoint", "shared cache" or "pre-issued"
    std::chrono::milliseconds refresh_in{0};  ///< until its refresh window (0 once in it)
    std::chrono::milliseconds expires_in{0};  ///< until it expires (0 once it has)
};

/// A snapshot of what a client has done with its tokens (lucid_client_stats), copied out of the
/// library's snapshot, which is freed. A plain value: holds no token or secret.
struct Stats {
    uint64_t token_fetches = 0;           ///< token requests that got a token
    uint64_t token_fetch_failures = 0;    ///< token requests that did not, after their retries
    uint64_t memory_reads = 0;            ///< token reads answered from memory
    uint64_t shared_cache_reads = 0;      ///< tokens taken from the shared cache
    uint64_t background_refreshes = 0;    ///< tokens renewed in the background (refresh ahead)
    uint64_t unauthorized_refetches = 0;  ///< API calls answered 401 whose token was fetched again
    uint64_t retries = 0;                 ///< attempts after the first, of token requests and API calls
    std::chrono::milliseconds last_fetch_latency{0};  ///< of the last successful token request
    LucidStatus last_error = LUCID_STATUS_OK;         ///< of the last failed call; OK when none
    std::vector<ScopeStats> scopes;                   ///< one per scope the client holds a token for
};

namespace detail {

/// `ms` milliseconds, capped at the longest std::chrono::milliseconds.
inline std::chrono::milliseconds millis(uint64_t ms) noexcept {
    constexpr auto max = static_cast<uint64_t>(std::chrono::milliseconds::max().count());
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms < max ? ms : max));
}

/// Copies everything out of a snapshot (which the caller then frees). Counters of a newer
/// library than this header are skipped.
inline Stats copy_stats(const LucidStats *snap) {
    Stats s;
    for (int32_t i = 0; lucid_stat_name(i) != nullptr; ++i) {
        const uint64_t v = lucid_stats_value(snap, i);
        switch (i) {
            case LUCID_STAT_TOKEN_FETCHES: s.token_fetches = v; break;
            case LUCID_STAT_TOKEN_FETCH_FAILURES: s.token_fetch_failures = v; break;
            case LUCID_STAT_MEMORY_READS: s.memory_reads = v; break;
            case LUCID_STAT_SHARED_CACHE_READS: s.shared_cache_reads = v; break;
            case LUCID_STAT_BACKGROUND_REFRESHES: s.background_refreshes = v; break;
            case LUCID_STAT_UNAUTHORIZED_REFETCHES: s.unauthorized_refetches = v; break;
            case LUCID_STAT_RETRIES: s.retries = v; break;
            case LUCID_STAT_LAST_FETCH_LATENCY_MS: s.last_fetch_latency = millis(v); break;
            case LUCID_STAT_LAST_ERROR_STATUS: s.last_error = static_cast<LucidStatus>(v); break;
            default: break;
        }
    }
    const size_t count = lucid_stats_scope_count(snap);
    s.scopes.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const char *scope = lucid_stats_scope(snap, i);
        const char *origin = lucid_stats_scope_origin(snap, i);
        s.scopes.push_back(ScopeStats{scope != nullptr ? scope : "", origin != nullptr ? origin : "",
                                      millis(lucid_stats_scope_refresh_in_ms(snap, i)),
                                      millis(lucid_stats_scope_expires_in_ms(snap, i))});
    }
    return s;
}

}  // namespace detail

/// A client: a copy of the credentials, a connection pool and the token cache. Safe to use from
/// many threads at once (every member function is const); share one per process (per
/// credentials) so that all threads share its tokens, which are fetched once and renewed once.
class Client {
public:
    /// A client for `credentials` (copied: they may be destroyed right after).
    explicit Client(const Credentials &credentials) {
        LucidClient *out = nullptr;
        detail::call([&](LucidError **err) { return lucid_client_new(credentials.native_handle(), &out, err); });
        handle_.reset(out);
    }

    Client(Client &&) noexcept = default;
    Client &operator=(Client &&) noexcept = default;
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() = default;

    /// A fresh access token for `scope` (nullopt: the credentials' scope; "": no scope), from the
    /// cache while fresh, else fetched once for all waiting threads. The library copies it into a
    /// buffer on the stack (a heap one when it is longer), which is wiped once the token is in
    /// the returned std::string, an ordinary string.
    std::string token(std::optional<std::string_view> scope = std::nullopt) const {
        std::optional<std::string> s;
        if (scope) s = detail::c_string(*scope, "scope");
        const char *c_scope = s ? s->c_str() : nullptr;

        char stack[detail::kTokenStackBuffer];
        size_t length = 0;
        LucidError *err = nullptr;
        LucidStatus status =
            lucid_client_access_token_buf(handle_.get(), c_scope, stack, sizeof stack, &length, &err);
        if (status == LUCID_STATUS_OK) {
            std::string token(stack, length);
            detail::wipe(stack, length);
            return token;
        }
        // Too long for the stack: a heap buffer of the length the library reported, asked again
        // for as long as the token keeps outgrowing it (it may be renewed in between).
        std::vector<char> heap;
        while (status == LUCID_STATUS_BUFFER_TOO_SMALL) {
            lucid_error_free(err);
            err = nullptr;
            heap.assign(length + 1, '\0');
            status = lucid_client_access_token_buf(handle_.get(), c_scope, heap.data(), heap.size(), &length, &err);
        }
        if (status != LUCID_STATUS_OK) throw Error::from_c(status, err);
        std::string token(heap.data(), length);
        detail::wipe(heap.data(), heap.size());
        return token;
    }

    /// Sends `method` to `path` joined to the API endpoint, with the api key, the bearer token,
    /// the extra `headers` and `body`. Any HTTP status is a success: read it from the Response;
    /// only a failure to get an answer (or a refused URL, ...) throws Error.
    Response request(std::string_view method, std::string_view path, std::string_view body = {},
                     const std::vector<Header> &headers = {}) const {
        std::string m = detail::c_string(method, "method");
        std::string p = detail::c_string(path, "path");
        std::vector<std::string> lines;
        lines.reserve(headers.size());
        for (const auto &h : headers) {
            lines.push_back(detail::c_string(h.first, "header name") + ": " +
                            detail::c_string(h.second, "header value"));
        }
        std::vector<const char *> pointers;
        pointers.reserve(lines.size());
        for (const auto &line : lines) pointers.push_back(line.c_str());

        LucidResponse *out = nullptr;
        detail::call([&](LucidError **err) {
            return lucid_client_request(handle_.get(), m.c_str(), p.c_str(),
                                        pointers.empty() ? nullptr : pointers.data(), pointers.size(),
                                        body.empty() ? nullptr : reinterpret_cast<const uint8_t *>(body.data()),
                                        body.size(), &out, err);
        });
        return Response(out);
    }

    /// The headers an API request `method url` needs, for a request your own HTTP client sends;
    /// only for a URL on the credentials' API origin: another origin throws Error with
    /// LUCID_STATUS_INSECURE_URL, and nothing is fetched (lucid_client_authorize).
    Headers authorize(std::string_view method, std::string_view url) const {
        std::string m = detail::c_string(method, "method");
        std::string u = detail::c_string(url, "url");
        LucidHeaders *out = nullptr;
        detail::call([&](LucidError **err) { return lucid_client_authorize(handle_.get(), m.c_str(), u.c_str(), &out, err); });
        return Headers(out);
    }

    /// Tells the client that the request sent with `sent` was answered 401, with the answer's
    /// WWW-Authenticate and DPoP-Nonce headers when it had them: the token that was sent is
    /// dropped if it is still the current one, and the next authorize() fetches a new one
    /// (lucid_client_unauthorized).
    void unauthorized(const Headers &sent, std::optional<std::string_view> www_authenticate = std::nullopt,
                      std::optional<std::string_view> dpop_nonce = std::nullopt) const {
        std::optional<std::string> challenge, nonce;
        if (www_authenticate) challenge = detail::c_string(*www_authenticate, "www_authenticate");
        if (dpop_nonce) nonce = detail::c_string(*dpop_nonce, "dpop_nonce");
        detail::call([&](LucidError **err) {
            return lucid_client_unauthorized(handle_.get(), sent.native_handle(), challenge ? challenge->c_str() : nullptr,
                                             nonce ? nonce->c_str() : nullptr, err);
        });
    }

    /// A snapshot of this client's counters and of the tokens it holds (one per scope).
    Stats stats() const {
        LucidStats *out = nullptr;
        detail::call([&](LucidError **err) { return lucid_client_stats(handle_.get(), &out, err); });
        std::unique_ptr<LucidStats, detail::StatsDeleter> snap(out);
        return detail::copy_stats(snap.get());
    }

    /// The C handle, still owned by this object (NULL after a move).
    const LucidClient *native_handle() const noexcept { return handle_.get(); }
    /// False after a move.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    std::unique_ptr<LucidClient, detail::ClientDeleter> handle_;
};

}  // namespace lucidauth

#endif  // LUCIDAUTH_HPP
