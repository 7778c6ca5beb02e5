// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;

namespace LucidAuth
{
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
}
