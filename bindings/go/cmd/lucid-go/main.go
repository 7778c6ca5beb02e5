// Command lucid-go prints an access token, or makes one API request, with the lucidauth Go
// binding:
//
//	lucid-go [-profile NAME] [-credentials FILE] [-scope SCOPE]              prints a token
//	lucid-go [-profile NAME] [-credentials FILE] [-scope SCOPE] METHOD PATH  prints the response body
//
// Without -credentials, credentials are found as the library finds them (see
// DiscoverCredentials). Exit status: 0 success (a 2xx answer for a request), 1 a
// library error, 2 a usage error, 4 an HTTP status outside 2xx.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"lucidauth.example/lucidauth"
)

func main() {
	os.Exit(run())
}

func run() int {
	profile := flag.String("profile", "", "profile of the credentials file (default: LAS_PROFILE, else default)")
	file := flag.String("credentials", "", "credentials file (default: discover)")
	scope := flag.String("scope", "", "scope to ask for (default: the credentials' scope)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: lucid-go [flags] [METHOD PATH]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 && flag.NArg() != 2 {
		flag.Usage()
		return 2
	}

	var creds *lucidauth.Credentials
	var err error
	if *file != "" {
		creds, err = lucidauth.CredentialsFromFile(*file, *profile)
	} else {
		creds, err = lucidauth.DiscoverCredentials(*profile)
	}
	if err != nil {
		return fail(err)
	}
	defer creds.Close()
	var opts []lucidauth.ClientOption
	if *scope != "" {
		opts = append(opts, lucidauth.WithScope(*scope))
	}
	client, err := lucidauth.NewClient(creds, opts...)
	if err != nil {
		return fail(err)
	}
	defer client.Close()

	if flag.NArg() == 0 {
		token, err := client.AccessToken(context.Background())
		if err != nil {
			return fail(err)
		}
		fmt.Println(token)
		return 0
	}
	resp, err := client.Request(context.Background(), flag.Arg(0), flag.Arg(1), nil)
	if err != nil {
		return fail(err)
	}
	os.Stdout.Write(resp.Body)
	fmt.Fprintf(os.Stderr, "HTTP %d\n", resp.Status)
	if resp.Status/100 != 2 {
		return 4
	}
	return 0
}

// fail reports an error as "lucid-go: <STATUS_NAME>: <message>" and gives exit status 1.
func fail(err error) int {
	var e *lucidauth.Error
	if errors.As(err, &e) {
		fmt.Fprintf(os.Stderr, "lucid-go: %s: %s\n", e.Name, e.Message)
	} else {
		fmt.Fprintf(os.Stderr, "lucid-go: %v\n", err)
	}
	return 1
}
