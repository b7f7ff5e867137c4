//! The report as an A4 PDF, written with `pdf-writer`: the standard Type1 fonts Helvetica and
//! Helvetica-Bold (every reader has them, nothing is embedded) in WinAnsiEncoding, so German
//! umlauts and ß print as they are; lines wrapped by the fonts' own glyph widths, pages broken
//! where they are full, each page numbered.

use super::document::{Block, Document, Field};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 56.7;
const RIGHT: f32 = PAGE_W - 56.7;
const TOP: f32 = PAGE_H - 56.7;
/// Text stops here; the footer sits below.
const BOTTOM: f32 = 62.0;
const LABEL_W: f32 = 150.0;
const GAP: f32 = 10.0;
const INDENT: f32 = 12.0;
const BODY: f32 = 9.5;
const LEADING: f32 = 12.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Self::Regular => Name(b"F1"),
            Self::Bold => Name(b"F2"),
        }
    }
    fn widths(self) -> &'static [u16; 224] {
        match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        }
    }
}

/// Advance widths (1/1000 em) of the WinAnsi codes 32–255, from Adobe's metrics of the two fonts.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278,
    278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556,
    556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, 556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667,
    333, 1000, 350, 611, 350, 350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, 278, 333, 556, 556, 556,
    556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722,
    722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556, 556, 556, 556, 556,
    556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333,
    333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611,
    611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, 556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667,
    333, 1000, 350, 611, 350, 350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, 278, 333, 556, 556, 556,
    556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722,
    722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611, 611, 611, 611, 611,
    611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

/// The WinAnsi (Windows-1252) code of a character; characters outside it are transliterated
/// (ł → l), and what has no Latin form becomes `?`.
fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push(b' '),
            c if c.is_control() => {}
            c if (' '..='~').contains(&c) || ('\u{a0}'..='\u{ff}').contains(&c) => out.push(c as u32 as u8),
            c => match cp1252(c) {
                Some(b) => out.push(b),
                None => {
                    let latin = deunicode::deunicode_char(c).unwrap_or("?");
                    out.extend(latin.chars().map(|l| if (' '..='~').contains(&l) { l as u8 } else { b'?' }));
                    if latin.is_empty() {
                        out.push(b'?');
                    }
                }
            },
        }
    }
    out
}

/// The characters Windows-1252 places in 0x80–0x9F.
fn cp1252(c: char) -> Option<u8> {
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

fn width(font: Font, size: f32, text: &[u8]) -> f32 {
    let w = font.widths();
    text.iter().map(|b| f32::from(w[usize::from(b.saturating_sub(32))])).sum::<f32>() * size / 1000.0
}

/// Greedy line breaking at spaces; a word wider than the line is broken where it must be.
/// Line breaks in the text are kept.
fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line: Vec<u8> = Vec::new();
        for word in encode(para).split(|b| *b == b' ').filter(|w| !w.is_empty()) {
            let candidate_w = width(font, size, &line) + width(font, size, b" ") + width(font, size, word);
            if !line.is_empty() && candidate_w <= max {
                line.push(b' ');
                line.extend_from_slice(word);
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for &b in word {
                if !line.is_empty() && width(font, size, &line) + width(font, size, &[b]) > max {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(b);
            }
        }
        lines.push(line);
    }
    lines
}

/// A line of text placed on a page.
struct Run {
    font: Font,
    size: f32,
    x: f32,
    y: f32,
    gray: f32,
    text: Vec<u8>,
}

#[derive(Default)]
struct Page {
    runs: Vec<Run>,
    /// Horizontal rules: x from, x to, y.
    rules: Vec<(f32, f32, f32)>,
}

/// Places lines from the top of the first page down, starting a new page when one is full.
struct Layout {
    pages: Vec<Page>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self { pages: vec![Page::default()], y: TOP }
    }

    fn at_top(&self) -> bool {
        self.y >= TOP
    }

    /// Starts a new page unless `height` still fits on this one.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM && !self.at_top() {
            self.pages.push(Page::default());
            self.y = TOP;
        }
    }

    fn put(&mut self, font: Font, size: f32, x: f32, gray: f32, text: Vec<u8>) {
        let y = self.y - size;
        if let Some(p) = self.pages.last_mut() {
            p.runs.push(Run { font, size, x, y, gray, text });
        }
    }

    /// Wrapped text across the width from `x`.
    fn text(&mut self, text: &str, font: Font, size: f32, x: f32, gray: f32) {
        let leading = size * 1.35;
        for line in wrap(text, font, size, RIGHT - x) {
            self.room(leading);
            self.put(font, size, x, gray, line);
            self.y -= leading;
        }
    }

    /// Label and value side by side, line by line, so a long value may go on over a page break.
    fn fields(&mut self, fields: &[Field], x: f32) {
        let label_w = LABEL_W - (x - LEFT);
        let value_x = x + label_w + GAP;
        for f in fields {
            let labels = wrap(&f.label, Font::Bold, BODY - 0.5, label_w);
            let values = wrap(&f.value, Font::Regular, BODY, RIGHT - value_x);
            for i in 0..labels.len().max(values.len()) {
                self.room(LEADING);
                if let Some(l) = labels.get(i) {
                    self.put(Font::Bold, BODY - 0.5, x, 0.25, l.clone());
                }
                if let Some(v) = values.get(i) {
                    self.put(Font::Regular, BODY, value_x, 0.0, v.clone());
                }
                self.y -= LEADING;
            }
            self.y -= 2.0;
        }
    }

    fn heading(&mut self, text: &str) {
        // A heading never ends a page: it keeps a few lines of its section with it.
        self.room(22.0 + 3.0 * LEADING);
        if !self.at_top() {
            self.y -= 12.0;
        }
        self.text(text, Font::Bold, 13.0, LEFT, 0.0);
        let y = self.y + 2.0;
        if let Some(p) = self.pages.last_mut() {
            p.rules.push((LEFT, RIGHT, y));
        }
        self.y -= 6.0;
    }
}

