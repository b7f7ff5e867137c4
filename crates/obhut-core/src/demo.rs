//! Deterministic demo data: realistic German and European contacts, organizations,
//! activities, deals and tickets, each a pure function of a seed and an index.
//!
//! Nothing here belongs to a real person: email addresses use only the reserved domains
//! example.com, example.org and example.net (RFC 2606), and VAT ids carry a wrong check digit
//! on purpose, so none can be a real company's. No random number generator: every value comes
//! from splitmix64 over (seed, stream, index), so the same seed gives the same data everywhere.

use crate::activity::ActivityKind;
use crate::contact::{AddressInput, ContactInput, EmailInput, PhoneInput};
use crate::organization::OrganizationInput;
use crate::search::fold;

/// A source of demo data; `Demo::new(seed).contact(i)` is the same on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Demo {
    seed: u64,
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64 as a stream: small, fast and good enough for names and street numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.0)
    }
    /// 0..n (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    /// lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy + Default>(&mut self, items: &[T]) -> T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or_default()
    }
}

// Streams keep the values of one kind independent of those of another.
const STREAM_CONTACT: u64 = 1;
const STREAM_B2B: u64 = 2;
const STREAM_ORGANIZATION: u64 = 3;
const STREAM_ACTIVITY: u64 = 4;
const STREAM_DEAL: u64 = 5;
const STREAM_TICKET: u64 = 6;

const FEMALE: &[&str] = &[
    "Anna",
    "Maria",
    "Sophie",
    "Laura",
    "Julia",
    "Lea",
    "Lena",
    "Hannah",
    "Emma",
    "Mia",
    "Lina",
    "Clara",
    "Leonie",
    "Katharina",
    "Sarah",
    "Johanna",
    "Charlotte",
    "Marie",
    "Amelie",
    "Paula",
    "Greta",
    "Ida",
    "Frieda",
    "Mathilda",
    "Jana",
    "Sandra",
    "Sabine",
    "Petra",
    "Claudia",
    "Andrea",
    "Stefanie",
    "Nicole",
    "Susanne",
    "Birgit",
    "Heike",
    "Monika",
    "Ursula",
    "Renate",
    "Gisela",
    "Ingrid",
    "Karin",
    "Brigitte",
    "Christiane",
    "Kerstin",
    "Anja",
    "Silke",
    "Bärbel",
    "Jördis",
    "Chloé",
    "Camille",
    "Élodie",
    "Giulia",
    "Francesca",
    "Chiara",
    "Lucía",
    "Carmen",
    "Agnieszka",
    "Katarzyna",
    "Zofia",
    "Małgorzata",
    "Eva",
    "Sanne",
    "Femke",
    "Anouk",
    "Astrid",
    "Maja",
    "Zeynep",
    "Elif",
    "Ayşe",
    "Özlem",
    "Dóra",
    "Tereza",
];

const MALE: &[&str] = &[
    "Lukas",
    "Leon",
    "Jonas",
    "Finn",
    "Paul",
    "Felix",
    "Maximilian",
    "Elias",
    "Noah",
    "Ben",
    "Luca",
    "Tim",
    "Jan",
    "Tobias",
    "Florian",
    "Sebastian",
    "Alexander",
    "Daniel",
    "Michael",
    "Thomas",
    "Andreas",
    "Stefan",
    "Markus",
    "Christian",
    "Martin",
    "Frank",
    "Jürgen",
    "Uwe",
    "Klaus",
    "Wolfgang",
    "Dieter",
    "Günter",
    "Horst",
    "Rainer",
    "Bernd",
    "Jörg",
    "Matthias",
    "Philipp",
    "Moritz",
    "Niklas",
    "Jannik",
    "Till",
    "Malte",
    "Björn",
    "Sören",
    "Ole",
    "Henrik",
    "Johannes",
    "Konstantin",
    "Dominik",
    "Mehmet",
    "Emre",
    "Can",
    "Pierre",
    "Julien",
    "Mathieu",
    "Luc",
    "Marco",
    "Giovanni",
    "Alessandro",
    "Javier",
    "Pablo",
    "Piotr",
    "Tomasz",
    "Krzysztof",
    "Jakub",
    "Sven",
    "Lars",
    "Pieter",
    "Daan",
    "Bram",
    "Mikael",
    "Ondřej",
    "Tomáš",
    "Łukasz",
];

