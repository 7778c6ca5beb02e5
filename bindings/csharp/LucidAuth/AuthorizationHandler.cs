// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace LucidAuth
{
    /// <summary>
    /// An <see cref="HttpMessageHandler"/> that authorizes the requests of your own
    /// <see cref="HttpClient"/> with a <see cref="Client"/>'s token, keeping your handler's pools,
    /// proxies and options:
    /// <code>
    /// var http = new HttpClient(new AuthorizationHandler(client));
    /// var answer = await http.GetAsync("https://api.lucidtech.ai/v1/documents");
    /// </code>
    /// </summary>
    /// <remarks>
    /// A request to the credentials' API origin (<c>api_endpoint</c>'s scheme, host and port) goes
    /// out with the headers the library gives for it (<c>lucid_client_authorize</c>:
    /// <c>x-api-key</c> when there is an api key, <c>Authorization: Bearer &lt;token&gt;</c>),
    /// replacing any of those names the request had. A request to any other origin passes through
    /// untouched, without a token or key, and fetches nothing. When the answer is 401 the handler
    /// tells the client (<c>lucid_client_unauthorized</c>: the token that was sent is dropped if it
    /// is still the current one, so concurrent 401s make one new fetch) and sends the request once
    /// more with new headers when its content can be sent again (none, or a
    /// <see cref="ByteArrayContent"/>: <see cref="StringContent"/>,
    /// <see cref="FormUrlEncodedContent"/>); otherwise the 401 is returned. A token failure throws
    /// the <see cref="LucidAuthException"/>. The native call runs on the thread pool and honours
    /// the cancellation token as <see cref="Client.TokenAsync"/> does. The handler does not own
    /// the client: dispose the client yourself.
    /// </remarks>
    public sealed class AuthorizationHandler : DelegatingHandler
    {
        private readonly Client client;

        /// <summary>A handler for <paramref name="client"/> over a new <see cref="HttpClientHandler"/>.</summary>
        public AuthorizationHandler(Client client) : this(client, new HttpClientHandler())
        {
        }

        /// <summary>A handler for <paramref name="client"/> that sends through <paramref name="innerHandler"/>.</summary>
        public AuthorizationHandler(Client client, HttpMessageHandler innerHandler) : base(innerHandler)
        {
            if (client == null)
                throw new ArgumentNullException("client");
            this.client = client;
        }

        /// <summary>Sends <paramref name="request"/>, authorized when it goes to the API origin.</summary>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request == null)
                throw new ArgumentNullException("request");
            AuthorizationHeaders sent = await AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
            if (sent == null)
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            using (sent)
            {
                Apply(request, sent);
                HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.Unauthorized || !TellUnauthorized(sent, response)
                    || !Replayable(request.Content))
                    return response;
                AuthorizationHeaders again = await AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
                if (again == null)
                    return response;
                using (again)
                {
                    response.Dispose();
                    Apply(request, again);
                    return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // The headers for the request, on the thread pool; null for another origin than the API's.
        private Task<AuthorizationHeaders> AuthorizeAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Uri uri = request.RequestUri;
            if (uri == null || !uri.IsAbsoluteUri)
                return Task.FromResult<AuthorizationHeaders>(null); // the inner handler says what is wrong
            string method = request.Method.Method, url = uri.AbsoluteUri;
            return Cancellable.Run(() =>
            {
                try
                {
                    return client.Authorize(method, url);
                }
                catch (LucidAuthException e) when (e.Status == LucidStatus.InsecureUrl)
                {
                    return null; // not ours: the request goes out untouched
                }
            }, h => h, h => { if (h != null) h.Dispose(); }, ct);
        }

        // Sets the authorization's headers, replacing any of the same names.
        private static void Apply(HttpRequestMessage request, AuthorizationHeaders headers)
        {
            foreach (KeyValuePair<string, string> h in headers.Headers)
                request.Headers.Remove(h.Key);
            foreach (KeyValuePair<string, string> h in headers.Headers)
                request.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }

        // Tells the client about the 401; false when that failed (the 401 then stands).
        private bool TellUnauthorized(AuthorizationHeaders sent, HttpResponseMessage response)
        {
            try
            {
                client.Unauthorized(sent, First(response, "WWW-Authenticate"), First(response, "DPoP-Nonce"));
                return true;
            }
            catch (LucidAuthException)
            {
                return false;
            }
            catch (ArgumentException)
            {
                return false; // a header value C cannot carry
            }
        }

        private static string First(HttpResponseMessage response, string name)
        {
            IEnumerable<string> values;
            return response.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;
        }

        // Content that can be sent a second time: none, or bytes held in memory.
        private static bool Replayable(HttpContent content)
        {
            return content == null || content is ByteArrayContent;
        }
    }
}