/// Lays the document out and writes the PDF.
pub fn render(doc: &Document) -> Vec<u8> {
    let mut l = Layout::new();
    l.text(&doc.title, Font::Bold, 17.0, LEFT, 0.0);
    for s in &doc.subtitle {
        l.text(s, Font::Regular, BODY, LEFT, 0.35);
    }
    for section in &doc.sections {
        l.heading(&section.heading);
        for block in &section.blocks {
            match block {
                Block::Text(t) => {
                    l.text(t, Font::Regular, BODY, LEFT, 0.0);
                    l.y -= 4.0;
                }
                Block::Fields(fields) => l.fields(fields, LEFT),
                Block::Entry(e) => {
                    l.room(14.0 + 2.0 * LEADING);
                    l.y -= 2.0;
                    l.text(&e.title, Font::Bold, 10.5, LEFT, 0.0);
                    l.fields(&e.fields, LEFT + INDENT);
                    l.y -= 3.0;
                }
            }
        }
    }
    write(doc, l.pages)
}

fn write(doc: &Document, pages: Vec<Page>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let n = pages.len();
    let page_id = |i: usize| Ref::new(first + 2 * i as i32);
    let content_id = |i: usize| Ref::new(first + 2 * i as i32 + 1);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..n).map(page_id)).count(n as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(&doc.title)).producer(TextStr("Obhut"));
    for (i, page) in pages.into_iter().enumerate() {
        let mut c = Content::new();
        for (x1, x2, y) in &page.rules {
            c.set_stroke_gray(0.6).set_line_width(0.6).move_to(*x1, *y).line_to(*x2, *y).stroke();
        }
        let footer = encode(&doc.footer);
        let number = encode(&doc.page_of.replace("{page}", &(i + 1).to_string()).replace("{pages}", &n.to_string()));
        let runs = page.runs.into_iter().chain([
            Run { font: Font::Regular, size: 8.0, x: LEFT, y: 36.0, gray: 0.4, text: footer },
            Run { font: Font::Regular, size: 8.0, x: RIGHT - width(Font::Regular, 8.0, &number), y: 36.0, gray: 0.4, text: number },
        ]);
        for r in runs {
            c.begin_text();
            c.set_fill_gray(r.gray);
            c.set_font(r.font.name(), r.size);
            c.next_line(r.x, r.y);
            c.show(Str(&r.text));
            c.end_text();
        }
        pdf.stream(content_id(i), &c.finish());
        let mut p = pdf.page(page_id(i));
        p.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(content_id(i));
        let mut resources = p.resources();
        resources.fonts().pair(Font::Regular.name(), regular).pair(Font::Bold.name(), bold);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_eszett_are_winansi_and_the_rest_transliterated() {
        assert_eq!(encode("Müller Straße"), b"M\xfcller Stra\xdfe".to_vec());
        assert_eq!(encode("„Ja“ – 5 €"), b"\x84Ja\x93 \x96 5 \x80".to_vec());
        assert_eq!(encode("Łódź"), b"L\xf3dz".to_vec());
    }

    #[test]
    fn lines_wrap_within_the_width_and_long_words_break() {
        let text = "Datenschutz ist Vertrauenssache und gehört in jede gute Kundenbeziehung";
        let lines = wrap(text, Font::Regular, 10.0, 120.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(Font::Regular, 10.0, l) <= 120.0));
        let long = wrap(&"x".repeat(200), Font::Regular, 10.0, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| width(Font::Regular, 10.0, l) <= 100.0));
        assert_eq!(wrap("a\nb", Font::Regular, 10.0, 100.0).len(), 2);
    }

    #[test]
    fn a_long_document_breaks_into_numbered_pages() {
        let doc = Document {
            lang: "de",
            title: "Auskunft".into(),
            subtitle: vec![],
            sections: vec![super::super::document::Section {
                heading: "Überschrift".into(),
                blocks: (0..200).map(|i| Block::Text(format!("Zeile {i} mit Umlauten äöü und ß"))).collect(),
            }],
            footer: "Fuß".into(),
            page_of: "Seite {page} von {pages}".into(),
            pdf_link_label: String::new(),
        };
        let bytes = render(&doc);
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Type /Page"));
        assert!(bytes.windows(b"Seite 3 von".len()).any(|w| w == b"Seite 3 von"));
        // Text beyond ASCII is written as a hex string: "Fuß" in WinAnsi.
        assert!(text.to_lowercase().contains("<4675df>"));
    }
}
