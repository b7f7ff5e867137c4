//! Content lines and their properties: folded lines joined, `[group.]NAME;PARAM=a,b:value`
//! split, and the value decoded from quoted-printable and its charset.

use super::escape::{caret_decode, decode_quoted_printable, split_unescaped, unescape};

/// Content lines with their first physical line number: folded lines (a line break followed
/// by a space or tab) joined, and quoted-printable soft line breaks (`=` at the end) too.
pub(super) fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let text = if text.contains('\n') { std::borrow::Cow::Borrowed(text) } else { std::borrow::Cow::Owned(text.replace('\r', "\n")) };
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let folded = raw.starts_with([' ', '\t']) && !out.is_empty();
        if soft_break || folded {
            if let Some((_, cur)) = out.last_mut() {
                cur.push_str(if soft_break { raw } else { raw.get(1..).unwrap_or("") });
            }
        } else if raw.trim().is_empty() {
            continue;
        } else {
            out.push((i + 1, raw.to_string()));
        }
        soft_break = false;
        if let Some((_, cur)) = out.last_mut() {
            if cur.ends_with('=') && is_quoted_printable(cur) {
                cur.pop();
                soft_break = true;
            }
        }
    }
    out
}

fn is_quoted_printable(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or("");
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParamValue {
    pub(super) text: String,
    pub(super) quoted: bool,
}

/// One content line: `[group.]NAME;PARAM=a,b;PARAM:value`, the value still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Prop {
    pub(super) group: Option<String>,
    pub(super) name: String,
    pub(super) params: Vec<(String, Vec<ParamValue>)>,
    pub(super) value: String,
}

impl Prop {
    pub(super) fn parse(line: &str) -> Option<Prop> {
        let name_end = line.find([';', ':'])?;
        let (group, name) = match line[..name_end].rsplit_once('.') {
            Some((g, n)) => (Some(g.trim().to_ascii_uppercase()), n),
            None => (None, &line[..name_end]),
        };
        let name = name.trim().to_ascii_uppercase();
        if name.is_empty() {
            return None;
        }
        let rest = &line[name_end..];
        let mut in_quotes = false;
        let colon = rest.char_indices().find_map(|(i, c)| {
            match c {
                '"' => in_quotes = !in_quotes,
                ':' if !in_quotes => return Some(i),
                _ => {}
            }
            None
        })?;
        let params = split_outside_quotes(&rest[..colon], ';').into_iter().filter(|p| !p.trim().is_empty()).map(parse_param).collect();
        Some(Prop { group, name, params, value: rest[colon + 1..].to_string() })
    }

    pub(super) fn param<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a ParamValue> + 'a {
        self.params.iter().filter(move |(k, _)| k == key).flat_map(|(_, v)| v)
    }

    fn has_param_value(&self, key: &str, value: &str) -> bool {
        self.param(key).any(|v| v.text.eq_ignore_ascii_case(value))
    }

    /// How preferred the value is: `PREF=1` (or a 2.1/3.0 `TYPE=pref`) first, none last.
    pub(super) fn pref(&self) -> u32 {
        match self.param("PREF").find_map(|v| v.text.trim().parse::<u32>().ok()) {
            Some(n) => n,
            None if self.has_param_value("TYPE", "pref") => 1,
            None => u32::MAX,
        }
    }

    /// The value decoded (quoted-printable and charset) but not yet unescaped; line breaks as `\n`.
    pub(super) fn decoded(&self) -> String {
        let text = if self.has_param_value("ENCODING", "QUOTED-PRINTABLE") {
            let bytes = decode_quoted_printable(&self.value);
            let charset = self.param("CHARSET").next().and_then(|c| encoding_rs::Encoding::for_label(c.text.trim().as_bytes()));
            match (charset, String::from_utf8(bytes)) {
                (None, Ok(s)) => s,
                (Some(enc), Ok(s)) if enc == encoding_rs::UTF_8 => s,
                (Some(enc), Err(e)) => enc.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
                (Some(enc), Ok(s)) => enc.decode_without_bom_handling(s.as_bytes()).0.into_owned(),
                (None, Err(e)) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
            }
        } else if self.has_param_value("ENCODING", "BASE64") || self.has_param_value("ENCODING", "B") {
            String::new()
        } else {
            self.value.clone()
        };
        text.replace("\r\n", "\n").replace('\r', "\n")
    }

    /// A single text value, unescaped and trimmed.
    pub(super) fn text(&self) -> String {
        unescape(&self.decoded()).trim().to_string()
    }

    /// The `;`-separated components of a structured value (N, ADR, ORG), unescaped and trimmed.
    pub(super) fn components(&self) -> Vec<String> {
        split_unescaped(&self.decoded(), ';').iter().map(|c| unescape(c).trim().to_string()).collect()
    }

    pub(super) fn component(&self, i: usize) -> String {
        self.components().get(i).cloned().unwrap_or_default()
    }
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// `TYPE=work,voice`, `TYPE="a label"` or a bare vCard 2.1 parameter such as `WORK` or
/// `QUOTED-PRINTABLE`.
fn parse_param(p: &str) -> (String, Vec<ParamValue>) {
    let p = p.trim();
    let value = |v: &str| {
        let v = v.trim();
        match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => ParamValue { text: caret_decode(inner), quoted: true },
            None => ParamValue { text: caret_decode(v), quoted: false },
        }
    };
    match p.split_once('=') {
        Some((k, v)) => (k.trim().to_ascii_uppercase(), split_outside_quotes(v, ',').into_iter().map(value).collect()),
        None => {
            let upper = p.to_ascii_uppercase();
            let key = match upper.as_str() {
                "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" => "ENCODING",
                _ => "TYPE",
            };
            (key.to_string(), vec![value(p)])
        }
    }
}
