//! Normalisation for search keys: what blind indexes are computed over.

/// Lower-case, German umlauts spelled out (ä→ae, ß→ss), other accents dropped, and
/// whitespace collapsed: "Jürgen  Müller" and "juergen mueller" fold alike.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&deunicode::deunicode_char(c).unwrap_or("").to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lengths of name prefixes that get a blind index. Short on purpose: longer prefixes
/// would leak more about how common a name is; the search narrows the rest after decryption.
pub const NAME_PREFIX_LENGTHS: [usize; 2] = [2, 4];

/// The words of a name, folded, each as a search term.
pub fn name_words(name: &str) -> Vec<String> {
    fold(name).split([' ', '-', '\'']).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The prefix keys of one folded word: `(length, prefix)`; a word shorter than a length
/// gets its whole self under that length only when it is exactly that long.
pub fn prefix_keys(word: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = word.chars().collect();
    NAME_PREFIX_LENGTHS.iter().filter(|&&n| chars.len() >= n).map(|&n| (n, chars[..n].iter().collect())).collect()
}

/// The index length to look a query word up under: the longest that the word reaches.
pub fn lookup_length(word: &str) -> Option<usize> {
    let n = word.chars().count();
    NAME_PREFIX_LENGTHS.iter().rev().find(|&&l| n >= l).copied()
}

/// What a search query looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    Email(crate::email::EmailAddress),
    Phone(crate::phone::PhoneNumber),
    Words(Vec<String>),
}

pub fn classify_query(q: &str) -> QueryKind {
    let q = q.trim();
    if q.contains('@') {
        if let Ok(e) = crate::email::EmailAddress::parse(q) {
            return QueryKind::Email(e);
        }
    }
    let digits = q.chars().filter(|c| c.is_ascii_digit()).count();
    if digits >= 5 && q.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c)) {
        if let Ok(p) = crate::phone::PhoneNumber::parse(q) {
            return QueryKind::Phone(p);
        }
    }
    QueryKind::Words(name_words(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_spells_out_umlauts() {
        assert_eq!(fold("  Jürgen   MÜLLER "), "juergen mueller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("François"), "francois");
    }

    #[test]
    fn prefixes_are_short() {
        assert_eq!(prefix_keys("mueller"), vec![(2, "mu".into()), (4, "muel".into())]);
        assert_eq!(prefix_keys("li"), vec![(2, "li".into())]);
        assert_eq!(lookup_length("mue"), Some(2));
        assert_eq!(lookup_length("m"), None);
    }

    #[test]
    fn queries_are_classified() {
        assert!(matches!(classify_query("a@b.de"), QueryKind::Email(_)));
        assert!(matches!(classify_query("+49 30 1234567"), QueryKind::Phone(_)));
        assert_eq!(classify_query("Müller Jürgen"), QueryKind::Words(vec!["mueller".into(), "juergen".into()]));
    }
}