const FAMILY: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Schulte",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Gruber",
    "Pichler",
    "Steiner",
    "Moser",
    "Hofer",
    "Leitner",
    "Eder",
    "Wimmer",
    "de Vries",
    "van Dijk",
    "Jansen",
    "Bakker",
    "Visser",
    "Dubois",
    "Moreau",
    "Lefèvre",
    "Laurent",
    "Rossi",
    "Russo",
    "Ferrari",
    "Bianchi",
    "García",
    "Fernández",
    "López",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Öztürk",
    "Şahin",
    "Nielsen",
    "Jensen",
    "Andersson",
    "Svoboda",
    "Novák",
    "Horváth",
    "Papadopoulos",
    "O'Brien",
    "Murphy",
    "Müller-Thurgau",
    "Schulte-Ebbert",
];

/// City, postal codes, country, German area code (`None`: no German landline, a mobile then).
const CITIES: &[(&str, &[&str], &str, Option<&str>)] = &[
    ("Berlin", &["10115", "10178", "10245", "10437", "10585", "10785", "12043", "12163", "13353"], "DE", Some("30")),
    ("Hamburg", &["20095", "20249", "20357", "22083", "22765"], "DE", Some("40")),
    ("München", &["80331", "80469", "80636", "80802", "81369", "81675"], "DE", Some("89")),
    ("Köln", &["50667", "50672", "50733", "50823", "51063"], "DE", Some("221")),
    ("Frankfurt am Main", &["60311", "60316", "60486", "60594"], "DE", Some("69")),
    ("Stuttgart", &["70173", "70176", "70190", "70372"], "DE", Some("711")),
    ("Düsseldorf", &["40210", "40213", "40477", "40545"], "DE", Some("211")),
    ("Leipzig", &["04103", "04109", "04229", "04275"], "DE", Some("341")),
    ("Dresden", &["01067", "01069", "01099", "01277"], "DE", Some("351")),
    ("Hannover", &["30159", "30161", "30173"], "DE", Some("511")),
    ("Nürnberg", &["90402", "90403", "90419", "90429"], "DE", Some("911")),
    ("Bremen", &["28195", "28203", "28211"], "DE", Some("421")),
    ("Essen", &["45127", "45130", "45138"], "DE", Some("201")),
    ("Dortmund", &["44135", "44137", "44139"], "DE", Some("231")),
    ("Münster", &["48143", "48145", "48149"], "DE", Some("251")),
    ("Freiburg im Breisgau", &["79098", "79100", "79102"], "DE", Some("761")),
    ("Heidelberg", &["69115", "69117", "69120"], "DE", Some("6221")),
    ("Augsburg", &["86150", "86152", "86159"], "DE", Some("821")),
    ("Regensburg", &["93047", "93049", "93053"], "DE", Some("941")),
    ("Kiel", &["24103", "24105", "24114"], "DE", Some("431")),
    ("Lübeck", &["23552", "23554", "23564"], "DE", Some("451")),
    ("Rostock", &["18055", "18057", "18069"], "DE", Some("381")),
    ("Erfurt", &["99084", "99085", "99096"], "DE", Some("361")),
    ("Mainz", &["55116", "55118", "55122"], "DE", Some("6131")),
    ("Wiesbaden", &["65183", "65185", "65187"], "DE", Some("611")),
    ("Bonn", &["53111", "53113", "53115"], "DE", Some("228")),
    ("Karlsruhe", &["76133", "76135", "76137"], "DE", Some("721")),
    ("Mannheim", &["68159", "68161", "68165"], "DE", Some("621")),
    ("Bielefeld", &["33602", "33604", "33615"], "DE", Some("521")),
    ("Potsdam", &["14467", "14469", "14482"], "DE", Some("331")),
    ("Würzburg", &["97070", "97072", "97082"], "DE", Some("931")),
    ("Aachen", &["52062", "52064", "52066"], "DE", Some("241")),
    ("Ulm", &["89073", "89075", "89077"], "DE", Some("731")),
    ("Wien", &["1010", "1030", "1070", "1090", "1180"], "AT", None),
    ("Graz", &["8010", "8020"], "AT", None),
    ("Linz", &["4020"], "AT", None),
    ("Salzburg", &["5020"], "AT", None),
    ("Innsbruck", &["6020"], "AT", None),
];

