// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LucidAuth
{
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
        /// <param name="method">the HTTP method, e.g. <c>GET</c></param>
        /// <param name="path">a path joined to the API endpoint, or an absolute URL on its origin</param>
        /// <param name="body">the request body; null for none</param>
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
}
