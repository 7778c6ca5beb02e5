// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

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
}
