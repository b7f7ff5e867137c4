//! The house rules that keep Obhut readable, checked on the source of every crate of the
//! workspace (see ARCHITECTURE.md):
//!
//! - the imports between the files of a crate point one way: no circle, however long;
//! - in `obhut-server`, nothing below the surfaces (`api`, `web`, `server.rs`) names them, and
//!   the two surfaces do not name each other;
//! - no source file outside tests is over 800 lines, and the CLI's `main.rs` stays a table of
//!   contents (under 150 lines);
//! - SQL lives in the store: nothing in `obhut-server` outside tests calls sqlx's query
//!   functions (`sqlx::query`, `query_as`, `query_scalar`, `raw_sql`…) itself.
//!
//! The import graph is read from the code itself: `use` trees and paths through `crate::`,
//! `super::`, `self::` and a parent's own child modules, each resolved to the file that
//! defines the module it ends in. Comments, strings and `#[cfg(test)]` modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;
const MAX_MAIN_LINES: usize = 150;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One crate's source: module path (`[]` for the root, `["services", "consent"]`…) → file.
struct Crate {
    name: String,
    files: BTreeMap<Vec<String>, PathBuf>,
}

fn crates() -> Vec<Crate> {
    let mut out = Vec::new();
    let dir = workspace().join("crates");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    names.sort();
    for path in names {
        let mut files = BTreeMap::new();
        walk(&path.join("src"), &[], &mut files);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(Crate { name, files });
    }
    out
}

fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut module = prefix.to_vec();
        if path.is_dir() {
            module.push(stem);
            walk(&path, &module, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            // `tests.rs` files are the `#[cfg(test)] mod tests;` of their parent.
            if stem == "tests" {
                continue;
            }
            if !(prefix.is_empty() && (stem == "lib" || stem == "main")) && stem != "mod" {
                module.push(stem);
            }
            // A binary crate's `main.rs` beside a `lib.rs` is its own root; keep the library.
            out.entry(module).or_insert(path);
        }
    }
}

/// The code of a file without comments, string and char literals, and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(b.get(i.wrapping_sub(1)).copied()) {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            if c == '\n' {
                out.push('\n');
            } else {
                out.push(c);
            }
            i += 1;
        }
    }
    drop_test_items(&out)
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Removes each item that follows `#[cfg(test)]` (a `mod … { … }`, `mod …;`, `use …;` or fn).
fn drop_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at the first `;` before any `{`, or at the `}` closing its first `{`.
        let mut depth = 0usize;
        let mut end = after.len();
        for (k, ch) in after.char_indices() {
            match ch {
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Expands a use tree or path that starts at `s` (`a::b::{c, d::{e, f}}`, `a::b::C`) into
/// its paths, as segment lists. Stops at the first character that cannot continue it.
fn paths_at(s: &str) -> Vec<Vec<String>> {
    fn tree(s: &[char], i: &mut usize) -> Vec<Vec<String>> {
        skip_ws(s, i);
        if s.get(*i) == Some(&'{') {
            *i += 1;
            let mut all = Vec::new();
            loop {
                skip_ws(s, i);
                match s.get(*i) {
                    Some('}') => {
                        *i += 1;
                        break;
                    }
                    Some(',') => *i += 1,
                    None => break,
                    _ => {
                        let before = *i;
                        all.extend(tree(s, i));
                        if *i == before {
                            *i += 1;
                        }
                    }
                }
            }
            return all;
        }
        let start = *i;
        while s.get(*i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            *i += 1;
        }
        if *i == start {
            return vec![Vec::new()];
        }
        let seg: String = s[start..*i].iter().collect();
        let mut j = *i;
        skip_ws(s, &mut j);
        if s.get(j) == Some(&':') && s.get(j + 1) == Some(&':') {
            *i = j + 2;
            skip_ws(s, i);
            if s.get(*i) == Some(&'*') {
                *i += 1;
                return vec![vec![seg]];
            }
            let rest = tree(s, i);
            return rest
                .into_iter()
                .map(|mut r| {
                    r.insert(0, seg.clone());
                    r
                })
                .collect();
        }
        vec![vec![seg]]
    }
    fn skip_ws(s: &[char], i: &mut usize) {
        while s.get(*i).is_some_and(|c| c.is_whitespace()) {
            *i += 1;
        }
    }
    let chars: Vec<char> = s.chars().take(4000).collect();
    let mut i = 0;
    tree(&chars, &mut i)
}

/// The files a file names, inside its own crate.
fn arrows(krate: &Crate, module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let resolve = |path: Vec<String>| -> Vec<String> {
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|m| krate.files.contains_key(m)).unwrap_or_default()
    };
    // Where `super` and `self` point: a file module `a/b.rs` is `a::b`, its parent `a`.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let children: BTreeSet<String> =
        krate.files.keys().filter(|m| m.len() == module.len() + 1 && m.starts_with(module)).map(|m| m[module.len()].clone()).collect();
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let starts_word = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':');
        if !starts_word || !(bytes[at].is_ascii_alphabetic() || bytes[at] == b'_') {
            at += 1;
            continue;
        }
        let word_end = code[at..].find(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(code.len(), |n| at + n);
        let word = &code[at..word_end];
        let follows_path = code[word_end..].trim_start().starts_with("::");
        if follows_path && (matches!(word, "crate" | "super" | "self") || children.contains(word)) {
            for path in paths_at(&code[at..]) {
                let mut base: Vec<String> = match path.first().map(String::as_str) {
                    Some("crate") => Vec::new(),
                    Some("super") => parent.clone(),
                    _ => module.to_vec(),
                };
                let mut rest = match path.first().map(String::as_str) {
                    Some("crate" | "super" | "self") => path[1..].to_vec(),
                    _ => path.clone(),
                };
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest.remove(0);
                }
                base.extend(rest);
                let target = resolve(base);
                if target != module {
                    out.insert(target);
                }
            }
        }
        at = word_end;
    }
    out
}

