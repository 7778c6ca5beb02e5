package lucidauth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"lucidauth.example/lucidauth"
)

// TestStatusTableIsTheHeaders compares the Status constants typed in errors.go with the
// LUCID_STATUS_<NAME> = <n> lines of include/lucidauth.h, both ways, names and numbers, so that
// the copy cannot drift from the header.
func TestStatusTableIsTheHeaders(t *testing.T) {
	header := headerStatuses(t)
	binding := bindingStatuses(t)
	for name, n := range header {
		got, ok := binding[name]
		if !ok {
			t.Errorf("LUCID_STATUS_%s = %d is in the header but has no Status constant", name, n)
		} else if got != n {
			t.Errorf("LUCID_STATUS_%s is %d in the header and %d in errors.go", name, n, got)
		}
	}
	for name, n := range binding {
		if _, ok := header[name]; !ok {
			t.Errorf("errors.go has LUCID_STATUS_%s = %d, which the header lacks", name, n)
		}
	}
	// The library names each number as the header does, and no number past the last.
	for name, n := range header {
		if got := lucidauth.Status(n).String(); got != "LUCID_STATUS_"+name {
			t.Errorf("Status(%d).String() = %q, want LUCID_STATUS_%s", n, got, name)
		}
	}
	if got := lucidauth.Status(len(header)).String(); got != "LUCID_STATUS_UNKNOWN" {
		t.Errorf("Status(%d).String() = %q, want LUCID_STATUS_UNKNOWN", len(header), got)
	}
	if lucidauth.BufferTooSmall != 15 || lucidauth.BufferTooSmall.String() != "LUCID_STATUS_BUFFER_TOO_SMALL" {
		t.Errorf("BufferTooSmall = %d %q", lucidauth.BufferTooSmall, lucidauth.BufferTooSmall)
	}
}

// headerStatuses reads NAME -> number from the enum LucidStatus of the header.
func headerStatuses(t *testing.T) map[string]int32 {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "include", "lucidauth.h"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\s*LUCID_STATUS_([A-Z0-9_]+) = (\d+),`)
	out := map[string]int32{}
	for _, m := range line.FindAllStringSubmatch(string(text), -1) {
		n, err := strconv.ParseInt(m[2], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = int32(n)
	}
	if len(out) < 16 {
		t.Fatalf("found %d statuses in the header; the pattern no longer matches it", len(out))
	}
	return out
}

// bindingStatuses reads the constants of type Status declared in errors.go, with their Go names
// spelled as the header's (InvalidUTF8 -> INVALID_UTF8).
func bindingStatuses(t *testing.T) map[string]int32 {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			value := spec.(*ast.ValueSpec)
			if typ, ok := value.Type.(*ast.Ident); !ok || typ.Name != "Status" {
				continue
			}
			for i, name := range value.Names {
				lit, ok := value.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.INT {
					t.Fatalf("Status constant %s is not a plain number", name.Name)
				}
				n, err := strconv.ParseInt(lit.Value, 0, 32)
				if err != nil {
					t.Fatal(err)
				}
				out[screamingSnake(name.Name)] = int32(n)
			}
		}
	}
	return out
}

// screamingSnake turns a Go name into the header's spelling: CredentialsRejected ->
// CREDENTIALS_REJECTED, InsecureURL -> INSECURE_URL, IO -> IO.
func screamingSnake(name string) string {
	runes := []rune(name)
	var b strings.Builder
	for i, r := range runes {
		if i > 0 && unicode.IsUpper(r) {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
