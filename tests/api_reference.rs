//! docs/API.md must describe exactly the functions of include/lucidauth.h: every `lucid_*`
//! function of the header has a `### `name`` section there whose C prototype is the header's, and
//! the page names no `lucid_*` function that the header lacks. So the reference cannot drift from
//! the C API: change the API (then `make header`), and this test says what to update.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every whole word `lucid_<lowercase, digits, _>` in `text`, with the byte offset after it.
fn lucid_words(text: &str) -> Vec<(String, usize)> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("lucid_") {
        let start = from + found;
        let mut end = start + "lucid_".len();
        while end < bytes.len() && is_ident(bytes[end]) {
            end += 1;
        }
        let whole = start == 0 || !is_ident(bytes[start - 1]);
        let word = &text[start..end];
        if whole && word.len() > "lucid_".len() && word.bytes().all(|b| !b.is_ascii_uppercase()) {
            words.push((word.to_string(), end));
        }
        from = end;
    }
    words
}

/// The header's C declarations (comments and preprocessor lines left out), each function's
/// prototype as one line: `name -> "ret name(args);"` with whitespace collapsed.
fn header_functions(header: &str) -> Vec<(String, String)> {
    let code: String = header
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            !(t.starts_with("//")
                || t.starts_with("/*")
                || t.starts_with('*')
                || t.starts_with('#'))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut functions = Vec::new();
    // Declarations end with ';' (or '{' / '}' for the enum and extern "C" blocks).
    for statement in code.split([';', '{', '}']) {
        let statement = normalize(statement);
        if statement.starts_with("typedef") {
            continue;
        }
        let Some(paren) = statement.find('(') else {
            continue;
        };
        let Some((name, end)) = lucid_words(&statement[..paren]).pop() else {
            continue;
        };
        if end == paren {
            functions.push((name, format!("{statement};")));
        }
    }
    functions
}

/// Collapses runs of whitespace to one space and drops the spaces just inside parentheses.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// The names of the `### `lucid_...`` sections of the reference.
fn documented_sections(reference: &str) -> Vec<String> {
    reference
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .filter_map(|title| {
            let name = title.trim().trim_matches('`');
            name.starts_with("lucid_").then(|| name.to_string())
        })
        .collect()
}

/// The C code blocks of the reference, each normalized to one line.
fn code_blocks(reference: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in reference.lines() {
        match (&mut current, line.trim_start()) {
            (None, t) if t.starts_with("```c") => current = Some(String::new()),
            (Some(block), t) if t.starts_with("```") => {
                blocks.push(normalize(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_header_parser_finds_the_api() {
    let functions = header_functions(&read("include/lucidauth.h"));
    let names: BTreeSet<_> = functions.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.len() >= 20,
        "only {} functions found in include/lucidauth.h: {names:?}",
        names.len()
    );
    assert_eq!(names.len(), functions.len(), "a function declared twice");
    for expected in ["lucid_version", "lucid_client_new", "lucid_string_free"] {
        assert!(names.contains(expected), "{expected} not found: {names:?}");
    }
    let version = functions
        .iter()
        .find(|(n, _)| n == "lucid_version")
        .unwrap();
    assert_eq!(version.1, "const char *lucid_version(void);");
}

#[test]
fn every_header_function_has_a_section_with_its_prototype() {
    let functions = header_functions(&read("include/lucidauth.h"));
    let reference = read("docs/API.md");
    let sections = documented_sections(&reference);
    let blocks = code_blocks(&reference);
    let mut problems = Vec::new();
    for (name, prototype) in &functions {
        if !sections.contains(name) {
            problems.push(format!("{name}: no `### `{name}`` section"));
        }
        if !blocks.iter().any(|b| b == prototype) {
            problems.push(format!(
                "{name}: no ```c block holding exactly the prototype\n    {prototype}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/API.md is behind include/lucidauth.h:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_reference_names_no_function_the_header_lacks() {
    let header: BTreeSet<_> = header_functions(&read("include/lucidauth.h"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let reference = read("docs/API.md");
    let mut unknown: BTreeSet<String> = lucid_words(&reference)
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| !header.contains(w))
        .collect();
    let mut seen = BTreeSet::new();
    for name in documented_sections(&reference) {
        if !seen.insert(name.clone()) {
            unknown.insert(format!("{name} (two sections)"));
        }
    }
    assert!(
        unknown.is_empty(),
        "docs/API.md names lucid_* functions that include/lucidauth.h does not declare: {unknown:?}"
    );
}
