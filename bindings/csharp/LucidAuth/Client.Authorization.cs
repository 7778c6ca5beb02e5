// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

namespace LucidAuth
{
    // The calls behind AuthorizationHandler: the headers for a request that another HTTP client
    // sends, and the 401 it got.
    public sealed partial class Client
    {
        /// <summary>
        /// The headers an API request to <paramref name="url"/> needs (<c>lucid_client_authorize</c>);
        /// a URL on another origin than the API's throws a <see cref="LucidAuthException"/> with
        /// <see cref="LucidStatus.InsecureUrl"/>, and nothing is fetched.
        /// </summary>
        internal AuthorizationHeaders Authorize(string method, string url)
        {
            byte[] methodBytes = Native.Utf8(method, "method");
            byte[] urlBytes = Native.Utf8(url, "url");
            ThrowIfDisposed();
            var result = new HeadersHandle();
            IntPtr raw, err;
            int status = Native.lucid_client_authorize(handle, methodBytes, urlBytes, out raw, out err);
            if (status != 0)
            {
                result.Dispose();
                throw Native.Failure(status, err);
            }
            result.Take(raw);
            return AuthorizationHeaders.Take(result);
        }

        /// <summary>
        /// Tells the client that the request sent with <paramref name="sent"/> was answered 401
        /// (<c>lucid_client_unauthorized</c>): its token is dropped if it is still the current one.
        /// </summary>
        internal void Unauthorized(AuthorizationHeaders sent, string wwwAuthenticate, string dpopNonce)
        {
            byte[] challenge = Native.Utf8OrNull(wwwAuthenticate, "wwwAuthenticate");
            byte[] nonce = Native.Utf8OrNull(dpopNonce, "dpopNonce");
            ThrowIfDisposed();
            IntPtr err;
            int status = Native.lucid_client_unauthorized(handle, sent.Handle, challenge, nonce, out err);
            if (status != 0)
                throw Native.Failure(status, err);
        }
    }
}
