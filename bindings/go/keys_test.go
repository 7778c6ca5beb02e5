package lucidauth_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"lucidauth.example/lucidauth"
)

// TestCredentialKeysAreTheLibrarys enumerates lucid_credentials_key(0, 1, ...) until NULL and
// compares the names, in order, with CredentialKeys and with the README's key table (which the
// Rust tests keep equal to the library's).
func TestCredentialKeysAreTheLibrarys(t *testing.T) {
	var enumerated []string
	for i := 0; ; i++ {
		key, ok := lucidauth.CredentialsKeyAt(i)
		if !ok {
			break
		}
		enumerated = append(enumerated, key)
	}
	if _, ok := lucidauth.CredentialsKeyAt(1 << 30); ok {
		t.Error("an index far past the end names a key")
	}
	keys := lucidauth.CredentialKeys()
	if !reflect.DeepEqual(keys, enumerated) {
		t.Fatalf("CredentialKeys() = %q,\nlucid_credentials_key gives %q", keys, enumerated)
	}
	if readme := readmeKeys(t); !reflect.DeepEqual(keys, readme) {
		t.Fatalf("CredentialKeys() = %q,\nthe README's table has %q", keys, readme)
	}
	keys[0] = "changed"
	if again := lucidauth.CredentialKeys(); again[0] != "client_id" {
		t.Fatalf("CredentialKeys() shares its slice between calls: %q", again[0])
	}
}

// readmeKeys reads the key names of the README's table (between its keys markers), in order.
func readmeKeys(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?s)<!-- keys:[^\n]*-->\n(.*?)<!-- end of keys -->`).FindSubmatch(text)
	if table == nil {
		t.Fatal("README.md has no key table markers")
	}
	var keys []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllSubmatch(table[1], -1) {
		keys = append(keys, string(m[1]))
	}
	if len(keys) == 0 {
		t.Fatal("no keys in the README's table")
	}
	return keys
}
