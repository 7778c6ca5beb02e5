// The C# binding of lucidauth (OAuth2 client-credentials tokens and authorized
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
using System.Runtime.InteropServices;
using System.Text;

namespace LucidAuth
{
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
        internal static extern int lucid_client_authorize(ClientHandle client, byte[] method, byte[] url,
            out IntPtr headers, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int lucid_client_unauthorized(ClientHandle client, HeadersHandle sent,
            byte[] wwwAuthenticate, byte[] dpopNonce, out IntPtr err);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr lucid_headers_count(HeadersHandle headers);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_headers_name(HeadersHandle headers, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr lucid_headers_value(HeadersHandle headers, UIntPtr index);
        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void lucid_headers_free(IntPtr headers);

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
