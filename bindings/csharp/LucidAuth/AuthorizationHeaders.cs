// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;

namespace LucidAuth
{
    /// <summary>
    /// What <c>lucid_client_authorize</c> gave for one request: the native list (kept for
    /// <c>lucid_client_unauthorized</c>, freed by <see cref="Dispose"/>) and a managed copy of its
    /// headers (names and values; the values hold the token and api key).
    /// </summary>
    internal sealed class AuthorizationHeaders : IDisposable
    {
        private readonly HeadersHandle handle;

        internal IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; }

        private AuthorizationHeaders(HeadersHandle handle, List<KeyValuePair<string, string>> headers)
        {
            this.handle = handle;
            Headers = headers.AsReadOnly();
        }

        internal HeadersHandle Handle { get { return handle; } }

        /// <summary>Takes the native list a successful <c>lucid_client_authorize</c> wrote.</summary>
        internal static AuthorizationHeaders Take(HeadersHandle handle)
        {
            var headers = new List<KeyValuePair<string, string>>();
            ulong count = Native.lucid_headers_count(handle).ToUInt64();
            for (ulong i = 0; i < count; i++)
            {
                var index = new UIntPtr(i);
                headers.Add(new KeyValuePair<string, string>(
                    Native.CopyUtf8(Native.lucid_headers_name(handle, index)),
                    Native.CopyUtf8(Native.lucid_headers_value(handle, index))));
            }
            return new AuthorizationHeaders(handle, headers);
        }

        public void Dispose()
        {
            handle.Dispose();
        }
    }
}
