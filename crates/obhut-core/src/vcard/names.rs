//! Names on a card: salutation and academic title told apart, a formatted name (FN) split
//! when the structured one (N) is missing, and texts tidied to one line.

use crate::search::fold;

/// "Dr.", "Prof.", "Dipl.-Ing.", "Mag.", "M.Sc.": an academic title rather than a salutation.
pub(super) fn is_academic(word: &str) -> bool {
    let k: String = fold(word).chars().filter(char::is_ascii_alphanumeric).collect();
    ["dr", "prof", "dipl", "mag"].iter().any(|p| k.starts_with(p))
        || matches!(k.as_str(), "ing" | "phd" | "mba" | "msc" | "bsc" | "ma" | "ba" | "llm" | "meng" | "beng" | "med" | "jur" | "hc")
}

fn is_salutation(word: &str) -> bool {
    let k: String = fold(word).chars().filter(char::is_ascii_alphanumeric).collect();
    matches!(
        k.as_str(),
        "herr" | "frau" | "mr" | "mrs" | "ms" | "mx" | "miss" | "madame" | "monsieur" | "mme" | "mevrouw" | "heer" | "divers"
    )
}

/// Splits name prefixes into salutation and academic title: "Herr Dr. med." is salutation
/// "Herr" and title "Dr. med.".
pub(super) fn split_prefixes(values: &[String], salutation: &mut Vec<String>, title: &mut Vec<String>) {
    for v in values {
        let words: Vec<&str> = v.split_whitespace().collect();
        let k = words.iter().position(|w| is_academic(w)).unwrap_or(words.len());
        if k > 0 {
            salutation.push(words[..k].join(" "));
        }
        if k < words.len() {
            title.push(words[k..].join(" "));
        }
    }
}

pub(super) fn joined(parts: Vec<String>) -> Option<String> {
    let s = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// Line breaks have no place in a name, street or job title.
pub(super) fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ")
}

pub(super) fn nonempty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

#[derive(Default)]
pub(super) struct Names {
    pub(super) salutation: Vec<String>,
    pub(super) title: Vec<String>,
    pub(super) given: Vec<String>,
    pub(super) family: Vec<String>,
}

/// A formatted name (FN) when N is missing: "Dr. Erika Maria Mustermann" or "Mustermann, Erika".
pub(super) fn names_from_full(full: &str) -> Names {
    let mut n = Names::default();
    let full = one_line(full);
    if let Some((family, given)) = full.split_once(',') {
        n.family.push(family.trim().to_string());
        let words: Vec<&str> = given.split_whitespace().collect();
        let k = words.iter().position(|w| !is_salutation(w) && !is_academic(w)).unwrap_or(words.len());
        for w in &words[..k] {
            if is_academic(w) { &mut n.title } else { &mut n.salutation }.push((*w).to_string());
        }
        n.given.push(words[k..].join(" "));
        return n;
    }
    let mut words: Vec<&str> = full.split_whitespace().collect();
    while let Some(w) = words.first().copied().filter(|w| words.len() > 1 && (is_salutation(w) || is_academic(w))) {
        if is_academic(w) { &mut n.title } else { &mut n.salutation }.push(w.to_string());
        words.remove(0);
    }
    if let Some(family) = words.pop() {
        n.family.push(family.to_string());
    }
    n.given.push(words.join(" "));
    n
}
