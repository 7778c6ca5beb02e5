// The NuGet install test's program (scripts/test_nuget.sh): built against the LucidAuth.dll that
// `nuget install LucidAuth` put into a fresh directory, it gets a token and makes one API call
// against the bundled local server, and says which native library the process loaded.
//
//   mono App.exe CREDENTIALS_FILE
//
// Prints `version: X.Y.Z`, `assembly: X.Y.Z.0`, `token: N bytes`, `GET /documents: 200`,
// `HttpClient GET /documents: 200` (through AuthorizationHandler) and `native: PATH` (the liblucidauth mapped into the process, from /proc/self/maps). Exit status
// 0 on success, 1 on a failure.

using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using LucidAuth;

internal static class App
{
    private static int Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: App.exe CREDENTIALS_FILE");
            return 2;
        }
        try
        {
            Console.WriteLine("version: " + Library.Version);
            Console.WriteLine("assembly: " + typeof(Client).Assembly.GetName().Version);
            using (var credentials = Credentials.FromFile(args[0]))
            using (var client = new Client(credentials))
            {
                Console.WriteLine("token: " + client.Token().Length + " bytes");
                Console.WriteLine("GET /documents: " + client.Send("GET", "/documents").Status);
                string api = File.ReadAllLines(args[0]).Select(l => l.Split(new[] { '=' }, 2))
                    .Where(kv => kv.Length == 2 && kv[0].Trim() == "api_endpoint").Select(kv => kv[1].Trim()).First();
                using (var http = new HttpClient(new AuthorizationHandler(client)))
                using (HttpResponseMessage answer = http.GetAsync(api + "/documents").GetAwaiter().GetResult())
                    Console.WriteLine("HttpClient GET /documents: " + (int)answer.StatusCode);
            }
            string native = File.ReadAllLines("/proc/self/maps")
                .Select(line => line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                .FirstOrDefault(path => path != null && Path.GetFileName(path).StartsWith("liblucidauth", StringComparison.Ordinal));
            Console.WriteLine("native: " + native);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("App: " + e.GetType().Name + ": " + e.Message);
            return 1;
        }
    }
}
