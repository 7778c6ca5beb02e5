// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace LucidAuth
{
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
        public const string ClientKeyFile = "client_key_file";
        public const string ClientKeyId = "client_key_id";
        public const string ClientAssertionAudience = "client_assertion_audience";
        public const string Issuer = "issuer";
        public const string Dpop = "dpop";
        public const string DpopKeyFile = "dpop_key_file";

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
}
