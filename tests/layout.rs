//! The source tree's rules (README, "Layout"), checked on the code itself: each part a folder,
//! few files at the root, imports that run one way without cycles, `config` free of the network,
//! short functions, and one place that knows how to scrub a secret.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The longest function allowed, in lines (signature to closing brace).
const MAX_FUNCTION_LINES: usize = 60;

/// What `config` may not import: it knows nothing of the network, tokens, caches or callers.
const CONFIG_MAY_NOT_IMPORT: &[&str] = &["http", "token", "cache", "ffi", "client", "retry"];

struct Source {
    /// `config::url`, `retry`, `lib` for the crate root.
    module: String,
    /// The code before its `#[cfg(test)]` module, comments removed.
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            Source {
                module: module_of(&root, &path),
                code: strip_comments(code),
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        return "lib".to_string();
    }
    parts.join("::")
}

fn strip_comments(code: &str) -> String {
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules each module names through `crate::` or `super::` paths.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let targets = edges.entry(source.module.clone()).or_default();
        for path in paths(&source.code, &source.module) {
            let target = longest_module(&path, &modules);
            if target != source.module && !source.module.starts_with(&format!("{target}::")) {
                targets.insert(target);
            }
        }
    }
    edges
}

/// Every `crate::a::b` and `super::x` path in `code`, as a path from the crate root.
fn paths(code: &str, module: &str) -> Vec<Vec<String>> {
    let parent: Vec<&str> = if module == "lib" {
        Vec::new()
    } else {
        let mut p: Vec<&str> = module.split("::").collect();
        p.pop();
        p
    };
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        for (at, _) in code.match_indices(prefix) {
            if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            let mut path: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            for part in rest.split("::") {
                let word: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if word.is_empty() {
                    break;
                }
                let whole = word.len() == part.len();
                path.push(word);
                if !whole {
                    break;
                }
            }
            out.push(path);
        }
    }
    out
}

fn longest_module(path: &[String], modules: &BTreeSet<String>) -> String {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_else(|| "lib".to_string())
}

/// A cycle through `edges`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

/// The part a module belongs to: its folder, or itself at the root.
fn part(module: &str) -> String {
    module.split("::").next().unwrap_or(module).to_string()
}

#[test]
fn each_part_is_a_folder_and_the_root_holds_few_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut root_files = 0;
    let mut folders = 0;
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let files = fs::read_dir(&path).unwrap().count();
            if files >= 2 {
                folders += 1;
            }
        } else {
            root_files += 1;
        }
    }
    assert!(root_files <= 10, "{root_files} files directly in src/");
    assert!(folders >= 4, "{folders} folders of two or more files");
}

#[test]
fn imports_run_one_way_without_cycles() {
    let sources = sources();
    let edges = graph(&sources);
    assert_eq!(cycle(&edges), None, "a cycle between modules");
    let mut parts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in &edges {
        let (from, entry) = (part(from), parts.entry(part(from)).or_default());
        entry.extend(targets.iter().map(|t| part(t)).filter(|t| *t != from));
    }
    // The crate root re-exports every part: it is not a part others depend on through it,
    // except the FFI layer, which takes the public names.
    parts.retain(|name, _| name != "lib");
    for (name, targets) in parts.iter_mut() {
        if name != "ffi" {
            assert!(
                !targets.contains("lib"),
                "{name} imports through the crate root"
            );
        }
        targets.remove("lib");
    }
    assert_eq!(cycle(&parts), None, "a cycle between parts");
}

#[test]
fn config_knows_nothing_of_the_network() {
    let sources = sources();
    let edges = graph(&sources);
    for (from, targets) in &edges {
        if part(from) != "config" {
            continue;
        }
        for target in targets {
            assert!(
                !CONFIG_MAY_NOT_IMPORT.contains(&part(target).as_str()),
                "{from} imports {target}"
            );
        }
    }
}

#[test]
fn functions_fit_on_a_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut long = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        for (name, lines) in function_lengths(&text) {
            if lines > MAX_FUNCTION_LINES {
                long.push(format!("{} {name}: {lines} lines", path.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines: {long:#?}"
    );
}

/// Each `fn` with a body, and its length in lines (braces counted outside strings and
/// comments).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<String> = text.lines().map(strip_strings).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let mut depth = 0i32;
        let mut started = false;
        for (j, l) in lines.iter().enumerate().skip(i) {
            if !started && l.contains(';') && !l.contains('{') {
                break;
            }
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if started && depth == 0 {
                out.push((name.clone(), j - i + 1));
                break;
            }
        }
    }
    out
}

fn fn_name(line: &str) -> Option<String> {
    let at = line.find("fn ")?;
    let before = line[..at].trim();
    let modifiers = [
        "",
        "pub",
        "pub(crate)",
        "pub(super)",
        "const",
        "unsafe",
        "extern \"C\"",
    ];
    let prefix_ok = before
        .split_whitespace()
        .all(|w| modifiers.contains(&w) || w.starts_with("pub(") || w == "\"C\"" || w == "extern");
    if !prefix_ok {
        return None;
    }
    let name: String = line[at + 3..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// `line` without string and char literals and without its comment.
fn strip_strings(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => break,
            '\'' => {
                // A char literal ('{', '\''), not a lifetime: skip to its closing quote.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') || rest.chars().nth(1) == Some('\'') {
                    while let Some(n) = chars.next() {
                        if n == '\\' {
                            chars.next();
                        } else if n == '\'' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn one_place_knows_how_to_scrub_a_secret() {
    for source in sources() {
        if source.module == "secret" {
            continue;
        }
        for mark in ["\"<redacted>\"", "\"***\"", ".replace(form", "redact("] {
            assert!(
                !source.code.contains(mark),
                "{} scrubs secrets itself ({mark}); use secret::Redactor",
                source.module
            );
        }
    }
}
