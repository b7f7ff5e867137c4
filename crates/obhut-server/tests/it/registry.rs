//! The registry in German and English: the default texts in both, the Art. 30 record and the
//! Art. 15 report in the reader's language, German texts kept per purpose and written from the
//! form, and an installation from before (English texts only) given the German defaults.

use crate::common::{page, spawn_app, Backend};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::services::purposes::RopaFormat;
use obhut_server::Actor;

crate::on_both_backends!(the_registry_speaks_the_readers_language);

async fn the_registry_speaks_the_readers_language(b: Backend) {
    let t = spawn_app(b).await;
    let cli = Actor::cli();
    let de = services::purposes::ropa_in(&t.app, &cli, RopaFormat::Markdown, "de").await.expect("ropa de");
    assert!(de.starts_with("# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)"), "{de}");
    assert!(de.contains("Beantwortung von Anfragen, Bearbeitung von Beschwerden und Servicefällen"), "the German description");
    assert!(de.contains("(f) Aufbewahrung / Löschfrist: 3 Jahre nach Abschluss des Falls"), "the German retention rule");
    assert!(de.contains("Passwörter mit Argon2id gehasht"), "the general measures in German");
    let en = services::purposes::ropa_in(&t.app, &cli, RopaFormat::Markdown, "en").await.expect("ropa en");
    assert!(en.contains("Answering enquiries, handling complaints") && en.contains("(f) Retention / erasure: 3 years after the case was closed"));
    assert!(services::purposes::ropa_in(&t.app, &cli, RopaFormat::Markdown, "fr").await.is_err());
    let json = services::purposes::ropa_in(&t.app, &cli, RopaFormat::Json, "en").await.expect("json");
    assert!(json.contains("\"description_de\"") && json.contains("\"rule_de\""), "the JSON holds both languages");
    // The API and the CLI's language flag.
    let token = t.user_token("dora", Role::Dpo).await;
    let r = t.client.get(t.url("/api/v1/ropa?format=md&lang=de")).bearer_auth(&token).send().await.expect("ropa");
    assert!(r.text().await.unwrap_or_default().contains("Verantwortlicher"));
    let (s, _) = t.api_get(&token, "/api/v1/ropa?format=md&lang=xx").await;
    assert_eq!(s, 400);
    // An installation from before: purposes stored with English texts only get the German defaults;
    // a text the DPO wrote stays.
    t.exec("UPDATE purposes SET body = REPLACE(body, '\"description_de\":', '\"old_description_de\":')").await;
    let list = services::purposes::list(&t.app, &cli).await.expect("list");
    let service = list.iter().find(|p| p.key == "customer_service").expect("customer_service");
    assert!(service.description_in("de").starts_with("Beantwortung von Anfragen"), "{}", service.description_in("de"));
    let mut edited = service.clone();
    edited.description = "Our own English text".into();
    edited.description_de = String::new();
    services::purposes::save(&t.app, &cli, &edited).await.expect("save");
    let list = services::purposes::list(&t.app, &cli).await.expect("list");
    let service = list.iter().find(|p| p.key == "customer_service").expect("customer_service");
    assert_eq!(service.description_in("de"), "Our own English text", "no German written: the English is shown");
    // The privacy pages in the user's language.
    let (c, _) = crate::common::signed_in(&t, "dina", Role::Dpo).await;
    let (_, html) = page(&c, &t, "/privacy/ropa").await;
    assert!(html.contains("Versand des Newsletters an Personen, die ihn per Double-Opt-in bestellt haben."), "the German page");
}
