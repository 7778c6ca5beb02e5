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
	if lucidauth.StatusBufferTooSmall != 15 || lucidauth.StatusBufferTooSmall.String() != "LUCID_STATUS_BUFFER_TOO_SMALL" {
		t.Errorf("StatusBufferTooSmall = %d %q", lucidauth.StatusBufferTooSmall, lucidauth.StatusBufferTooSmall)
	}
	// The binding's own status has a number no library status has.
	if _, clash := header[screamingSnake("Closed")]; clash || lucidauth.StatusClosed >= 0 {
		t.Errorf("StatusClosed = %d clashes with the header", lucidauth.StatusClosed)
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
				if !strings.HasPrefix(name.Name, "Status") {
					t.Fatalf("Status constant %s has no Status prefix", name.Name)
				}
				out[screamingSnake(strings.TrimPrefix(name.Name, "Status"))] = int32(n)
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

// TestDeprecatedStatusNames checks the first names of the statuses (Config, ...): each is
// declared as the Status constant of the same name with the prefix, under a "Deprecated:" doc
// comment, and there is one for every Status constant but StatusClosed (newer than the names).
func TestDeprecatedStatusNames(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	aliases := map[string]bool{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			value := spec.(*ast.ValueSpec)
			target, ok := value.Values[0].(*ast.Ident)
			if !ok || value.Type != nil || !strings.HasPrefix(target.Name, "Status") {
				continue
			}
			name := value.Names[0].Name
			if target.Name != "Status"+name {
				t.Errorf("%s = %s: not the Status constant of its name", name, target.Name)
			}
			if value.Doc == nil || !strings.HasPrefix(value.Doc.Text(), "Deprecated: Use "+target.Name) {
				t.Errorf("%s has no \"Deprecated: Use %s\" comment", name, target.Name)
			}
			aliases[name] = true
		}
	}
	for name := range bindingStatuses(t) {
		if !aliases[pascal(name)] {
			t.Errorf("no deprecated name for LUCID_STATUS_%s", name)
		}
	}
	if lucidauth.Config != lucidauth.StatusConfig || lucidauth.NullArgument != lucidauth.StatusNullArgument {
		t.Error("the deprecated names have other values")
	}
}

// pascal turns the header's spelling into the Go name: CREDENTIALS_REJECTED ->
// CredentialsRejected; the initialisms stay upper case (IO, TLS, UTF8, URL, OK).
func pascal(snake string) string {
	var b strings.Builder
	for _, word := range strings.Split(snake, "_") {
		switch word {
		case "IO", "TLS", "UTF8", "URL", "OK":
			b.WriteString(word)
		default:
			b.WriteString(word[:1] + strings.ToLower(word[1:]))
		}
	}
	return b.String()
}
