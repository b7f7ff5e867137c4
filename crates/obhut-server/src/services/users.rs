//! Staff accounts: creation, login and sessions, API tokens, password change, first-run setup.

use crate::app::App;
use crate::auth;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Channel, Resource};
use obhut_core::ids::UserId;
use obhut_core::user::{check_password, parse_username, Role};
use obhut_store::audit::AuditEntry;
use obhut_store::users::{self as repo, UserRecord};

pub use crate::throttle::SignInFrom;

fn entry(actor: &str, action: &str, user: Option<UserId>) -> AuditEntry {
    AuditEntry {
        actor: actor.into(),
        action: action.into(),
        record_type: "user".into(),
        record_id: user.map(|u| u.to_string()),
        ..Default::default()
    }
}

/// Creates a staff account (administrators only).
pub async fn add_user(app: &App, actor: &Actor, username: &str, role: Role, password: &str) -> ServiceResult<UserRecord> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    insert_user(app, &actor.audit_name(), username, role, password).await
}

async fn insert_user(app: &App, actor_name: &str, username: &str, role: Role, password: &str) -> ServiceResult<UserRecord> {
    let username = parse_username(username).map_err(|m| ServiceError::field("username", m))?;
    check_password(password).map_err(|m| ServiceError::field("password", m))?;
    let hash = auth::hash_password(app, password).await?;
    let id = UserId::new();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::insert_user(&mut tx, id, &username, &hash, role, now).await.map_err(|e| match e {
        obhut_store::StoreError::Invalid(m) => ServiceError::field("username", m),
        e => e.into(),
    })?;
    let mut e = entry(actor_name, "user.create", Some(id));
    e.fields = vec![format!("role={}", role.as_str())];
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    let u = repo::find_user(&mut tx, id).await?.ok_or(ServiceError::NotFound("user"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(u)
}

/// The staff accounts: administrators and the DPO (who reviews who may reach what).
pub async fn list_users(app: &App, actor: &Actor) -> ServiceResult<Vec<UserRecord>> {
    app.authorize(actor, Action::Read, Resource::User).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_users(&mut conn).await?)
}

/// Creates an API token for a user; the token is shown once and stored only as a hash.
pub async fn create_token(app: &App, actor: &Actor, username: &str, label: Option<&str>, valid_days: Option<i64>) -> ServiceResult<String> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let mut conn = app.conn().await?;
    let user = repo::find_user_by_name(&mut conn, &username.trim().to_lowercase())
        .await?
        .ok_or_else(|| ServiceError::field("user", format!("no user named '{username}'")))?;
    drop(conn);
    let token = auth::random_secret("obh_");
    let now = app.now_ms();
    let expires = valid_days.map(|d| now + d * 86_400_000);
    let mut tx = app.begin_write().await?;
    repo::insert_token(&mut tx, user.id, &auth::secret_hash(&token), label, now, expires).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[entry(&actor.audit_name(), "token.create", Some(user.id))]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(token)
}

/// The actor a user acts as: role, scope and teams, and for a processor user the grant of
/// their processor (unknown processor: no grant, and the gate refuses everything).
async fn actor_of(app: &App, u: &UserRecord, channel: Channel) -> ServiceResult<Actor> {
    let mut a = Actor::new(Some(u.id), &u.username, u.role, channel);
    a.scope = u.scope;
    a.teams = u.teams.clone();
    if u.role == Role::Processor {
        if let Some(key) = &u.processor_key {
            let mut conn = app.conn().await?;
            if let Some(p) = obhut_store::policies::find_processor(&mut conn, key).await? {
                if let Ok((from, until)) = p.window() {
                    a.processor = Some(crate::gate::ProcessorGrant {
                        key: p.key.clone(),
                        purposes: p.purposes.clone(),
                        scope_tag: p.scope_tag.clone(),
                        from_day: obhut_core::processor::epoch_day(from),
                        until_day: obhut_core::processor::epoch_day(until),
                    });
                }
            }
        }
    }
    Ok(a)
}

