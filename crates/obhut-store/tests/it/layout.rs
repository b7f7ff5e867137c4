//! The shape of the store's source: one job per file (none over 800 lines), and imports
//! between its modules that point one way, so that any module can be read knowing only the
//! ones below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

/// Every `.rs` file under `src`, by module path (`lib`, `audit`, `consent`, `consent::events`…).
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries.map(|e| e.unwrap_or_else(|e| panic!("{e}"))) {
            let path = e.path();
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let name = if prefix.is_empty() { stem.clone() } else { format!("{prefix}::{stem}") };
            if path.is_dir() {
                walk(&path, &name, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let module = match (stem.as_str(), prefix) {
                    ("mod", _) => prefix.to_string(),
                    ("lib", "") => "lib".to_string(),
                    _ => name,
                };
                out.insert(module, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut out);
    out
}

/// The code of a file without comments and without its `#[cfg(test)]` module (which closes
/// the file where there is one).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The modules `module` names: by `crate::a::b…`, by `super::…`, and, in a parent module, by
/// a child's own name.
fn arrows(module: &str, code: &str, all: &BTreeSet<String>) -> BTreeSet<String> {
    let parent = match module.rsplit_once("::") {
        Some((p, _)) => p.to_string(),
        None => String::new(),
    };
    let resolve = |path: &str| -> String {
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| all.contains(m)).unwrap_or_else(|| "lib".into())
    };
    let mut out = BTreeSet::new();
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for (anchor, base) in [("crate::", String::new()), ("super::", parent)] {
        for (at, _) in code.match_indices(anchor) {
            if at > 0 && code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at + anchor.len()..];
            let path: String = rest.chars().take_while(|&c| ident(c)).collect();
            let join = |p: &str| if base.is_empty() { p.to_string() } else { format!("{base}::{p}") };
            if let Some(group) = rest[path.len()..].strip_prefix('{') {
                // `use crate::{a, b::C};`: each name of the group.
                for item in group.split('}').next().unwrap_or_default().split(',') {
                    let item: String = item.trim().chars().take_while(|&c| ident(c)).collect();
                    out.insert(resolve(&join(&format!("{path}{item}"))));
                }
            } else {
                out.insert(resolve(&join(&path)));
            }
        }
    }
    // A child module named by its own name: `pub use events::{…}` in `consent/mod.rs`,
    // `files::data_dir(…)` in `lib.rs`.
    let me = if module == "lib" { String::new() } else { format!("{module}::") };
    for child in all.iter().filter_map(|m| m.strip_prefix(me.as_str())).filter(|c| !c.contains("::")) {
        for (at, _) in code.match_indices(&format!("{child}::")) {
            if !code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.insert(format!("{me}{child}"));
            }
        }
    }
    out.remove(module);
    out
}

#[test]
fn no_source_file_of_the_store_is_longer_than_800_lines() {
    let long: Vec<String> = modules()
        .values()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}")).lines().count();
            (n > MAX_LINES).then(|| format!("{} has {n} lines", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "a file over {MAX_LINES} lines is usually several jobs waiting to be named:\n{}", long.join("\n"));
}

#[test]
fn the_store_modules_import_each_other_in_one_direction() {
    let mods = modules();
    let all: BTreeSet<String> = mods.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = mods.iter().map(|(m, p)| (m.clone(), arrows(m, &code(p), &all))).collect();
    // Depth-first search for a back edge; the path to it is the circle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(k) = path.iter().position(|p| p == m) {
            let mut circle = path[k..].to_vec();
            circle.push(m.to_string());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("the store's modules import each other in a circle: {}", circle.join(" → "));
        }
    }
    // The check sees what it should: the store uses the audit trail, the outbox its crypto.
    assert!(graph["store"].contains("audit"), "{:?}", graph["store"]);
    assert!(graph["outbox"].contains("crypto"), "{:?}", graph["outbox"]);
    assert!(graph["consent::audiences"].contains("consent::events"), "{:?}", graph["consent::audiences"]);
}