const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Schillerstraße",
    "Goethestraße",
    "Gartenstraße",
    "Lindenstraße",
    "Schulstraße",
    "Bergstraße",
    "Kirchstraße",
    "Am Markt",
    "Friedrichstraße",
    "Mozartstraße",
    "Beethovenstraße",
    "Rosenweg",
    "Birkenweg",
    "Mühlenweg",
    "Wiesenweg",
    "Ahornweg",
    "Parkstraße",
    "Ringstraße",
    "Waldstraße",
    "Feldstraße",
    "Marktplatz",
    "Uhlandstraße",
    "Kantstraße",
    "Wilhelmstraße",
    "Luisenstraße",
    "Blumenstraße",
    "Eichendorffstraße",
    "Sonnenallee",
    "Königsallee",
    "Leopoldstraße",
    "Lessingstraße",
    "Herderstraße",
    "Talstraße",
    "Fichtenweg",
    "Am Hang",
    "Im Winkel",
    "Kastanienallee",
    "Herrengasse",
    "Mariahilfer Straße",
    "Getreidegasse",
    "Annenstraße",
    "Hafenstraße",
    "Industriestraße",
    "Gewerbepark Süd",
];

/// Mobile prefixes and the length of their subscriber numbers.
const MOBILE: &[(&str, usize)] =
    &[("151", 8), ("152", 8), ("157", 8), ("160", 7), ("162", 7), ("170", 7), ("171", 7), ("172", 7), ("175", 7), ("176", 8)];

const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

const TAGS: &[&str] =
    &["newsletter", "vip", "stammkunde", "interessent", "messe-2025", "empfehlung", "webinar", "kundenbeirat", "reaktivieren"];

const JOBS: &[&str] = &[
    "Geschäftsführung",
    "Leitung Einkauf",
    "Einkauf",
    "Vertrieb",
    "Vertriebsleitung",
    "Buchhaltung",
    "IT-Leitung",
    "Assistenz der Geschäftsführung",
    "Projektleitung",
    "Marketing",
    "Personalabteilung",
    "Qualitätsmanagement",
    "Technischer Einkauf",
    "Office Management",
    "Produktionsleitung",
    "Logistik",
];

const CONTACT_NOTES: &[&str] = &[
    "Bevorzugt Kontakt per E-Mail.",
    "Nur vormittags telefonisch erreichbar.",
    "Kam über eine Empfehlung eines Bestandskunden.",
    "Interesse an einem Wartungsvertrag, Angebot im Herbst.",
    "Hat auf der Messe den Katalog mitgenommen.",
    "Bitte nicht vor 10 Uhr anrufen.",
    "Spricht auch Englisch; Unterlagen gern zweisprachig.",
];

