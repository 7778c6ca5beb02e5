// LucidAuth.cs: the C# binding of lucidauth (OAuth2 client-credentials tokens and authorized
// API calls), over the C ABI in include/lucidauth.h, by P/Invoke.
//
// Works on Mono 6.8 and on .NET (Framework 4.5+, Core, 5+). How the native library is found:
// see README.md in this directory.
//
// Conventions kept here (and why):
// - Every native object lives in a SafeHandle subclass whose ReleaseHandle calls the matching
//   lucid_*_free. Handles are passed to native code as SafeHandles, so the runtime holds a
//   reference for the length of each call: Dispose() during a call on another thread defers the
//   free until that call returns, and a call after Dispose() throws ObjectDisposedException.
// - Out-parameters are received as IntPtr, read only when the library wrote them (objects on
//   success, the error on failure). A new object goes into a SafeHandle allocated before the call,
//   so nothing can fail between the native return and the store; an error object is wrapped in
//   one at once, read, and freed.
// - Strings going in are encoded by hand to NUL-terminated UTF-8 byte arrays (the marshaller's
//   UTF-8 support differs between runtimes). A string with a NUL character, or one that is not
//   valid UTF-16 (a lone surrogate), is an ArgumentException.
// - Strings coming out are taken as IntPtr and copied by hand, never by the runtime's marshaller
//   (which would free them with the wrong allocator): borrowed `const char *` (error fields,
//   response headers) are copied, not freed. Tokens are copied by the library into a managed
//   byte[] (lucid_client_access_token_buf), which is cleared after decoding.
// - Error details come only from the `LucidError **` out-parameter of the failing call, never from
//   thread-local state.
// - A native call cannot be interrupted: TokenAsync/SendAsync run it with Task.Run and cancel only
//   the caller's wait; the call ends within retry_deadline and its result is cleared then.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LucidAuth
{
    /// <summary>
    /// The status codes of the C API (<c>enum LucidStatus</c>). The numbers are part of the ABI
    /// and never change; a test compares this enum with the header.
    /// </summary>
    public enum LucidStatus : int
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A required pointer argument was NULL.</summary>
        NullArgument = 1,
        /// <summary>A string argument was not valid UTF-8.</summary>
        InvalidUtf8 = 2,
        /// <summary>An argument was malformed, empty, out of range or an unknown key.</summary>
        InvalidArgument = 3,
        /// <summary>Credentials are missing, incomplete or inconsistent (or a file is not valid INI).</summary>
        Config = 4,
        /// <summary>A file could not be read.</summary>
        Io = 5,
        /// <summary>A URL was refused: plain http:// to a non-loopback host, or another origin than the API's.</summary>
        InsecureUrl = 6,
        /// <summary>The connection failed (name lookup, refused, reset, TLS verification).</summary>
        Transport = 7,
        /// <summary>An exchange exceeded the timeout.</summary>
        Timeout = 8,
        /// <summary>The token endpoint rejected the client (HTTP 400 or 401); not retried.</summary>
        CredentialsRejected = 9,
        /// <summary>The token endpoint answered with another error status.</summary>
        TokenEndpoint = 10,
        /// <summary>A server answer could not be understood.</summary>
        Protocol = 11,
        /// <summary>A response exceeded its size cap.</summary>
        TooLarge = 12,
        /// <summary>An internal error (a bug in the library): a panic was caught at the boundary.</summary>
        Internal = 13,
        /// <summary>The server's TLS certificate could not be verified, or the handshake failed; not retried.</summary>
        Tls = 14,
        /// <summary>A caller's buffer was too small for the result (<see cref="Client.Token"/> retries with a larger one).</summary>
        BufferTooSmall = 15,
        /// <summary>The API kept rejecting fresh tokens (HTTP 401), the refetch is damped: share tokens (<c>use_cache</c>, <c>cache_url</c>).</summary>
        Unauthorized = 16,
    }

    /// <summary>
    /// A failure reported by the library, with the details of its <c>LucidError</c>. The message
    /// never contains a secret or a token.
    /// </summary>
    public class LucidAuthException : Exception
    {
        /// <summary>The status code.</summary>
        public LucidStatus Status { get; private set; }

        /// <summary>The name of the status, e.g. <c>LUCID_STATUS_TIMEOUT</c>.</summary>
        public string StatusName { get; private set; }

        /// <summary>The HTTP status of the answer that caused the failure; 0 when no server answered.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>The OAuth <c>error</c> code from the token endpoint (e.g. <c>invalid_client</c>), or null.</summary>
        public string OAuthError { get; private set; }

        /// <summary>The OAuth <c>error_description</c> from the token endpoint, or null.</summary>
        public string OAuthErrorDescription { get; private set; }

        /// <summary>An exception with the given details (for tests and mocks; the binding makes its own).</summary>
        public LucidAuthException(LucidStatus status, string message, int httpStatus = 0,
                                  string oauthError = null, string oauthErrorDescription = null)
            : base(message)
        {
            Status = status;
            StatusName = Native.StatusName((int)status);
            HttpStatus = httpStatus;
            OAuthError = oauthError;
            OAuthErrorDescription = oauthErrorDescription;
        }
    }

    /// <summary>The level of a log line (the numbers of the C API).</summary>
    public enum LogLevel : int
    {
        /// <summary>Failures.</summary>
        Error = 1,
        /// <summary>Problems worth knowing about (e.g. a credentials file others can read).</summary>
        Warn = 2,
        /// <summary>One line per token fetch, retry and token renewal.</summary>
        Info = 3,
        /// <summary>Everything.</summary>
        Debug = 4,
    }

    /// <summary>The library itself.</summary>
    public static class Library
    {
        // The one delegate ever handed to the library, kept alive in this static field for the
        // life of the process: the library holds only its function pointer, which the garbage
        // collector cannot see. Changing the handler only changes where it routes.
        private static readonly Native.LogCallback LogTrampoline = OnLog;
        private static readonly object LogGate = new object();
        private static volatile Action<LogLevel, string> logHandler;

        /// <summary>
        /// Sends the library's log lines of <paramref name="maxLevel"/> and more severe to
        /// <paramref name="handler"/> (process-wide; null stops it). The handler is called from
        /// whichever thread logs, possibly several at once: it must be thread-safe, must not call
        /// back into this library, and should be quick. Exceptions it throws are swallowed (they
        /// must not unwind into native code). Lines never hold a secret or a token. Independent of
        /// the <c>LUCIDAUTH_LOG</c> environment variable, which logs to stderr. When it returns, no
        /// call of the previous handler is still running (the library waits for them).
        /// </summary>
        public static void SetLogHandler(Action<LogLevel, string> handler, LogLevel maxLevel = LogLevel.Info)
        {
            if (handler != null && (maxLevel < LogLevel.Error || maxLevel > LogLevel.Debug))
                throw new ArgumentOutOfRangeException("maxLevel");
            lock (LogGate)
            {
                logHandler = handler;
                if (handler == null)
                    Native.lucid_set_log_callback(null, IntPtr.Zero, 0);
                else
                    Native.lucid_set_log_callback(LogTrampoline, IntPtr.Zero, (int)maxLevel);
            }
        }

        private static void OnLog(IntPtr userData, int level, IntPtr message)
        {
            try
            {
                Action<LogLevel, string> handler = logHandler;
                if (handler != null)
                    handler((LogLevel)level, Native.CopyUtf8(message));
            }
            catch (Exception)
            {
                // Nothing may unwind into the library.
            }
        }

        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get { return Native.CopyUtf8(Native.lucid_version()); }
        }

        /// <summary>The name of a status number, e.g. "LUCID_STATUS_TIMEOUT" ("LUCID_STATUS_UNKNOWN" for an unknown number).</summary>
        public static string StatusName(LucidStatus status)
        {
            return Native.StatusName((int)status);
        }
    }

    /// <summary>
    /// Complete, immutable credentials; safe to use from many threads at once. Dispose them when no
    /// longer needed (clients keep their own copy, so that may be right after making a client).
    /// </summary>
    public sealed class Credentials : IDisposable
    {
        internal readonly CredentialsHandle Handle;

        internal Credentials(CredentialsHandle handle)
        {
            Handle = handle;
        }

        /// <summary>
        /// Finds credentials as the official SDKs do: the environment (<c>LAS_CLIENT_ID</c>,
        /// <c>LAS_CLIENT_SECRET</c>, ...), else the file <c>LAS_CREDENTIALS_FILE</c>, else
        /// <c>~/.lucidtech/credentials.cfg</c>; profile <paramref name="profile"/>, else
        /// <c>LAS_PROFILE</c>, else "default".
        /// </summary>
        /// <remarks>The native library reads the process environment: on .NET Core / .NET 5+,
        /// <c>Environment.SetEnvironmentVariable</c> does not change it (on Mono and .NET Framework it does).</remarks>
        public static Credentials Discover(string profile = null)
        {
            byte[] profileBytes = Native.Utf8OrNull(profile, "profile");
            var handle = new CredentialsHandle();
            IntPtr raw, err;
            int status = Native.lucid_credentials_discover(profileBytes, out raw, out err);
            return Wrap(handle, status, raw, err);
        }

        /// <summary>Reads profile <paramref name="profile"/> (null: "default") of the INI file at <paramref name="path"/>.</summary>
        public static Credentials FromFile(string path, string profile = null)
        {
            byte[] pathBytes = Native.Utf8(path, "path");
            byte[] profileBytes = Native.Utf8OrNull(profile, "profile");
            var handle = new CredentialsHandle();
            IntPtr raw, err;
            int status = Native.lucid_credentials_from_file(pathBytes, profileBytes, out raw, out err);
            return Wrap(handle, status, raw, err);
        }

        /// <summary>Credentials with an id and a secret and every other key at its default.</summary>
        public static Credentials Create(string clientId, string clientSecret)
        {
            byte[] id = Native.Utf8(clientId, "clientId");
            byte[] secret = Native.Utf8(clientSecret, "clientSecret");
            try
            {
                var handle = new CredentialsHandle();
                IntPtr raw, err;
                int status = Native.lucid_credentials_new(id, secret, out raw, out err);
                return Wrap(handle, status, raw, err);
            }
            finally
            {
                Array.Clear(secret, 0, secret.Length);
            }
        }

        /// <summary>A builder holding these credentials' keys, to make a copy with some keys changed.</summary>
        public CredentialsBuilder ToBuilder()
        {
            return new CredentialsBuilder(this);
        }

        /// <summary>Frees the native credentials. Calling it again does nothing.</summary>
        public void Dispose()
        {
            Handle.Dispose();
        }

        internal static Credentials Wrap(CredentialsHandle handle, int status, IntPtr raw, IntPtr err)
        {
            if (status != 0)
            {
                handle.Dispose();
                throw Native.Failure(status, err);
            }
            handle.Take(raw);
            return new Credentials(handle);
        }

        internal void ThrowIfDisposed()
        {
            if (Handle.IsDisposed)
                throw new ObjectDisposedException(typeof(Credentials).FullName);
        }
    }

    /// <summary>
    /// The keys of the credentials file, accepted by <see cref="CredentialsBuilder.Set"/>, in the
    /// order of the README's table (a test checks the constants against the library's list).
    /// </summary>
    public static class CredentialKeys
    {
        public const string ClientId = "client_id";
        public const string ClientSecret = "client_secret";
        public const string ApiKey = "api_key";
        public const string AuthEndpoint = "auth_endpoint";
        public const string ApiEndpoint = "api_endpoint";
        public const string Scope = "scope";
        public const string TokenParams = "token_params";
        public const string ClientAuth = "client_auth";
        public const string UseCache = "use_cache";
        public const string CacheDir = "cache_dir";
        public const string CacheUrl = "cache_url";
        public const string Proxy = "proxy";
        public const string CaFile = "ca_file";
        public const string Timeout = "timeout";
        public const string RefreshMargin = "refresh_margin";
        public const string AllowHttp = "allow_http";
        public const string ConnectTimeout = "connect_timeout";
        public const string MaxResponseBytes = "max_response_bytes";
        public const string MaxRetries = "max_retries";
        public const string RetryBackoffMs = "retry_backoff_ms";
        public const string RetryDeadline = "retry_deadline";
        public const string MaxRetryAfter = "max_retry_after";
        public const string RefreshAhead = "refresh_ahead";
        public const string Audience = "audience";
        public const string AccessToken = "access_token";

        /// <summary>
        /// Every key the library accepts, in the order of the README's table, as the library lists
        /// them (<c>lucid_credentials_key</c>), read once on first use.
        /// </summary>
        public static readonly ReadOnlyCollection<string> All = FromLibrary();

        private static ReadOnlyCollection<string> FromLibrary()
        {
            var keys = new List<string>();
            for (uint i = 0; ; i++)
            {
                IntPtr name = Native.lucid_credentials_key(new UIntPtr(i));
                if (name == IntPtr.Zero)
                    return keys.AsReadOnly();
                keys.Add(Native.CopyUtf8(name));
            }
        }
    }

    /// <summary>
    /// Credentials assembled key by key, with the names and values of the credentials file.
    /// This class serializes its own calls, so it may be shared between threads (the native
    /// builder may not). Dispose it when done: that wipes the secrets it holds.
    /// </summary>
    public sealed class CredentialsBuilder : IDisposable
    {
        private readonly CredentialsBuilderHandle handle;
        private readonly object gate = new object();

        /// <summary>An empty builder.</summary>
        public CredentialsBuilder()
        {
            handle = new CredentialsBuilderHandle();
            handle.Take(Native.lucid_credentials_builder_new());
            if (handle.IsInvalid)
            {
                handle.Dispose();
                throw new OutOfMemoryException("lucid_credentials_builder_new returned NULL");
            }
        }

        /// <summary>A builder holding the keys of <paramref name="credentials"/>.</summary>
        public CredentialsBuilder(Credentials credentials)
        {
            if (credentials == null)
                throw new ArgumentNullException("credentials");
            credentials.ThrowIfDisposed();
            handle = new CredentialsBuilderHandle();
            handle.Take(Native.lucid_credentials_builder_from(credentials.Handle));
            if (handle.IsInvalid)
            {
                handle.Dispose();
                throw new OutOfMemoryException("lucid_credentials_builder_from returned NULL");
            }
        }

        /// <summary>
        /// Sets one key (see <see cref="CredentialKeys"/>) to a value as it would be written in the
        /// credentials file. A bad value or unknown key throws a <see cref="LucidAuthException"/>
        /// with <see cref="LucidStatus.InvalidArgument"/> and leaves the builder as it was.
        /// </summary>
        public CredentialsBuilder Set(string key, string value)
        {
            byte[] keyBytes = Native.Utf8(key, "key");
            byte[] valueBytes = Native.Utf8(value, "value");
            try
            {
                lock (gate)
                {
                    ThrowIfDisposed();
                    IntPtr err;
                    int status = Native.lucid_credentials_builder_set(handle, keyBytes, valueBytes, out err);
                    if (status != 0)
                        throw Native.Failure(status, err);
                }
                return this;
            }
            finally
            {
                Array.Clear(valueBytes, 0, valueBytes.Length);
            }
        }

        /// <summary>Checks the keys set so far and makes credentials; the builder stays usable.</summary>
        public Credentials Build()
        {
            lock (gate)
            {
                ThrowIfDisposed();
                var result = new CredentialsHandle();
                IntPtr raw, err;
                int status = Native.lucid_credentials_builder_build(handle, out raw, out err);
                return Credentials.Wrap(result, status, raw, err);
            }
        }

        /// <summary>Sets <c>client_id</c>.</summary>
        public CredentialsBuilder ClientId(string value) { return Set(CredentialKeys.ClientId, value); }
        /// <summary>Sets <c>client_secret</c>.</summary>
        public CredentialsBuilder ClientSecret(string value) { return Set(CredentialKeys.ClientSecret, value); }
        /// <summary>Sets <c>api_key</c>.</summary>
        public CredentialsBuilder ApiKey(string value) { return Set(CredentialKeys.ApiKey, value); }
        /// <summary>Sets <c>auth_endpoint</c>: a host, an origin or a full token URL.</summary>
        public CredentialsBuilder AuthEndpoint(string value) { return Set(CredentialKeys.AuthEndpoint, value); }
        /// <summary>Sets <c>api_endpoint</c>, the base URL of the API.</summary>
        public CredentialsBuilder ApiEndpoint(string value) { return Set(CredentialKeys.ApiEndpoint, value); }
        /// <summary>Sets <c>scope</c> (space-separated scopes).</summary>
        public CredentialsBuilder Scope(string value) { return Set(CredentialKeys.Scope, value); }
        /// <summary>Sets <c>token_params</c>: "query" or "body".</summary>
        public CredentialsBuilder TokenParams(string value) { return Set(CredentialKeys.TokenParams, value); }
        /// <summary>Sets <c>client_auth</c>: "basic", "basic_urlencoded" or "post".</summary>
        public CredentialsBuilder ClientAuth(string value) { return Set(CredentialKeys.ClientAuth, value); }
        /// <summary>Sets <c>use_cache</c>.</summary>
        public CredentialsBuilder UseCache(bool value) { return Set(CredentialKeys.UseCache, value ? "true" : "false"); }
        /// <summary>Sets <c>cache_dir</c>, the directory of the shared token cache on disk.</summary>
        public CredentialsBuilder CacheDir(string path) { return Set(CredentialKeys.CacheDir, path); }
        /// <summary>Sets <c>cache_url</c> (<c>redis://host:port/db</c> or <c>rediss://...</c>): share tokens between hosts.</summary>
        public CredentialsBuilder CacheUrl(string url) { return Set(CredentialKeys.CacheUrl, url); }
        /// <summary>Sets <c>ca_file</c>, a PEM bundle of extra trusted roots.</summary>
        public CredentialsBuilder CaFile(string path) { return Set(CredentialKeys.CaFile, path); }
        /// <summary>Sets <c>timeout</c> (whole seconds, above 0).</summary>
        public CredentialsBuilder Timeout(TimeSpan value) { return Set(CredentialKeys.Timeout, WholeSeconds(value, "value")); }
        /// <summary>Sets <c>refresh_margin</c> (whole seconds).</summary>
        public CredentialsBuilder RefreshMargin(TimeSpan value) { return Set(CredentialKeys.RefreshMargin, WholeSeconds(value, "value")); }
        /// <summary>Sets <c>allow_http</c>.</summary>
        public CredentialsBuilder AllowHttp(bool value) { return Set(CredentialKeys.AllowHttp, value ? "true" : "false"); }
        /// <summary>Sets <c>connect_timeout</c> (whole seconds, above 0).</summary>
        public CredentialsBuilder ConnectTimeout(TimeSpan value) { return Set(CredentialKeys.ConnectTimeout, WholeSeconds(value, "value")); }
        /// <summary>Sets <c>max_response_bytes</c>, the size cap of an API answer.</summary>
        public CredentialsBuilder MaxResponseBytes(long value) { return Set(CredentialKeys.MaxResponseBytes, Number(value)); }
        /// <summary>Sets <c>max_retries</c> (0 to 100).</summary>
        public CredentialsBuilder MaxRetries(int value) { return Set(CredentialKeys.MaxRetries, Number(value)); }
        /// <summary>Sets <c>retry_backoff_ms</c>, the first backoff (whole milliseconds).</summary>
        public CredentialsBuilder RetryBackoff(TimeSpan value)
        {
            if (value < TimeSpan.Zero || value.Ticks % TimeSpan.TicksPerMillisecond != 0)
                throw new ArgumentOutOfRangeException("value", "must be a whole, non-negative number of milliseconds");
            return Set(CredentialKeys.RetryBackoffMs, Number(value.Ticks / TimeSpan.TicksPerMillisecond));
        }
        /// <summary>Sets <c>retry_deadline</c>, the overall deadline of an operation with its retries (whole seconds, above 0).</summary>
        public CredentialsBuilder RetryDeadline(TimeSpan value) { return Set(CredentialKeys.RetryDeadline, WholeSeconds(value, "value")); }
        /// <summary>Sets <c>max_retry_after</c>, the longest <c>Retry-After</c> honoured (whole seconds).</summary>
        public CredentialsBuilder MaxRetryAfter(TimeSpan value) { return Set(CredentialKeys.MaxRetryAfter, WholeSeconds(value, "value")); }

        /// <summary>Frees the native builder (its secrets are wiped). Calling it again does nothing.</summary>
        public void Dispose()
        {
            lock (gate)
                handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (handle.IsDisposed)
                throw new ObjectDisposedException(typeof(CredentialsBuilder).FullName);
        }

        private static string WholeSeconds(TimeSpan value, string name)
        {
            if (value < TimeSpan.Zero || value.Ticks % TimeSpan.TicksPerSecond != 0)
                throw new ArgumentOutOfRangeException(name, "must be a whole, non-negative number of seconds");
            return Number(value.Ticks / TimeSpan.TicksPerSecond);
        }

        // Negative numbers are passed on as written, for the library to refuse.
        private static string Number(long value)
        {
            return value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A client: credentials, a connection pool and the token cache. Safe to use from many threads
    /// at once; share one per process (per credentials) so that all threads share its tokens.
    /// Dispose() while other threads are still inside a call is safe: the native client is freed
    /// when the last of those calls returns, and later calls throw ObjectDisposedException.
    /// </summary>
    public sealed partial class Client : IDisposable
    {
        private readonly ClientHandle handle;

        /// <summary>A client for <paramref name="credentials"/> (copied: they may be disposed right after).</summary>
        public Client(Credentials credentials)
        {
            if (credentials == null)
                throw new ArgumentNullException("credentials");
            credentials.ThrowIfDisposed();
            var result = new ClientHandle();
            IntPtr raw, err;
            int status = Native.lucid_client_new(credentials.Handle, out raw, out err);
            if (status != 0)
            {
                result.Dispose();
                throw Native.Failure(status, err);
            }
            result.Take(raw);
            handle = result;
        }

        /// <summary>The size of the buffer <see cref="Token"/> tries first: room for the usual token (a JWT of a thousand bytes or so).</summary>
        internal const int TokenBufferSize = 2048;

        /// <summary>
        /// A fresh access token for <paramref name="scope"/> (null: the credentials' scope; "": no
        /// scope), from the cache while fresh, else fetched once for all waiting threads.
        /// </summary>
        /// <remarks>
        /// The library copies the token into a managed buffer (asked again with the size it reports
        /// while the token is longer), which is cleared once the string is made.
        /// </remarks>
        public string Token(string scope = null)
        {
            byte[] scopeBytes = Native.Utf8OrNull(scope, "scope");
            ThrowIfDisposed();
            return TakeToken(TokenBytes(scopeBytes));
        }

        /// <summary>
        /// <see cref="Token"/>, cancellable: see README.md, "Cancellation". When
        /// <paramref name="cancellationToken"/> is cancelled the task is canceled at once; the
        /// native call goes on in the background until it ends (within the credentials'
        /// <c>retry_deadline</c>) and its token buffer is then cleared.
        /// </summary>
        /// <exception cref="ArgumentException">thrown at once for a scope C cannot carry</exception>
        /// <exception cref="ObjectDisposedException">thrown at once when the client is disposed</exception>
        public Task<string> TokenAsync(string scope = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] scopeBytes = Native.Utf8OrNull(scope, "scope");
            ThrowIfDisposed();
            return Cancellable.Run(() => TokenBytes(scopeBytes), TakeToken,
                                   token => Array.Clear(token.Buffer, 0, token.Buffer.Length), cancellationToken);
        }

        /// <summary>A token's bytes in a buffer of their own (cleared by whoever takes them).</summary>
        private struct TokenBuffer
        {
            public byte[] Buffer;
            public int Length;
        }

        // The library copies the token into a managed buffer, asked again with the size it
        // reports while the token is longer.
        private TokenBuffer TokenBytes(byte[] scopeBytes)
        {
            var buffer = new byte[TokenBufferSize];
            while (true)
            {
                UIntPtr length;
                IntPtr err;
                int status = Native.lucid_client_access_token_buf(handle, scopeBytes, buffer,
                    new UIntPtr((uint)buffer.Length), out length, out err);
                if (status == (int)LucidStatus.BufferTooSmall)
                {
                    // Nothing was written; the token may have been renewed to a longer one in between.
                    Native.lucid_error_free(err);
                    buffer = new byte[checked((int)length.ToUInt64() + 1)];
                    continue;
                }
                if (status != 0)
                    throw Native.Failure(status, err);
                return new TokenBuffer { Buffer = buffer, Length = checked((int)length.ToUInt64()) };
            }
        }

        private static string TakeToken(TokenBuffer token)
        {
            try
            {
                return Encoding.UTF8.GetString(token.Buffer, 0, token.Length);
            }
            finally
            {
                Array.Clear(token.Buffer, 0, token.Buffer.Length);
            }
        }

        /// <summary>
        /// Sends <paramref name="method"/> to <paramref name="path"/> joined to the API endpoint,
        /// with <c>x-api-key</c> (when set), <c>Authorization: Bearer &lt;token&gt;</c>, the extra
        /// <paramref name="headers"/> and <paramref name="body"/>. Any HTTP status is returned as a
        /// <see cref="Response"/>; only failures to get an answer (and token failures) throw.
        /// </summary>
        /// <param name="headers">
        /// Sent in the order they are enumerated: pass a list of pairs to choose it (a
        /// <c>Dictionary</c> works too, but its order is not defined). A name given twice goes out
        /// with its values together, at its first place.
        /// </param>
        public Response Send(string method, string path, byte[] body = null,
                             IEnumerable<KeyValuePair<string, string>> headers = null)
        {
            byte[] methodBytes = Native.Utf8(method, "method");
            byte[] pathBytes = Native.Utf8(path, "path");
            List<byte[]> lines = HeaderLines(headers);
            ThrowIfDisposed();
            return SendLines(methodBytes, pathBytes, lines, body);
        }

        /// <summary>
        /// <see cref="Send"/>, cancellable: see README.md, "Cancellation". When
        /// <paramref name="cancellationToken"/> is cancelled the task is canceled at once; the
        /// native call goes on in the background until it ends (within the credentials'
        /// <c>retry_deadline</c>), and its response is then dropped (its body cleared). The body and
        /// headers are copied before this method returns, so the caller may reuse them at once.
        /// </summary>
        /// <exception cref="ArgumentException">thrown at once for arguments C cannot carry</exception>
        /// <exception cref="ObjectDisposedException">thrown at once when the client is disposed</exception>
        public Task<Response> SendAsync(string method, string path, byte[] body = null,
                                        IEnumerable<KeyValuePair<string, string>> headers = null,
                                        CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] methodBytes = Native.Utf8(method, "method");
            byte[] pathBytes = Native.Utf8(path, "path");
            List<byte[]> lines = HeaderLines(headers);
            ThrowIfDisposed();
            byte[] bodyCopy = body == null ? null : (byte[])body.Clone();
            return Cancellable.Run(() => SendLines(methodBytes, pathBytes, lines, bodyCopy), r => r,
                                   r => r.Clear(), cancellationToken);
        }

        // The native request, with the arguments already checked and encoded (the lines are
        // cleared afterwards).
        private Response SendLines(byte[] methodBytes, byte[] pathBytes, List<byte[]> lines, byte[] body)
        {
            var lineHandles = new GCHandle[lines.Count];
            var linePointers = new IntPtr[lines.Count];
            var response = new ResponseHandle();
            try
            {
                for (int i = 0; i < lines.Count; i++)
                {
                    lineHandles[i] = GCHandle.Alloc(lines[i], GCHandleType.Pinned);
                    linePointers[i] = lineHandles[i].AddrOfPinnedObject();
                }
                int bodyLength = body == null ? 0 : body.Length;
                IntPtr raw, err;
                int status = Native.lucid_client_request(
                    handle, methodBytes, pathBytes,
                    lines.Count == 0 ? null : linePointers, new UIntPtr((uint)lines.Count),
                    bodyLength == 0 ? null : body, new UIntPtr((uint)bodyLength),
                    out raw, out err);
                if (status != 0)
                    throw Native.Failure(status, err);
                response.Take(raw);
                return Response.CopyFrom(response);
            }
            finally
            {
                response.Dispose();
                for (int i = 0; i < lines.Count; i++)
                {
                    if (lineHandles[i].IsAllocated)
                        lineHandles[i].Free();
                    Array.Clear(lines[i], 0, lines[i].Length);
                }
            }
        }

        /// <summary>Frees the native client (once no call on it is running). Calling it again does nothing.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (handle.IsDisposed)
                throw new ObjectDisposedException(typeof(Client).FullName);
        }

        /// <summary>Whether the native client has been freed (Dispose() defers that until no call holds it; for the tests).</summary>
        internal bool IsReleased { get { return handle.IsClosed; } }

        // "Name: value" lines, checked here so that a bad header never reaches the library (whose
        // message about a bad line would quote the line, which may hold a secret).
        private static List<byte[]> HeaderLines(IEnumerable<KeyValuePair<string, string>> headers)
        {
            var lines = new List<byte[]>();
            if (headers == null)
                return lines;
            foreach (KeyValuePair<string, string> header in headers)
            {
                string name = header.Key;
                if (string.IsNullOrEmpty(name) || name.Trim().Length == 0)
                    throw new ArgumentException("a header name is empty", "headers");
                foreach (char c in name)
                {
                    if (c <= ' ' || c >= 0x7f || c == ':')
                        throw new ArgumentException("header name '" + name + "' is not a valid HTTP token", "headers");
                }
                string value = header.Value;
                if (value == null)
                    throw new ArgumentException("the value of header '" + name + "' is null", "headers");
                if (value.IndexOf('\r') >= 0 || value.IndexOf('\n') >= 0 || value.IndexOf('\0') >= 0)
                    throw new ArgumentException("the value of header '" + name + "' holds CR, LF or NUL", "headers");
                lines.Add(Native.Utf8(name + ": " + value, "headers"));
            }
            return lines;
        }
    }

    /// <summary>
    /// An API response, copied out of the native response (which is freed at once): nothing here
    /// needs disposing.
    /// </summary>
    public sealed class Response
    {
        private readonly byte[] body;

        /// <summary>The HTTP status code.</summary>
        public int Status { get; private set; }

        /// <summary>The response headers in the order received; names in lower case.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; }

        /// <summary>The body bytes (the same array on every read; empty when there is no body).</summary>
        public byte[] Body { get { return body; } }

        /// <summary>The body decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
        public string BodyText { get { return Encoding.UTF8.GetString(body); } }

        private Response(int status, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body)
        {
            Status = status;
            Headers = headers;
            this.body = body;
        }

        /// <summary>The first value of header <paramref name="name"/> (any case), or null.</summary>
        public string Header(string name)
        {
            if (name == null)
                throw new ArgumentNullException("name");
            foreach (KeyValuePair<string, string> header in Headers)
            {
                if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                    return header.Value;
            }
            return null;
        }

        // Clears the body of a response nobody waits for any more.
        internal void Clear()
        {
            Array.Clear(body, 0, body.Length);
        }

        internal static Response CopyFrom(ResponseHandle handle)
        {
            int status = Native.lucid_response_status(handle);

            UIntPtr length;
            IntPtr data = Native.lucid_response_body(handle, out length);
            ulong size = length.ToUInt64();
            if (size > int.MaxValue)
                throw new LucidAuthException(LucidStatus.TooLarge, "response body is larger than a .NET array");
            var body = new byte[(int)size];
            if (size > 0)
                Marshal.Copy(data, body, 0, (int)size);

            ulong count = Native.lucid_response_header_count(handle).ToUInt64();
            var headers = new List<KeyValuePair<string, string>>();
            for (ulong i = 0; i < count; i++)
            {
                IntPtr name, value, err;
                int rc = Native.lucid_response_header_at(handle, new UIntPtr(i), out name, out value, out err);
                if (rc != 0)
                    throw Native.Failure(rc, err);
                headers.Add(new KeyValuePair<string, string>(Native.CopyUtf8(name), Native.CopyUtf8(value)));
            }
            return new Response(status, new ReadOnlyCollection<KeyValuePair<string, string>>(headers), body);
        }
    }

    // ---- Cancellation -------------------------------------------------------------------------------

    /// <summary>Runs a native call on the thread pool, waited for until a CancellationToken says stop.</summary>
    internal static class Cancellable
    {
        private static int running;

        /// <summary>How many native calls started by <see cref="Run"/> are still running (for the tests).</summary>
        internal static int Running { get { return Volatile.Read(ref running); } }

        /// <summary>
        /// A task for <c>take(call())</c>, run on the thread pool. When <paramref name="ct"/> is
        /// cancelled first the task is canceled at once; the call goes on, and its result is given
        /// to <paramref name="discard"/> when it ends (its exception, if any, is observed and
        /// dropped). A token cancelled already gives a canceled task without running the call.
        /// </summary>
        internal static Task<T> Run<R, T>(Func<R> call, Func<R, T> take, Action<R> discard, CancellationToken ct)
        {
            if (ct.IsCancellationRequested)
            {
                var canceled = new TaskCompletionSource<T>();
                canceled.TrySetCanceled(ct);
                return canceled.Task;
            }
            Interlocked.Increment(ref running);
            Task<R> work = Task.Run(() =>
            {
                try
                {
                    return call();
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            });
            // The caller's continuations run on the thread pool: never inline in Cancel(), nor here.
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration = ct.Register(() => result.TrySetCanceled(ct));
            work.ContinueWith(done =>
            {
                registration.Dispose();
                if (done.IsFaulted)
                {
                    result.TrySetException(done.Exception.InnerExceptions);
                    return;
                }
                if (done.IsCanceled)
                {
                    result.TrySetCanceled();
                    return;
                }
                // Taken only when the caller still waits; the result is the caller's once set.
                if (result.Task.IsCompleted)
                {
                    discard(done.Result);
                    return;
                }
                T value;
                try
                {
                    value = take(done.Result);
                }
                catch (Exception e)
                {
                    result.TrySetException(e);
                    return;
                }
                if (!result.TrySetResult(value))
                    discard(done.Result); // cancelled in between
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return result.Task;
        }
    }


    // ---- Stats ---------------------------------------------------------------------------------------

    public sealed partial class Client
    {
        /// <summary>
        /// A snapshot of this client's counters and of the tokens it holds (one per scope), copied
        /// out of the native snapshot, which is freed at once.
        /// </summary>
        public ClientStats Stats()
        {
            ThrowIfDisposed();
            var snapshot = new StatsHandle();
            try
            {
                IntPtr raw, err;
                int status = NativeStats.lucid_client_stats(handle, out raw, out err);
                if (status != 0)
                    throw Native.Failure(status, err);
                snapshot.Take(raw);
                return ClientStats.CopyFrom(snapshot);
            }
            finally
            {
                snapshot.Dispose();
            }
        }
    }

    /// <summary>
    /// What a client has done with its tokens, as of <see cref="Client.Stats"/>: a plain managed
    /// copy, nothing to dispose. Holds no token or secret.
    /// </summary>
    public sealed class ClientStats
    {
        /// <summary>Token requests that got a token.</summary>
        public ulong TokenFetches { get; private set; }
        /// <summary>Token requests that did not, after their retries.</summary>
        public ulong TokenFetchFailures { get; private set; }
        /// <summary>Token reads answered from memory.</summary>
        public ulong MemoryReads { get; private set; }
        /// <summary>Tokens taken from the shared cache.</summary>
        public ulong SharedCacheReads { get; private set; }
        /// <summary>Tokens renewed in the background (refresh ahead).</summary>
        public ulong BackgroundRefreshes { get; private set; }
        /// <summary>API calls answered 401 whose token was fetched again.</summary>
        public ulong UnauthorizedRefetches { get; private set; }
        /// <summary>Attempts after the first, of token requests and API calls.</summary>
        public ulong Retries { get; private set; }
        /// <summary>How long the last successful token request took (whole milliseconds).</summary>
        public TimeSpan LastFetchLatency { get; private set; }
        /// <summary>The status of the last error a call on the client returned; <c>Ok</c> when none.</summary>
        public LucidStatus LastError { get; private set; }
        /// <summary>One entry per scope the client holds a token for.</summary>
        public IReadOnlyList<ScopeStats> Scopes { get; private set; }

        internal ClientStats()
        {
            Scopes = new ReadOnlyCollection<ScopeStats>(new List<ScopeStats>());
        }

        /// <summary>
        /// The property each counter sets, by the library's name of it (<c>lucid_stat_name</c>).
        /// A counter of a newer library that is missing here is skipped; a test checks that none is.
        /// </summary>
        internal static readonly Dictionary<string, Action<ClientStats, ulong>> Fields =
            new Dictionary<string, Action<ClientStats, ulong>>
            {
                { "token_fetches", (s, v) => s.TokenFetches = v },
                { "token_fetch_failures", (s, v) => s.TokenFetchFailures = v },
                { "memory_reads", (s, v) => s.MemoryReads = v },
                { "shared_cache_reads", (s, v) => s.SharedCacheReads = v },
                { "background_refreshes", (s, v) => s.BackgroundRefreshes = v },
                { "unauthorized_refetches", (s, v) => s.UnauthorizedRefetches = v },
                { "retries", (s, v) => s.Retries = v },
                { "last_fetch_latency_ms", (s, v) => s.LastFetchLatency = Millis(v) },
                { "last_error_status", (s, v) => s.LastError = (LucidStatus)unchecked((int)v) },
            };

        internal static ClientStats CopyFrom(StatsHandle snapshot)
        {
            var stats = new ClientStats();
            for (int i = 0; ; i++)
            {
                string name = Native.CopyUtf8(NativeStats.lucid_stat_name(i));
                if (name == null)
                    break;
                Action<ClientStats, ulong> set;
                if (Fields.TryGetValue(name, out set))
                    set(stats, NativeStats.lucid_stats_value(snapshot, i));
            }
            ulong count = NativeStats.lucid_stats_scope_count(snapshot).ToUInt64();
            var scopes = new List<ScopeStats>();
            for (ulong i = 0; i < count; i++)
            {
                var at = new UIntPtr(i);
                scopes.Add(new ScopeStats(
                    Native.CopyUtf8(NativeStats.lucid_stats_scope(snapshot, at)) ?? "",
                    Native.CopyUtf8(NativeStats.lucid_stats_scope_origin(snapshot, at)) ?? "",
                    Millis(NativeStats.lucid_stats_scope_refresh_in_ms(snapshot, at)),
                    Millis(NativeStats.lucid_stats_scope_expires_in_ms(snapshot, at))));
            }
            stats.Scopes = new ReadOnlyCollection<ScopeStats>(scopes);
            return stats;
        }

        /// <summary><paramref name="ms"/> milliseconds, capped at <see cref="TimeSpan.MaxValue"/>.</summary>
        internal static TimeSpan Millis(ulong ms)
        {
            const ulong max = (ulong)long.MaxValue / TimeSpan.TicksPerMillisecond;
            return ms > max ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ms * TimeSpan.TicksPerMillisecond);
        }
    }

    /// <summary>The token a client holds for one scope, as of a <see cref="Client.Stats"/> snapshot.</summary>
    public sealed class ScopeStats
    {
        /// <summary>The token's scope ("" for none).</summary>
        public string Scope { get; private set; }
        /// <summary>Where the token came from: "token endpoint", "shared cache" or "pre-issued".</summary>
        public string Origin { get; private set; }
        /// <summary>Until the token enters its refresh window (zero once it has).</summary>
        public TimeSpan RefreshIn { get; private set; }
        /// <summary>Until the token expires (zero once it has).</summary>
        public TimeSpan ExpiresIn { get; private set; }

        internal ScopeStats(string scope, string origin, TimeSpan refreshIn, TimeSpan expiresIn)
        {
            Scope = scope;
            Origin = origin;
            RefreshIn = refreshIn;
            ExpiresIn = expiresIn;
        }
    }

    internal sealed class StatsHandle : LucidHandle
    {
        public StatsHandle() { }
        protected override bool ReleaseHandle() { NativeStats.lucid_stats_free(handle); return true; }
    }

    internal static class NativeStats
    {
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_stats(ClientHandle client, out IntPtr stats, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_value(StatsHandle stats, int which);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stat_name(int which);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr lucid_stats_scope_count(StatsHandle stats);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stats_scope(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_stats_scope_origin(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_scope_refresh_in_ms(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong lucid_stats_scope_expires_in_ms(StatsHandle stats, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_stats_free(IntPtr stats);
    }

    // ---- SafeHandles: one per native handle type -------------------------------------------------

    /// <summary>A native handle that is NULL when invalid; filled in once, after a successful call.</summary>
    internal abstract class LucidHandle : SafeHandle
    {
        protected LucidHandle() : base(IntPtr.Zero, true) { }

        // Set by Dispose(). A SafeHandle only counts as closed once no call holds it any more, and
        // until then it still lets new calls take it: this flag makes the wrappers refuse new
        // calls at once, while calls already running finish safely on the live handle.
        private volatile bool disposeRequested;

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Whether Dispose() was called (or the handle was closed).</summary>
        internal bool IsDisposed { get { return disposeRequested || IsClosed; } }

        protected override void Dispose(bool disposing)
        {
            disposeRequested = true;
            base.Dispose(disposing);
        }

        // Stores the pointer a native call just returned. The SafeHandle object was allocated
        // before the call, so nothing can fail (and leak the pointer) between the two.
        internal void Take(IntPtr raw)
        {
            SetHandle(raw);
        }
    }

    internal sealed class CredentialsHandle : LucidHandle
    {
        public CredentialsHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_credentials_free(handle); return true; }
    }

    internal sealed class CredentialsBuilderHandle : LucidHandle
    {
        public CredentialsBuilderHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_credentials_builder_free(handle); return true; }
    }

    internal sealed class ClientHandle : LucidHandle
    {
        public ClientHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_client_free(handle); return true; }
    }

    internal sealed class ResponseHandle : LucidHandle
    {
        public ResponseHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_response_free(handle); return true; }
    }

    internal sealed class ErrorHandle : LucidHandle
    {
        public ErrorHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_error_free(handle); return true; }
    }

    // ---- P/Invoke ----------------------------------------------------------------------------------

    internal static class Native
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_new(CredentialsHandle credentials, out IntPtr client, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_client_free(IntPtr client);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_access_token_buf(ClientHandle client, byte[] scope,
            [Out] byte[] buf, UIntPtr bufLength, out UIntPtr tokenLength, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_request(ClientHandle client, byte[] method, byte[] path,
            IntPtr[] headers, UIntPtr headerCount, byte[] body, UIntPtr bodyLength, out IntPtr response, out IntPtr err);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_credentials_new(byte[] clientId, byte[] clientSecret, out IntPtr credentials, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_credentials_from_file(byte[] path, byte[] profile, out IntPtr credentials, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_credentials_discover(byte[] profile, out IntPtr credentials, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_credentials_free(IntPtr credentials);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_credentials_builder_new();
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_credentials_builder_from(CredentialsHandle credentials);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_credentials_builder_set(CredentialsBuilderHandle builder, byte[] key, byte[] value, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_credentials_builder_build(CredentialsBuilderHandle builder, out IntPtr credentials, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_credentials_builder_free(IntPtr builder);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_credentials_key(UIntPtr index);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_error_status(ErrorHandle error);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_error_message(ErrorHandle error);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort lucid_error_http_status(ErrorHandle error);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_error_oauth_error(ErrorHandle error);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_error_oauth_error_description(ErrorHandle error);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_error_free(IntPtr error);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort lucid_response_status(ResponseHandle response);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_response_body(ResponseHandle response, out UIntPtr length);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr lucid_response_header_count(ResponseHandle response);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_response_header_at(ResponseHandle response, UIntPtr index,
            out IntPtr name, out IntPtr value, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_response_free(IntPtr response);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, int level, IntPtr message);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_set_log_callback(LogCallback callback, IntPtr userData, int maxLevel);

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_status_name(int status);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_version();

        // ---- strings ----

        /// <summary>A NUL-terminated UTF-8 copy of a required string argument.</summary>
        internal static byte[] Utf8(string value, string name)
        {
            if (value == null)
                throw new ArgumentNullException(name);
            return Utf8OrNull(value, name);
        }

        /// <summary>A NUL-terminated UTF-8 copy, or null (a NULL pointer) for null.</summary>
        internal static byte[] Utf8OrNull(string value, string name)
        {
            if (value == null)
                return null;
            if (value.IndexOf('\0') >= 0)
                throw new ArgumentException("holds a NUL character", name);
            int length;
            try
            {
                length = StrictUtf8.GetByteCount(value);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException("is not valid UTF-16 (a lone surrogate)", name);
            }
            var bytes = new byte[length + 1];
            StrictUtf8.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Copies a NUL-terminated UTF-8 string (null for NULL). Frees nothing.</summary>
        internal static string CopyUtf8(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero)
                return null;
            int length = 0;
            while (Marshal.ReadByte(ptr, length) != 0)
                length++;
            var bytes = new byte[length];
            Marshal.Copy(ptr, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        internal static string StatusName(int status)
        {
            return CopyUtf8(lucid_status_name(status));
        }

        /// <summary>
        /// The exception for a failed call: reads, then frees, the error object the call wrote to
        /// its <c>LucidError **</c> out-parameter.
        /// </summary>
        internal static Exception Failure(int status, IntPtr rawError)
        {
            var error = new ErrorHandle();
            error.Take(rawError);
            using (error)
            {
                if (error.IsInvalid)
                    return new LucidAuthException((LucidStatus)status, StatusName(status));
                string message = CopyUtf8(lucid_error_message(error)) ?? StatusName(status);
                return new LucidAuthException(
                    (LucidStatus)status,
                    message,
                    lucid_error_http_status(error),
                    CopyUtf8(lucid_error_oauth_error(error)),
                    CopyUtf8(lucid_error_oauth_error_description(error)));
            }
        }
    }
}
