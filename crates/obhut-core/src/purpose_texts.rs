//! The German texts of the default registry (its English texts stand in [`super::purpose`]),
//! and of the general measures. An installation whose stored texts are still the defaults
//! gets the German ones with them; texts a DPO wrote stay as written.

/// (key, description, retention rule) in German, per default purpose.
pub const DEFAULT_DE: &[(&str, &str, &str)] = &[
    (
        "contract",
        "Anbahnung, Abschluss und Durchführung von Verträgen mit Kunden: Angebote, Aufträge, Lieferung, Rechnung, Korrespondenz und Notizen dazu; das Geburtsdatum, wo der Vertrag einen Identitäts- oder Altersnachweis braucht.",
        "3 Jahre nach Ende des Kalenderjahres des letzten Vertragskontakts (Verjährung, § 195 BGB), sofern keine Aufbewahrungspflicht greift",
    ),
    (
        "customer_service",
        "Beantwortung von Anfragen, Bearbeitung von Beschwerden und Servicefällen (Tickets) von Kunden.",
        "3 Jahre nach Abschluss des Falls",
    ),
    (
        "accounting_retention",
        "Aufbewahrung von Geschäftsbriefen, Belegen und Büchern für die gesetzlichen Fristen; die Daten sind gesperrt und werden nicht anders verwendet.",
        "6, 8 oder 10 Jahre ab Ende des Kalenderjahres, in dem die Unterlage entstand oder einging, je nach Art der Unterlage",
    ),
    (
        "newsletter",
        "Versand des Newsletters an Personen, die ihn per Double-Opt-in bestellt haben.",
        "Bis zum Widerruf der Einwilligung; der Nachweis der Einwilligung 3 Jahre danach",
    ),
    (
        "phone_marketing",
        "Anrufe mit Angeboten an Verbraucher, die eingewilligt haben, und an Unternehmen mit mutmaßlicher Einwilligung.",
        "Bis zu Widerruf oder Widerspruch; der Einwilligungsnachweis 5 Jahre nach Erteilung und nach jeder Verwendung (§ 7a UWG)",
    ),
    (
        "postal_marketing",
        "Versand von Angeboten per Post an Kunden und Interessenten, die nicht widersprochen haben.",
        "Bis zum Widerspruch, sonst 3 Jahre nach dem letzten Kontakt",
    ),
    (
        "b2b_prospecting",
        "Ansprache von Ansprechpartnern in Unternehmen zu unseren Produkten, gestützt auf ihre berufliche Rolle.",
        "2 Jahre nach dem letzten Kontakt ohne Geschäftsbeziehung",
    ),
    (
        "data_subject_rights",
        "Auffinden der betroffenen Person und fristgerechte Beantwortung von Anträgen auf Auskunft, Berichtigung, Löschung, Einschränkung, Datenübertragbarkeit und Widerspruch.",
        "Die Fallakte 3 Jahre nach Beantwortung des Antrags (regelmäßige Verjährung, §§ 195, 199 BGB)",
    ),
];

/// The general measures of a new installation in German, in the order of the English ones.
pub const GENERAL_MEASURES_DE: &[&str] = &[
    "Personenbezogene Daten je betroffener Person verschlüsselt gespeichert (XChaCha20-Poly1305), die Schlüssel mit einem getrennt aufbewahrten Hauptschlüssel umschlüsselt",
    "Zugriff nur über die Datenschutz-Schranke: angemeldete Mitarbeitende, Rolle und Zweck bei jedem Lesen und Schreiben geprüft",
    "Manipulationssicheres Prüfprotokoll (SHA-256-Hashkette mit signiertem Kopf) jeder Änderung und jedes Lesens personenbezogener Daten",
    "Passwörter mit Argon2id gehasht; Sitzungen mit HttpOnly- und SameSite-Cookies; CSRF-Schutz; fehlgeschlagene Anmeldungen gedrosselt",
    "Transportverschlüsselung (TLS) vor dem Server; der Server lauscht nur auf localhost, sofern nicht anders eingestellt",
    "Sicherungen verschlüsselt; eine Löschung erreicht die Sicherungen, indem der Schlüssel der Person vernichtet wird",
];