/// What runs SQL text directly: sqlx's query functions (and macros), its query builder, and
/// the `Executor` trait whose `execute("…")` takes a string. The store wraps them all.
const SQL_ENTRY_POINTS: [&str; 9] =
    ["query", "query_as", "query_scalar", "raw_sql", "query_with", "query_as_with", "query_scalar_with", "QueryBuilder", "Executor"];

/// The sqlx entry points a file's code names (called, or brought in by `use`), in order, as
/// `sqlx::query_as`. Give it `code(…)`, so comments, strings and test items are left out.
fn sql_calls(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(n) = code[at..].find("sqlx") {
        let start = at + n;
        at = start + "sqlx".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at).copied();
        let is_word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if is_word(before) || is_word(after) || !code[at..].trim_start().starts_with("::") {
            continue;
        }
        for path in paths_at(&code[start..]) {
            if let Some(f) = path.get(1).filter(|f| SQL_ENTRY_POINTS.contains(&f.as_str())) {
                out.push(format!("sqlx::{f}"));
            }
        }
    }
    out
}

fn graph(krate: &Crate) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    krate
        .files
        .iter()
        .map(|(module, path)| {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (module.clone(), arrows(krate, module, &code(&text)))
        })
        .collect()
}

/// The strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct Tarjan<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let Some((w, _)) = self.graph.get_key_value(w) else { continue };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap_or_else(|| unreachable!());
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap_or_else(|| unreachable!());
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut t =
        Tarjan { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on_stack: BTreeSet::new(), out: Vec::new() };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut found = Vec::new();
    for krate in crates() {
        let graph = graph(&krate);
        for circle in circles(&graph) {
            let members: BTreeSet<&Vec<String>> = circle.iter().collect();
            let ties: Vec<String> = circle
                .iter()
                .flat_map(|m| graph[m].iter().filter(|t| members.contains(t)).map(move |t| format!("{} -> {}", name(m), name(t))))
                .collect();
            found.push(format!("{}: {} files: {}", krate.name, circle.len(), ties.join(", ")));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_layers_of_the_server_point_down() {
    let krate = crates().into_iter().find(|c| c.name == "obhut-server").unwrap_or_else(|| unreachable!());
    let graph = graph(&krate);
    fn surface(m: &[String]) -> Option<&str> {
        m.first().map(String::as_str)
    }
    let mut wrong = Vec::new();
    for (from, to) in graph.iter().flat_map(|(f, ts)| ts.iter().map(move |t| (f, t))) {
        let (a, b) = (surface(from), surface(to));
        let from_surface = matches!(a, Some("api" | "web" | "server")) || from.is_empty();
        let to_surface = matches!(b, Some("api" | "web" | "server"));
        let across = matches!((a, b), (Some("api"), Some("web")) | (Some("web"), Some("api")));
        if (to_surface && !from_surface) || across {
            wrong.push(format!("{} -> {}", name(from), name(to)));
        }
    }
    assert!(wrong.is_empty(), "imports that point up or across the surfaces:\n{}", wrong.join("\n"));
}

#[test]
fn files_have_one_job() {
    let mut long = Vec::new();
    for krate in crates() {
        for path in krate.files.values() {
            let lines = std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or_default();
            let is_main = path.ends_with("obhut/src/main.rs");
            if lines > MAX_LINES || is_main && lines >= MAX_MAIN_LINES {
                long.push(format!("{}: {lines} lines", path.display()));
            }
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines (main.rs: {MAX_MAIN_LINES}):\n{}", long.join("\n"));
}

#[test]
fn sql_lives_in_the_store() {
    let krate = crates().into_iter().find(|c| c.name == "obhut-server").unwrap_or_else(|| unreachable!());
    let root = workspace();
    let mut found = Vec::new();
    for path in krate.files.values() {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for call in sql_calls(&code(&text)) {
            found.push(format!("{}: {call}", path.strip_prefix(&root).unwrap_or(path).display()));
        }
    }
    assert!(
        found.is_empty(),
        "SQL run by the server itself; move it into a function of the obhut-store module that owns the table:\n{}",
        found.join("\n")
    );
}

/// The SQL scanner itself: a call, a turbofish, a spaced path and a `use` tree are found;
/// comments, strings, other sqlx items and test modules are not.
#[test]
fn the_sql_scanner_sees_a_query() {
    let calls = sql_calls(&code(
        "use sqlx::{Connection, query_scalar};\n\
         fn f(c: &mut sqlx::AnyConnection) { let _ = sqlx::query_as::<_, (i64,)>(\"SELECT 1\"); sqlx :: raw_sql(\"x\"); }\n\
         // sqlx::query(\"in a comment\")\n\
         fn g() -> sqlx::Result<()> { let _s = \"sqlx::query(1)\"; let _t = mysqlx::query(); Ok(()) }\n\
         #[cfg(test)]\nmod tests { fn t() { sqlx::query(\"SELECT 1\"); } }",
    ));
    assert_eq!(calls, ["sqlx::query_scalar", "sqlx::query_as", "sqlx::raw_sql"]);
    assert_eq!(sql_calls(&code("async fn f(c: &mut C) { sqlx::query(\"PRAGMA x\").execute(c).await; }")), ["sqlx::query"]);
}

/// The reader itself: a circle through `super::`, a use tree and a child's name is found,
/// and comments, strings and test modules are not read as imports.
#[test]
fn the_import_reader_sees_what_it_should() {
    let k = Crate {
        name: "x".into(),
        files: [vec![], vec!["a".into()], vec!["a".into(), "b".into()], vec!["c".into()]]
            .into_iter()
            .map(|m| (m, PathBuf::new()))
            .collect(),
    };
    let a = arrows(&k, &["a".into()], &code("use b::X; // crate::c::Y\nfn f() { let s = \"crate::c\"; }"));
    assert_eq!(a, [vec!["a".to_string(), "b".into()]].into_iter().collect());
    let b = arrows(&k, &["a".into(), "b".into()], &code("use super::{Z, super::c::{W, V}};\n#[cfg(test)]\nmod tests { use crate::c; }"));
    assert_eq!(b, [vec!["a".to_string()], vec!["c".into()]].into_iter().collect());
    let g: BTreeMap<_, _> = [
        (vec!["a".to_string()], a.clone()),
        (vec!["a".to_string(), "b".into()], [vec!["a".to_string()]].into_iter().collect()),
        (vec!["c".to_string()], BTreeSet::new()),
    ]
    .into_iter()
    .collect();
    assert_eq!(circles(&g).len(), 1);
    let lifetimes = code("fn f<'a>(x: &'a str) -> char { let _ = crate::c::g(); '{' }");
    assert!(lifetimes.contains("crate::c::g"), "{lifetimes}");
}