/// Industry and the word a company name of that industry carries.
const INDUSTRIES: &[(&str, &str)] = &[
    ("Maschinenbau", "Maschinenbau"),
    ("Steuerberatung", "Steuerberatung"),
    ("Softwareentwicklung", "Software"),
    ("Großhandel", "Handel"),
    ("Logistik", "Logistik"),
    ("Gastronomie", "Gastro-Service"),
    ("Bauwesen", "Bau"),
    ("Gesundheitswesen", "Medizintechnik"),
    ("Elektrotechnik", "Elektrotechnik"),
    ("Immobilien", "Immobilien"),
    ("Rechtsberatung", "Rechtsanwälte"),
    ("Druck und Medien", "Druckerei"),
    ("Lebensmittel", "Feinkost"),
    ("Automobilzulieferer", "Fahrzeugteile"),
    ("Energie", "Solartechnik"),
    ("Metallverarbeitung", "Metallbau"),
];

const LEGAL_FORMS: &[&str] = &["GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "OHG"];

const ORG_TAGS: &[&str] = &["kunde", "lieferant", "partner", "interessent", "rahmenvertrag"];

const PRODUCTS: &[&str] = &[
    "CNC-Fräse FX-200",
    "Lagerregalsystem",
    "Softwarelizenzen",
    "Druckluftkompressor",
    "Etikettendrucker",
    "Serverwartung",
    "Förderband",
    "Hydraulikpresse",
    "Messgeräte",
    "Schulungspaket",
    "Cloud-Speicher",
    "Arbeitsschutzkleidung",
];

const TOPICS: &[&str] = &[
    "Digitalisierung Einkauf",
    "Prozessoptimierung Lager",
    "Datenschutz-Audit",
    "ERP-Einführung",
    "Energieberatung",
    "Umstellung auf E-Rechnung",
];

const WEEKDAYS: &[&str] = &["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"];

const MONTHS: &[&str] =
    &["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];

type Texts = &'static [(&'static str, &'static str)];

const CALLS: Texts = &[
    ("Rückruf wegen Angebot A-{n}", "Fragen zu Position 3 des Angebots. Rückruf bis {weekday} zugesagt."),
    ("Telefonat zum Liefertermin", "Liefertermin für KW {week} bestätigt. Avis einen Tag vorher gewünscht."),
    ("Erstgespräch", "Interesse an {product}. Unterlagen per E-Mail versprochen, Nachfassen in zwei Wochen."),
    ("Nicht erreicht", "Nur die Mailbox. Neuer Versuch am {weekday}."),
    ("Telefonat Preisanfrage", "Bittet um Staffelpreise ab {qty} Stück für {product}."),
];

const EMAILS: Texts = &[
    ("Angebot A-{n} versendet", "Angebot über {amount} € netto inklusive Installation versendet, gültig 30 Tage."),
    ("Rückfrage zur Rechnung R-{n}", "Bittet um Aufschlüsselung der Reisekosten. Kopie an die Buchhaltung."),
    ("Unterlagen {product}", "Produktblatt und Preisliste {year} als PDF geschickt."),
    ("Terminbestätigung", "Termin am {weekday} um {hour}:00 Uhr bestätigt."),
];

const MEETINGS: Texts = &[
    ("Termin vor Ort", "Besichtigung beim Kunden, Anforderungen aufgenommen: {product}, etwa {qty} Stück."),
    ("Jahresgespräch {year}", "Rückblick und Planung: Volumen soll um {pct} % steigen. Rahmenvertrag prüfen."),
    ("Videokonferenz Projektstart", "Kick-off mit Einkauf und IT. Nächster Termin in zwei Wochen."),
    ("Messegespräch", "Gespräch am Stand über {topic}. Folgetermin im {month} vereinbart."),
];

const NOTES: Texts = &[
    ("Ansprechpartner wechselt", "Zuständigkeit wechselt zum {month}; Nachfolge noch offen."),
    ("Zahlungsziel", "Zahlungsziel auf 30 Tage netto vereinbart."),
    ("Wettbewerb", "Kunde vergleicht mit einem Mitbewerber, Preis ist das Hauptkriterium."),
    ("Budget", "Budget für {topic} ist erst im {month} freigegeben."),
];

const ORDERS: Texts = &[
    ("Auftrag B-{n} erhalten", "Bestellung über {qty} × {product}, Gesamtwert {amount} € netto."),
    ("Nachbestellung", "Nachbestellung gemäß Rahmenvertrag, Lieferung in KW {week}."),
];

const COMPLAINTS: Texts = &[
    ("Reklamation Lieferung L-{n}", "Ware beschädigt angekommen, Fotos liegen vor. Ersatzlieferung veranlasst."),
    ("Beschwerde über Wartezeiten", "Lange Wartezeit an der Hotline beklagt. Rückruf durch die Teamleitung zugesagt."),
    ("Falsche Menge geliefert", "Statt {qty} nur die Hälfte geliefert; Rest folgt in KW {week}."),
];

const DEALS: &[&str] = &[
    "{qty} × {product}",
    "Wartungsvertrag {year}",
    "Rahmenvertrag {product}",
    "Erweiterung {product}",
    "Beratungsprojekt {topic}",
    "Messestand {city} {year}",
    "Jahreslizenz {product}",
    "Pilotprojekt {topic}",
];

const TICKET_COMPLAINTS: Texts = &[
    ("Lieferung beschädigt", "Die Lieferung L-{n} kam mit beschädigter Verpackung an; zwei Teile sind verbogen."),
    ("Falsche Ware geliefert", "Statt Artikel {n} wurde ein anderes Modell geliefert. Bitte um Abholung und Ersatz."),
    ("Rechnung doppelt abgebucht", "Die Rechnung R-{n} wurde zweimal abgebucht. Bitte um Erstattung."),
    ("Gerät nach Reparatur wieder defekt", "{product} zeigt seit {weekday} wieder denselben Fehler wie vor der Reparatur."),
    ("Zugesagter Rückruf blieb aus", "Der für {weekday} zugesagte Rückruf ist nicht erfolgt."),
];

const TICKET_SERVICE: Texts = &[
    ("Passwort zurücksetzen", "Zugang zum Kundenportal nach mehreren Fehlversuchen gesperrt."),
    ("Adressänderung", "Neue Lieferadresse ab {month} übernehmen."),
    ("Frage zur Rechnung R-{n}", "Bitte um Erläuterung der Position Versandkosten."),
    ("Ersatzteil anfragen", "Benötigt einen Dichtungssatz für {product}."),
    ("Wartungstermin vereinbaren", "Jährliche Wartung fällig, Terminvorschlag KW {week}."),
    ("Bedienungsanleitung gesucht", "Anleitung für {product} als PDF erbeten."),
];

/// Letters and digits of a name in ASCII: "Jörg Müller-Thurgau" is "joergmuellerthurgau".
fn slug(s: &str) -> String {
    fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// ISO 7064 MOD 11,10, the check digit of a German VAT id over its first eight digits.
fn vat_check_digit(digits: &[u8]) -> u8 {
    let mut product = 10u8;
    for d in digits {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = 11 - product;
    if check == 10 {
        0
    } else {
        check
    }
}

impl Demo {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn rng(&self, stream: u64, i: u64) -> Rng {
        Rng(splitmix64(splitmix64(self.seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)) ^ i))
    }

    /// Fills `{n}`, `{qty}`, `{product}`… in a template.
    fn fill(r: &mut Rng, template: &str) -> String {
        let mut s = template.to_string();
        let values: [(&str, String); 12] = [
            ("{n}", r.range(10_000, 99_999).to_string()),
            ("{qty}", r.range(2, 250).to_string()),
            ("{amount}", format!("{}.{:03}", r.range(1, 240), r.below(1000))),
            ("{pct}", r.range(3, 25).to_string()),
            ("{week}", r.range(2, 51).to_string()),
            ("{year}", r.range(2024, 2027).to_string()),
            ("{hour}", r.range(8, 17).to_string()),
            ("{weekday}", r.pick(WEEKDAYS).to_string()),
            ("{month}", r.pick(MONTHS).to_string()),
            ("{product}", r.pick(PRODUCTS).to_string()),
            ("{topic}", r.pick(TOPICS).to_string()),
            ("{city}", r.pick(CITIES).0.to_string()),
        ];
        for (k, v) in values {
            s = s.replace(k, &v);
        }
        s
    }

    /// A German landline in the city's area code, or a mobile number. The subscriber number
    /// is a bijection of `unique` (below 8 million), so no two contacts share a number.
    fn phone(r: &mut Rng, area: Option<&str>, unique: u64) -> String {
        let international = r.chance(40);
        let (prefix, len) = match area.filter(|c| c.len() <= 3 && r.chance(65)) {
            Some(code) => (code, if code.len() == 2 { 8 } else { 7 }),
            None => r.pick(MOBILE),
        };
        // First digit 2-9 (a national number never starts with 0 or 1), then len-1 digits.
        let rest = 10u64.pow(len as u32 - 1);
        let v = (unique.wrapping_mul(7_654_321).wrapping_add(1_234_567)) % (8 * rest);
        let number = format!("{}{:0width$}", 2 + v / rest, v % rest, width = len - 1);
        if international {
            format!("+49 {prefix} {number}")
        } else {
            format!("0{prefix} {number}")
        }
    }

    fn address(r: &mut Rng) -> (AddressInput, Option<&'static str>) {
        let (city, codes, country, area) = r.pick(CITIES);
        let mut number = r.range(1, 120).to_string();
        if r.chance(10) {
            number.push(char::from(b'a' + r.below(3) as u8));
        }
        let a = AddressInput {
            label: None,
            street: Some(format!("{} {number}", r.pick(STREETS))),
            postal_code: Some(r.pick(codes).to_string()),
            city: Some(city.to_string()),
            country: Some(country.to_string()),
            purposes: None,
        };
        (a, area)
    }

    /// Contact number `i`. `kind` and `organization_id` are left to the caller: a contact for
    /// which [`Demo::contact_is_b2b`] holds belongs to an organization (and has a job title).
    pub fn contact(&self, i: u64) -> ContactInput {
        let mut r = self.rng(STREAM_CONTACT, i);
        let female = r.chance(50);
        let given = if female { r.pick(FEMALE) } else { r.pick(MALE) };
        let family = r.pick(FAMILY);
        let language = match r.below(100) {
            0..=84 => "de",
            85..=91 => "en",
            92..=95 => "fr",
            _ => "nl",
        };
        let salutation = match (language, female) {
            ("en", true) => "Ms.",
            ("en", false) => "Mr.",
            ("fr", true) => "Madame",
            ("fr", false) => "Monsieur",
            ("nl", true) => "Mevrouw",
            ("nl", false) => "De heer",
            (_, true) => "Frau",
            (_, false) => "Herr",
        };
        let title = match r.below(100) {
            0..=6 => Some("Dr."),
            7 => Some("Prof. Dr."),
            _ => None,
        };
        let (g, f) = (slug(given), slug(family));
        // The index ends every local part (after a letter), so no two contacts share an address.
        let local = match r.below(4) {
            0 => format!("{g}.{f}{i}"),
            1 => format!("{}.{f}{i}", g.chars().next().unwrap_or('x')),
            2 => format!("{f}.{g}{i}"),
            _ => format!("{g}_{f}{i}"),
        };
        let email = format!("{local}@{}", r.pick(DOMAINS));
        let (address, area) = Self::address(&mut r);
        let phone = Self::phone(&mut r, area, i);
        let birthday = r.chance(55).then(|| format!("{}-{:02}-{:02}", r.range(1945, 2004), r.range(1, 12), r.range(1, 28)));
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..r.below(3) {
            let t = r.pick(TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let notes = r.chance(20).then(|| r.pick(CONTACT_NOTES).to_string());
        let job_title = self.contact_is_b2b(i).then(|| r.pick(JOBS).to_string());
        ContactInput {
            salutation: r.chance(95).then(|| salutation.to_string()),
            title: title.map(str::to_string),
            given_name: Some(given.to_string()),
            family_name: Some(family.to_string()),
            emails: Some(vec![EmailInput { address: email, label: None, purposes: None }]),
            phones: Some(vec![PhoneInput { number: phone, label: None, purposes: None }]),
            addresses: Some(vec![address]),
            job_title,
            birthday,
            language: Some(language.to_string()),
            tags: Some(tags),
            notes,
            ..Default::default()
        }
    }

    /// Whether contact `i` is the contact person of an organization (about 30 %).
    pub fn contact_is_b2b(&self, i: u64) -> bool {
        self.rng(STREAM_B2B, i).chance(30)
    }

    /// Organization number `i`, such as "Müller Maschinenbau GmbH".
    pub fn organization(&self, i: u64) -> OrganizationInput {
        let mut r = self.rng(STREAM_ORGANIZATION, i);
        let (industry, word) = r.pick(INDUSTRIES);
        let (f1, f2) = (r.pick(FAMILY), r.pick(FAMILY));
        let legal = r.pick(LEGAL_FORMS);
        let (address, area) = Self::address(&mut r);
        let city = address.city.clone().unwrap_or_default();
        let name = match r.below(5) {
            0 | 1 => format!("{f1} {word} {legal}"),
            2 => format!("{f1} & Partner {word}"),
            3 if f1 != f2 => format!("{f1} & {f2} {legal}"),
            _ => format!("{word} {city} {legal}"),
        };
        let base = slug(name.split(" GmbH").next().unwrap_or(&name));
        let base: String = base.chars().take(30).collect();
        let mut vat: Vec<u8> = vec![r.range(1, 3) as u8];
        vat.extend((0..7).map(|_| r.below(10) as u8));
        // The wrong check digit, on purpose: a demo VAT id must never be a real company's.
        vat.push((vat_check_digit(&vat) + 1 + r.below(9) as u8) % 10);
        let mut tags: Vec<String> = vec![r.pick(ORG_TAGS).to_string()];
        if r.chance(30) {
            let t = r.pick(ORG_TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        OrganizationInput {
            name: Some(name),
            website: Some(format!("https://{base}.example.com")),
            industry: Some(industry.to_string()),
            vat_id: Some(format!("DE{}", vat.iter().map(|d| char::from(b'0' + d)).collect::<String>())),
            email: Some(format!("info.{base}{i}@{}", r.pick(DOMAINS))),
            phone: Some(Self::phone(&mut r, area, 7_999_999 - i % 4_000_000)),
            street: address.street,
            postal_code: address.postal_code,
            city: address.city,
            country: address.country,
            tags: Some(tags),
            notes: r.chance(15).then(|| "Rahmenvertrag läuft bis Jahresende.".to_string()),
            ..Default::default()
        }
    }

    /// Activity number `i`: its kind, subject and body, as a sales team would log them.
    pub fn activity(&self, i: u64) -> (ActivityKind, String, String) {
        let mut r = self.rng(STREAM_ACTIVITY, i);
        let (kind, texts) = match r.below(100) {
            0..=29 => (ActivityKind::Call, CALLS),
            30..=54 => (ActivityKind::Email, EMAILS),
            55..=69 => (ActivityKind::Meeting, MEETINGS),
            70..=84 => (ActivityKind::Note, NOTES),
            85..=94 => (ActivityKind::Order, ORDERS),
            _ => (ActivityKind::Complaint, COMPLAINTS),
        };
        let (subject, body) = r.pick(texts);
        (kind, Self::fill(&mut r, subject), Self::fill(&mut r, body))
    }

    /// Title of deal number `i`, such as "Wartungsvertrag 2026".
    pub fn deal_title(&self, i: u64) -> String {
        let mut r = self.rng(STREAM_DEAL, i);
        let t = r.pick(DEALS);
        Self::fill(&mut r, t)
    }

    /// Ticket number `i`: title, description and whether it is a complaint (about a quarter).
    pub fn ticket(&self, i: u64) -> (String, String, bool) {
        let mut r = self.rng(STREAM_TICKET, i);
        let complaint = r.chance(25);
        let (title, description) = r.pick(if complaint { TICKET_COMPLAINTS } else { TICKET_SERVICE });
        (Self::fill(&mut r, title), Self::fill(&mut r, description), complaint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::EmailAddress;
    use std::collections::HashSet;

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
        let (a, b, c) = (Demo::new(7), Demo::new(7), Demo::new(8));
        for i in [0, 1, 99, 12_345] {
            assert_eq!(a.contact(i), b.contact(i));
            assert_eq!(a.organization(i), b.organization(i));
            assert_eq!(a.activity(i), b.activity(i));
            assert_eq!(a.deal_title(i), b.deal_title(i));
            assert_eq!(a.ticket(i), b.ticket(i));
            assert_eq!(a.contact_is_b2b(i), b.contact_is_b2b(i));
        }
        assert!((0..20).any(|i| a.contact(i) != c.contact(i)));
    }

    #[test]
    fn ten_thousand_contacts_validate_and_have_unique_reserved_emails_and_phones() {
        let demo = Demo::new(42);
        let mut emails = HashSet::new();
        let mut phones = HashSet::new();
        let mut b2b = 0;
        for i in 0..10_000 {
            let c = demo.contact(i);
            let d = c.validate().unwrap_or_else(|e| unreachable!("contact {i}: {e}"));
            let email = d.personal.primary_email().map(EmailAddress::normalized).unwrap_or_default();
            let domain = email.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
            assert!(DOMAINS.contains(&domain.as_str()), "{email}");
            assert!(emails.insert(email), "duplicate email for contact {i}");
            let phone = d.personal.primary_phone().map(|p| p.to_string()).unwrap_or_default();
            assert!(phones.insert(phone), "duplicate phone for contact {i}");
            b2b += usize::from(demo.contact_is_b2b(i));
        }
        assert!((2_500..3_500).contains(&b2b), "{b2b} of 10000 are B2B");
    }

    #[test]
    fn organizations_validate_with_a_vat_id_that_fails_its_check_digit() {
        let demo = Demo::new(42);
        for i in 0..2_000 {
            let d = demo.organization(i).validate().unwrap_or_else(|e| unreachable!("organization {i}: {e}"));
            let vat = d.vat_id.unwrap_or_default();
            let digits: Vec<u8> = vat.bytes().skip(2).map(|b| b - b'0').collect();
            assert_eq!(digits.len(), 9);
            assert_ne!(digits.get(8).copied(), Some(vat_check_digit(&digits[..8])), "{vat}");
        }
        // DE136695976 is valid: the check digit itself is right.
        assert_eq!(vat_check_digit(&[1, 3, 6, 6, 9, 5, 9, 7]), 6);
    }

    #[test]
    fn texts_are_filled_in() {
        let demo = Demo::new(1);
        for i in 0..500 {
            let (_, subject, body) = demo.activity(i);
            let (title, description, _) = demo.ticket(i);
            for s in [subject, body, title, description, demo.deal_title(i)] {
                assert!(!s.contains('{') && !s.is_empty(), "{s}");
            }
        }
        assert!((0..200).any(|i| demo.ticket(i).2) && (0..200).any(|i| !demo.ticket(i).2));
        assert!((0..200).any(|i| demo.activity(i).0 == ActivityKind::Complaint));
    }
}
