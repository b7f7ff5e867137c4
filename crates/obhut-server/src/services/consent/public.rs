//! The public side: the suppression list check, sign-up from a public form and the purge
//! of sign-ups never confirmed.

use super::double_opt_in::*;
use super::shared::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_core::consent::Channel;
use obhut_core::ids::ContactId;
use obhut_core::purpose::LegalBasis;
use obhut_store::consent::{self as ledger};
use obhut_store::contacts::{BlindKind, BlindToken};

/// Whether an identifier (an email address or phone number, normalised) is on a channel's
/// suppression list; the list itself holds only blind indexes and is never shown.
pub async fn is_suppressed(app: &App, channel: Channel, identifier: &str) -> ServiceResult<bool> {
    let kind = match ledger::blind_kind(channel) {
        Some(k) => k,
        None => return Ok(false),
    };
    let t = BlindToken::new(&app.store.crypto, kind, identifier).token.to_vec();
    let mut conn = app.conn().await?;
    Ok(ledger::suppressed(&mut conn, &[t], channel).await?)
}

// ---------------------------------------------------------------------------------------------
// The public sign-up form

/// A sign-up from the public form: asks the address for its double opt-in. Whether the address
/// is known, suppressed or already asked today, the caller answers the same way, so the form
/// reveals nothing about anyone; only a malformed address or a flood from one network is said.
/// An unknown address becomes a contact collected for the purpose alone, and is erased again
/// when its link expires unconfirmed ([`purge_unconfirmed_signups`]).
pub async fn subscribe(
    app: &App,
    email: &str,
    given_name: Option<&str>,
    family_name: Option<&str>,
    purpose: &str,
    language: &str,
    origin: &Origin,
) -> ServiceResult<()> {
    let address = obhut_core::email::EmailAddress::parse(email).map_err(|m| ServiceError::field("email", m))?;
    // Asked of everyone alike, before the address is looked up, so the answer cannot differ.
    if given_name.is_none_or(|n| n.trim().is_empty()) && family_name.is_none_or(|n| n.trim().is_empty()) {
        return Err(ServiceError::field("family_name", "a given name or a family name is required"));
    }
    let p = marketing_purpose(app, purpose).await?;
    if p.legal_basis != LegalBasis::Consent {
        return Err(ServiceError::field("purpose", "the form signs up for purposes based on consent only"));
    }
    let net = origin.network.unwrap_or_else(|| crate::client::network(std::net::Ipv4Addr::UNSPECIFIED.into()));
    crate::limiter::take(&app.signups, &net).map_err(ServiceError::RateLimited)?;
    let normalized = address.normalized();
    let form = Actor::job("signup-form");
    let token = BlindToken::new(&app.store.crypto, BlindKind::Email, &normalized);
    let (existing, suppressed) = {
        let mut conn = app.conn().await?;
        let ids = obhut_store::contacts::ids_by_token(&mut conn, &token, 1).await?;
        let suppressed = ledger::suppressed(&mut conn, &[token.token.to_vec()], Channel::Email).await?;
        (ids.into_iter().next(), suppressed)
    };
    if suppressed {
        return Ok(());
    }
    let lang = if language.starts_with("en") { "en" } else { "de" };
    let id = match existing {
        Some(id) => id,
        None => {
            let clean = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            let input = obhut_core::contact::ContactInput {
                given_name: clean(given_name),
                family_name: clean(family_name),
                emails: Some(vec![obhut_core::contact::EmailInput {
                    address: normalized.clone(),
                    label: None,
                    purposes: Some(vec![p.key.clone()]),
                }]),
                purposes: Some(vec![p.key.clone()]),
                language: Some(lang.into()),
                ..Default::default()
            };
            let origin = obhut_store::contacts::Origin {
                source: "web_form".into(),
                detail: Some("public sign-up form".into()),
                import_run_id: None,
            };
            crate::services::contacts::create(app, &form, &input, origin).await?.0.id.to_string()
        }
    };
    match request(app, &form, &id, &p.key, "email", None, Some(&normalized), Some(lang)).await {
        Ok(_) => Ok(()),
        // Asked too often today, or objected: the same answer, and no mail.
        Err(ServiceError::RateLimited(_)) | Err(ServiceError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Erases contacts the sign-up form created whose link expired unconfirmed: their data was
/// collected only to ask (storage limitation, Art. 5(1)(e)). Returns how many.
pub async fn purge_unconfirmed_signups(app: &App) -> ServiceResult<usize> {
    let cutoff = app.now_ms() - app.config.consent_token_hours * 3_600_000;
    let ids = {
        let mut conn = app.conn().await?;
        obhut_store::consent::events::list_unconfirmed_signups(&mut conn, cutoff).await?
    };
    let job = Actor::job("signup-purge");
    let mut n = 0;
    for id in ids {
        if let Ok(cid) = ContactId::parse(&id) {
            crate::services::contacts::delete(app, &job, cid).await?;
            n += 1;
        }
    }
    Ok(n)
}
