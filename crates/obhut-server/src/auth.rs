//! Passwords (argon2id), API tokens, session ids and device cookies (random, stored as
//! SHA-256), and CSRF tokens. The throttle on failed sign-ins is [`crate::throttle`].

use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

fn argon(app: &App) -> ServiceResult<Argon2<'static>> {
    let params = Params::new(app.config.argon2_memory_kib, app.config.argon2_iterations, 1, None)
        .map_err(|e| ServiceError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// At most this many argon2 computations run at once (each takes ~19 MiB): a burst of
/// logins waits here instead of exhausting memory.
static ARGON2_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn argon2_permit() -> ServiceResult<tokio::sync::SemaphorePermit<'static>> {
    match tokio::time::timeout(std::time::Duration::from_secs(10), ARGON2_PERMITS.acquire()).await {
        Ok(Ok(p)) => Ok(p),
        _ => Err(ServiceError::RateLimited(5)),
    }
}

/// Hashes a password off the async threads.
pub async fn hash_password(app: &App, password: &str) -> ServiceResult<String> {
    let _permit = argon2_permit().await?;
    let a = argon(app)?;
    let pw = secrecy::SecretString::from(password.to_string());
    tokio::task::spawn_blocking(move || {
        use secrecy::ExposeSecret;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        a.hash_password(pw.expose_secret().as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Internal(format!("password hashing: {e}")))
}

/// Checks a password against a stored hash (the hash carries its own parameters).
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(_permit) = argon2_permit().await else { return false };
    let pw = secrecy::SecretString::from(password.to_string());
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || {
        use secrecy::ExposeSecret;
        PasswordHash::new(&hash).map(|h| Argon2::default().verify_password(pw.expose_secret().as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A fresh random secret: `prefix` + 32 random bytes in URL-safe base64.
pub fn random_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// Tokens and session ids have 256 bits of entropy, so a plain SHA-256 is a safe stored form.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two strings in constant time (CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
