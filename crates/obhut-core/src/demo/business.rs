//! What the demo organizations are and do: industries, legal forms, products, topics, and
//! the texts of activities, deals and tickets with their `{placeholders}`.

/// Industry and the word a company name of that industry carries.
pub(super) const INDUSTRIES: &[(&str, &str)] = &[
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

pub(super) const LEGAL_FORMS: &[&str] = &["GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "OHG"];

pub(super) const ORG_TAGS: &[&str] = &["kunde", "lieferant", "partner", "interessent", "rahmenvertrag"];

pub(super) const PRODUCTS: &[&str] = &[
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

pub(super) const TOPICS: &[&str] = &[
    "Digitalisierung Einkauf",
    "Prozessoptimierung Lager",
    "Datenschutz-Audit",
    "ERP-Einführung",
    "Energieberatung",
    "Umstellung auf E-Rechnung",
];

pub(super) const WEEKDAYS: &[&str] = &["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"];

pub(super) const MONTHS: &[&str] =
    &["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];

pub(super) type Texts = &'static [(&'static str, &'static str)];

pub(super) const CALLS: Texts = &[
    ("Rückruf wegen Angebot A-{n}", "Fragen zu Position 3 des Angebots. Rückruf bis {weekday} zugesagt."),
    ("Telefonat zum Liefertermin", "Liefertermin für KW {week} bestätigt. Avis einen Tag vorher gewünscht."),
    ("Erstgespräch", "Interesse an {product}. Unterlagen per E-Mail versprochen, Nachfassen in zwei Wochen."),
    ("Nicht erreicht", "Nur die Mailbox. Neuer Versuch am {weekday}."),
    ("Telefonat Preisanfrage", "Bittet um Staffelpreise ab {qty} Stück für {product}."),
];

pub(super) const EMAILS: Texts = &[
    ("Angebot A-{n} versendet", "Angebot über {amount} € netto inklusive Installation versendet, gültig 30 Tage."),
    ("Rückfrage zur Rechnung R-{n}", "Bittet um Aufschlüsselung der Reisekosten. Kopie an die Buchhaltung."),
    ("Unterlagen {product}", "Produktblatt und Preisliste {year} als PDF geschickt."),
    ("Terminbestätigung", "Termin am {weekday} um {hour}:00 Uhr bestätigt."),
];

pub(super) const MEETINGS: Texts = &[
    ("Termin vor Ort", "Besichtigung beim Kunden, Anforderungen aufgenommen: {product}, etwa {qty} Stück."),
    ("Jahresgespräch {year}", "Rückblick und Planung: Volumen soll um {pct} % steigen. Rahmenvertrag prüfen."),
    ("Videokonferenz Projektstart", "Kick-off mit Einkauf und IT. Nächster Termin in zwei Wochen."),
    ("Messegespräch", "Gespräch am Stand über {topic}. Folgetermin im {month} vereinbart."),
];

pub(super) const NOTES: Texts = &[
    ("Ansprechpartner wechselt", "Zuständigkeit wechselt zum {month}; Nachfolge noch offen."),
    ("Zahlungsziel", "Zahlungsziel auf 30 Tage netto vereinbart."),
    ("Wettbewerb", "Kunde vergleicht mit einem Mitbewerber, Preis ist das Hauptkriterium."),
    ("Budget", "Budget für {topic} ist erst im {month} freigegeben."),
];

pub(super) const ORDERS: Texts = &[
    ("Auftrag B-{n} erhalten", "Bestellung über {qty} × {product}, Gesamtwert {amount} € netto."),
    ("Nachbestellung", "Nachbestellung gemäß Rahmenvertrag, Lieferung in KW {week}."),
];

pub(super) const COMPLAINTS: Texts = &[
    ("Reklamation Lieferung L-{n}", "Ware beschädigt angekommen, Fotos liegen vor. Ersatzlieferung veranlasst."),
    ("Beschwerde über Wartezeiten", "Lange Wartezeit an der Hotline beklagt. Rückruf durch die Teamleitung zugesagt."),
    ("Falsche Menge geliefert", "Statt {qty} nur die Hälfte geliefert; Rest folgt in KW {week}."),
];

pub(super) const DEALS: &[&str] = &[
    "{qty} × {product}",
    "Wartungsvertrag {year}",
    "Rahmenvertrag {product}",
    "Erweiterung {product}",
    "Beratungsprojekt {topic}",
    "Messestand {city} {year}",
    "Jahreslizenz {product}",
    "Pilotprojekt {topic}",
];

pub(super) const TICKET_COMPLAINTS: Texts = &[
    ("Lieferung beschädigt", "Die Lieferung L-{n} kam mit beschädigter Verpackung an; zwei Teile sind verbogen."),
    ("Falsche Ware geliefert", "Statt Artikel {n} wurde ein anderes Modell geliefert. Bitte um Abholung und Ersatz."),
    ("Rechnung doppelt abgebucht", "Die Rechnung R-{n} wurde zweimal abgebucht. Bitte um Erstattung."),
    ("Gerät nach Reparatur wieder defekt", "{product} zeigt seit {weekday} wieder denselben Fehler wie vor der Reparatur."),
    ("Zugesagter Rückruf blieb aus", "Der für {weekday} zugesagte Rückruf ist nicht erfolgt."),
];

pub(super) const TICKET_SERVICE: Texts = &[
    ("Passwort zurücksetzen", "Zugang zum Kundenportal nach mehreren Fehlversuchen gesperrt."),
    ("Adressänderung", "Neue Lieferadresse ab {month} übernehmen."),
    ("Frage zur Rechnung R-{n}", "Bitte um Erläuterung der Position Versandkosten."),
    ("Ersatzteil anfragen", "Benötigt einen Dichtungssatz für {product}."),
    ("Wartungstermin vereinbaren", "Jährliche Wartung fällig, Terminvorschlag KW {week}."),
    ("Bedienungsanleitung gesucht", "Anleitung für {product} als PDF erbeten."),
];
