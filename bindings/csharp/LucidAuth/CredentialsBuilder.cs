// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Threading;

namespace LucidAuth
{
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
}