/// Sets a user's role, scope, teams and processor (administrators only), audited.
pub async fn set_access(
    app: &App,
    actor: &Actor,
    username: &str,
    role: Role,
    scope: obhut_core::user::Scope,
    teams: &[String],
    processor: Option<&str>,
) -> ServiceResult<UserRecord> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let mut teams_ok = Vec::new();
    for t in teams {
        teams_ok.push(obhut_core::user::parse_team(t).map_err(|m| ServiceError::field("teams", m))?);
    }
    let processor = processor.map(str::trim).filter(|p| !p.is_empty());
    if role == Role::Processor && processor.is_none() {
        return Err(ServiceError::field("processor", "a processor user needs the key of their processor"));
    }
    if role != Role::Processor && processor.is_some() {
        return Err(ServiceError::field("processor", "only users of the role processor belong to a processor"));
    }
    let mut tx = app.begin_write().await?;
    if let Some(k) = processor {
        if obhut_store::policies::find_processor(&mut tx, k).await?.is_none() {
            return Err(ServiceError::field("processor", format!("no processor with the key '{k}'")));
        }
    }
    let user = repo::find_user_by_name(&mut tx, &username.trim().to_lowercase())
        .await?
        .ok_or_else(|| ServiceError::field("user", format!("no user named '{username}'")))?;
    repo::set_access(&mut tx, user.id, role, scope, &teams_ok, processor).await?;
    let mut e = entry(&actor.audit_name(), "user.access", Some(user.id));
    e.fields = vec![format!("role={}", role.as_str()), format!("scope={}", scope.as_str()), format!("teams={}", teams_ok.join(","))];
    if let Some(p) = processor {
        e.fields.push(format!("processor={p}"));
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
    let u = repo::find_user(&mut tx, user.id).await?.ok_or(ServiceError::NotFound("user"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    if let Ok(mut c) = app.token_cache.lock() {
        c.clear();
    }
    Ok(u)
}

/// How long a verified token is trusted without asking the database again. A revoked or
/// expired token, or a changed role, takes effect after at most this long.
pub const TOKEN_CACHE_MS: i64 = 10_000;

/// The actor behind a bearer token.
pub async fn actor_for_token(app: &App, token: &str) -> ServiceResult<Actor> {
    let hash = auth::secret_hash(token);
    let now = app.now_ms();
    if let Ok(cache) = app.token_cache.lock() {
        if let Some((actor, until)) = cache.get(&hash) {
            if *until > now {
                return Ok(actor.clone());
            }
        }
    }
    let mut conn = app.conn().await?;
    let found = repo::find_token_user(&mut conn, &hash, now).await?;
    drop(conn);
    match found {
        Some(u) if !u.disabled => {
            let actor = actor_of(app, &u, Channel::Api).await?;
            if let Ok(mut cache) = app.token_cache.lock() {
                if cache.len() > 10_000 {
                    cache.retain(|_, (_, until)| *until > now);
                }
                cache.insert(hash, (actor.clone(), now + TOKEN_CACHE_MS));
            }
            Ok(actor)
        }
        _ => Err(ServiceError::Unauthorized),
    }
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    pub language: Option<String>,
    pub username: String,
}

/// A session opened by a sign-in, and the device cookie to set (empty: keep the one sent).
#[derive(Debug)]
pub struct SignedIn {
    pub sid: String,
    pub session: Session,
    pub device: String,
}

/// [`login_from`] for a local caller (a test, the command line): no client network, no device.
pub async fn login(app: &App, username: &str, password: &str) -> ServiceResult<(String, Session)> {
    login_from(app, username, password, &SignInFrom::default()).await.map(|s| (s.sid, s.session))
}

/// Checks user name and password; on success opens a session and returns its secret id.
/// Failed attempts are throttled per account and client network, or per device for a device
/// that signed in to the account before ([`crate::throttle`]), and audited per minute.
pub async fn login_from(app: &App, username: &str, password: &str, from: &SignInFrom) -> ServiceResult<SignedIn> {
    let name = username.trim().to_lowercase();
    let plausible = !(name.is_empty() || name.len() > 64 || name.chars().any(char::is_control));
    crate::throttle::guard(app, from)?;
    let user = if plausible {
        let mut conn = app.conn().await?;
        repo::find_user_by_name(&mut conn, &name).await?
    } else {
        None
    };
    let attempt = crate::throttle::begin(app, &name, user.as_ref().map(|u| u.id), from).await?;
    let ok = match &user {
        Some(u) if !u.disabled => auth::verify_password(password, &u.password_hash).await,
        _ if !plausible => false,
        _ => {
            // Same work for unknown names, so timing does not reveal which names exist.
            let _ = auth::hash_password(app, password).await;
            false
        }
    };
    let user = match user {
        Some(u) if ok => u,
        other => {
            attempt.failed(app, other.map(|u| u.id)).await?;
            return Err(ServiceError::Unauthorized);
        }
    };
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let device = attempt.succeeded(app, &mut tx, user.id).await?;
    let sid = auth::random_secret("");
    let csrf = auth::random_secret("");
    let expires = now + app.config.session_minutes * 60_000;
    repo::insert_session(&mut tx, &auth::secret_hash(&sid), user.id, &csrf, now, expires).await?;
    let mut e = entry(&format!("ui:user:{}", user.id), "login", Some(user.id));
    e.fields = vec![format!("network={}", attempt.network())];
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    let session =
        Session { actor: actor_of(app, &user, Channel::Ui).await?, csrf, language: user.language.clone(), username: user.username.clone() };
    Ok(SignedIn { sid, session, device })
}

pub async fn session(app: &App, sid: &str) -> ServiceResult<Session> {
    let mut conn = app.conn().await?;
    let (hash, now) = (auth::secret_hash(sid), app.now_ms());
    // Absolute lifetime: however busy, a session ends this long after sign-in.
    let opened_after = now - app.config.session_absolute_hours * 3_600_000;
    match repo::find_session(&mut conn, &hash, now, opened_after).await? {
        Some((u, csrf, expires_at)) if !u.disabled => {
            // Idle lifetime: use pushes the end out again, written at most once a minute.
            let renewed = now + app.config.session_minutes * 60_000;
            if renewed - expires_at > 60_000 {
                repo::touch_session(&mut conn, &hash, renewed).await?;
            }
            drop(conn);
            Ok(Session { actor: actor_of(app, &u, Channel::Ui).await?, csrf, language: u.language.clone(), username: u.username.clone() })
        }
        _ => Err(ServiceError::Unauthorized),
    }
}

pub async fn logout(app: &App, sid: &str) -> ServiceResult<()> {
    let mut conn = app.conn().await?;
    repo::delete_session(&mut conn, &auth::secret_hash(sid)).await?;
    Ok(())
}

/// Changes the actor's own password after checking the current one; ends other sessions.
pub async fn change_password(app: &App, actor: &Actor, current: &str, new: &str, keep_session: Option<&str>) -> ServiceResult<()> {
    let id = actor.user_id.ok_or(ServiceError::Unauthorized)?;
    let mut conn = app.conn().await?;
    let user = repo::find_user(&mut conn, id).await?.ok_or(ServiceError::Unauthorized)?;
    drop(conn);
    if !auth::verify_password(current, &user.password_hash).await {
        return Err(ServiceError::field("current_password", "the current password is wrong"));
    }
    check_password(new).map_err(|m| ServiceError::field("new_password", m))?;
    let hash = auth::hash_password(app, new).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::update_password(&mut tx, id, &hash, now).await?;
    repo::delete_sessions_of(&mut tx, id, keep_session.map(auth::secret_hash).as_deref()).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[entry(&actor.audit_name(), "user.password_change", Some(id))]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

pub async fn set_language(app: &App, actor: &Actor, language: Option<&str>) -> ServiceResult<()> {
    let id = actor.user_id.ok_or(ServiceError::Unauthorized)?;
    let lang = match language {
        Some("de") => Some("de"),
        Some("en") => Some("en"),
        None | Some("") => None,
        Some(_) => return Err(ServiceError::field("language", "must be de or en")),
    };
    let mut conn = app.conn().await?;
    repo::update_language(&mut conn, id, lang).await?;
    Ok(())
}

/// With no user yet, makes a new one-time setup token (valid 24 hours) and returns it;
/// any earlier token stops working. `None` once an administrator exists.
pub async fn ensure_setup_token(app: &App) -> ServiceResult<Option<String>> {
    let mut tx = app.begin_write().await?;
    if repo::count_users(&mut tx).await? > 0 {
        return Ok(None);
    }
    let token = auth::random_secret("");
    let now = app.now_ms();
    repo::replace_setup_token(&mut tx, &auth::secret_hash(&token), now, now + 24 * 3_600_000).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(Some(token))
}

pub async fn setup_token_valid(app: &App, token: &str) -> ServiceResult<bool> {
    let mut conn = app.conn().await?;
    Ok(repo::count_users(&mut conn).await? == 0 && repo::setup_token_valid(&mut conn, &auth::secret_hash(token), app.now_ms()).await?)
}

/// Creates the first administrator with the one-time setup token, in one transaction: the
/// token is spent only together with the new account.
pub async fn complete_setup(app: &App, token: &str, username: &str, password: &str) -> ServiceResult<UserRecord> {
    if !setup_token_valid(app, token).await? {
        return Err(ServiceError::Forbidden("the setup link is invalid, used or expired; restart the server for a new one".into()));
    }
    let username = parse_username(username).map_err(|m| ServiceError::field("username", m))?;
    check_password(password).map_err(|m| ServiceError::field("password", m))?;
    let hash = auth::hash_password(app, password).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if repo::count_users(&mut tx).await? > 0 || !repo::take_setup_token(&mut tx, &auth::secret_hash(token), now).await? {
        return Err(ServiceError::Forbidden("the setup link was used already".into()));
    }
    let id = UserId::new();
    repo::insert_user(&mut tx, id, &username, &hash, Role::Admin, now).await?;
    let mut e = entry("setup", "user.create", Some(id));
    e.fields = vec!["role=admin".into()];
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    let u = repo::find_user(&mut tx, id).await?.ok_or(ServiceError::NotFound("user"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(u)
}
