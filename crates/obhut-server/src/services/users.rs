//! Staff accounts: creation, login and sessions, API tokens, password change, first-run setup,
//! and offboarding: disabling, enabling, an administrator's password reset, token revocation.

use crate::app::App;
use crate::auth;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Channel, Resource};
use obhut_core::ids::UserId;
use obhut_core::user::{check_password, parse_username, Role};
use obhut_store::audit::AuditEntry;
use obhut_store::users::{self as repo, TokenRecord, UserRecord};

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
    let mut w = app.audited(now).await?;
    repo::insert_user(&mut w.tx, id, &username, &hash, role, now).await.map_err(|e| match e {
        obhut_store::StoreError::Invalid(m) => ServiceError::field("username", m),
        e => e.into(),
    })?;
    let mut e = entry(actor_name, "user.create", Some(id));
    e.fields = vec![format!("role={}", role.as_str())];
    w.record(&[e]);
    let u = repo::find_user(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("user"))?;
    w.commit(app).await?;
    Ok(u)
}

/// The staff accounts: administrators and the DPO (who reviews who may reach what).
pub async fn list_users(app: &App, actor: &Actor) -> ServiceResult<Vec<UserRecord>> {
    app.authorize(actor, Action::Read, Resource::User).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_users(&mut conn).await?)
}

/// Tokens expire after this many days unless asked otherwise (`0` days: never).
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest validity a token can be given, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;
/// A token's `last_used_at` is written at most this often (ms), off the request's path.
pub const TOKEN_USE_WRITE_MS: i64 = 60_000;

/// A token just created: the secret is here once and never again (and never in `Debug`).
#[derive(Clone)]
pub struct NewToken {
    pub id: String,
    pub token: String,
    pub user_id: UserId,
    pub username: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken").field("id", &self.id).field("user_id", &self.user_id).field("token", &"[redacted]").finish()
    }
}

fn parse_label(label: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(l) = label.map(str::trim).filter(|l| !l.is_empty()) else { return Ok(None) };
    if l.chars().count() > 100 || l.chars().any(char::is_control) {
        return Err(ServiceError::field("label", "a label has at most 100 characters and no control characters"));
    }
    Ok(Some(l.to_string()))
}

/// The user of this name, or an error naming the field `user`.
async fn user_named(conn: &mut obhut_store::Conn, username: &str) -> ServiceResult<UserRecord> {
    repo::find_user_by_name(conn, &username.trim().to_lowercase())
        .await?
        .ok_or_else(|| ServiceError::field("user", format!("no user named '{}'", username.trim())))
}

/// Creates an API token for a user (administrators only); the token is shown once and stored
/// only as a hash. `valid_days`: `None` for the default of [`DEFAULT_TOKEN_DAYS`], `Some(0)`
/// for a token that never expires.
pub async fn issue_token(
    app: &App,
    actor: &Actor,
    username: &str,
    label: Option<&str>,
    valid_days: Option<i64>,
) -> ServiceResult<NewToken> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let days = valid_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(0..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(ServiceError::field("days", format!("must be 0 (never expires) to {MAX_TOKEN_DAYS} days")));
    }
    let label = parse_label(label)?;
    let token = auth::random_secret("obh_");
    let now = app.now_ms();
    let expires_at = (days > 0).then(|| now + days * 86_400_000);
    let mut w = app.audited(now).await?;
    let user = user_named(&mut w.tx, username).await?;
    if user.disabled {
        return Err(ServiceError::field("user", format!("the user '{}' is disabled: enable the account first", user.username)));
    }
    let id = repo::insert_token(&mut w.tx, user.id, &auth::secret_hash(&token), label.as_deref(), now, expires_at).await?;
    let mut e = entry(&actor.audit_name(), "token.create", Some(user.id));
    e.fields = vec![format!("token={id}"), format!("days={days}")];
    w.record(&[e]);
    w.commit(app).await?;
    Ok(NewToken { id, token, user_id: user.id, username: user.username, label, created_at: now, expires_at })
}

/// [`issue_token`], returning only the secret.
pub async fn create_token(app: &App, actor: &Actor, username: &str, label: Option<&str>, valid_days: Option<i64>) -> ServiceResult<String> {
    Ok(issue_token(app, actor, username, label, valid_days).await?.token)
}

/// The API tokens of one user or of everyone (administrators only), revoked and expired ones
/// included; never their secrets.
pub async fn list_tokens(app: &App, actor: &Actor, username: Option<&str>) -> ServiceResult<Vec<TokenRecord>> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let mut conn = app.conn().await?;
    let user = match username.map(str::trim).filter(|u| !u.is_empty()) {
        Some(name) => Some(user_named(&mut conn, name).await?.id),
        None => None,
    };
    Ok(repo::list_tokens(&mut conn, user).await?)
}

/// Revokes one token at once (administrators only), audited with its user's id. Revoking a
/// revoked token changes nothing; the flag says whether this call revoked it.
pub async fn revoke_token(app: &App, actor: &Actor, id: &str) -> ServiceResult<(TokenRecord, bool)> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let id = id.trim();
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::field("id", format!("'{id}' is not a token id (see `obhut token list`)")));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let token = repo::find_token(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("token"))?;
    let revoked = repo::revoke_token(&mut w.tx, id, now, &actor.audit_name()).await?;
    if revoked {
        let mut e = entry(&actor.audit_name(), "token.revoke", Some(token.user_id));
        e.fields = vec![format!("token={id}")];
        w.record(&[e]);
    }
    let token = repo::find_token(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("token"))?;
    w.commit(app).await?;
    Ok((token, revoked))
}

/// Whether the gate lets the actor administer staff accounts: to show the way there only. The
/// services ask the gate again (and log a refusal); this asks without logging.
pub fn may_administer_accounts(app: &App, actor: &Actor) -> bool {
    app.gate.check_kind(actor, Action::Administer, Resource::User, "", app.today()).is_ok()
}

/// A staff account with what the settings page shows beside it.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub user: UserRecord,
    /// Tokens neither revoked nor expired.
    pub live_tokens: i64,
}

/// The staff accounts with their number of live tokens (administrators only).
pub async fn list_accounts(app: &App, actor: &Actor) -> ServiceResult<Vec<StaffAccount>> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    accounts(app).await
}

/// The number of live tokens per user, for those who may read the staff accounts (the DPO too).
pub async fn live_token_counts(app: &App, actor: &Actor) -> ServiceResult<std::collections::HashMap<UserId, i64>> {
    app.authorize(actor, Action::Read, Resource::User).await?;
    let mut conn = app.conn().await?;
    Ok(repo::count_live_tokens(&mut conn, app.now_ms()).await?.into_iter().collect())
}

async fn accounts(app: &App) -> ServiceResult<Vec<StaffAccount>> {
    let mut conn = app.conn().await?;
    let users = repo::list_users(&mut conn).await?;
    let counts: std::collections::HashMap<UserId, i64> = repo::count_live_tokens(&mut conn, app.now_ms()).await?.into_iter().collect();
    Ok(users.into_iter().map(|u| StaffAccount { live_tokens: counts.get(&u.id).copied().unwrap_or(0), user: u }).collect())
}

/// What disabling, enabling or a password reset did to an account.
#[derive(Debug, Clone)]
pub struct AccountChange {
    pub user: UserRecord,
    /// False when the account was in that state already (then nothing was written).
    pub changed: bool,
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Refuses an administrator's offboarding step on their own account (through the web or the
/// API they would lock themselves out; the CLI has no account).
fn not_oneself(actor: &Actor, user: &UserRecord, what: &str) -> ServiceResult<()> {
    if actor.user_id == Some(user.id) {
        return Err(ServiceError::field("user", format!("you cannot {what} your own account")));
    }
    Ok(())
}

/// Disables a staff account (administrators only): sign-in is refused, and its sessions end
/// and its tokens are revoked in the same transaction, so the next request is refused.
pub async fn disable_user(app: &App, actor: &Actor, username: &str) -> ServiceResult<AccountChange> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let user = user_named(&mut w.tx, username).await?;
    not_oneself(actor, &user, "disable")?;
    let changed = repo::set_disabled(&mut w.tx, user.id, true, now).await?;
    let (mut sessions_ended, mut tokens_revoked) = (0, 0);
    if changed {
        sessions_ended = repo::delete_sessions_of(&mut w.tx, user.id, None).await?;
        tokens_revoked = repo::revoke_tokens_of(&mut w.tx, user.id, now, &actor.audit_name()).await?;
        let mut e = entry(&actor.audit_name(), "user.disable", Some(user.id));
        e.fields = vec![format!("sessions_ended={sessions_ended}"), format!("tokens_revoked={tokens_revoked}")];
        w.record(&[e]);
    }
    let user = repo::find_user(&mut w.tx, user.id).await?.ok_or(ServiceError::NotFound("user"))?;
    w.commit(app).await?;
    Ok(AccountChange { user, changed, sessions_ended, tokens_revoked })
}

/// Enables a disabled account again (administrators only). Tokens revoked when it was
/// disabled stay revoked: the user signs in again, and new tokens are issued as needed.
pub async fn enable_user(app: &App, actor: &Actor, username: &str) -> ServiceResult<AccountChange> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let user = user_named(&mut w.tx, username).await?;
    let changed = repo::set_disabled(&mut w.tx, user.id, false, now).await?;
    if changed {
        w.record(&[entry(&actor.audit_name(), "user.enable", Some(user.id))]);
    }
    let user = repo::find_user(&mut w.tx, user.id).await?.ok_or(ServiceError::NotFound("user"))?;
    w.commit(app).await?;
    Ok(AccountChange { user, changed, sessions_ended: 0, tokens_revoked: 0 })
}

/// An administrator sets a user's password (administrators only): the user must change it at
/// the next sign-in; their sessions end and their tokens are revoked, in one transaction.
pub async fn reset_password(app: &App, actor: &Actor, username: &str, password: &str) -> ServiceResult<AccountChange> {
    app.authorize(actor, Action::Administer, Resource::User).await?;
    let mut conn = app.conn().await?;
    let user = user_named(&mut conn, username).await?;
    drop(conn);
    if actor.user_id == Some(user.id) {
        return Err(ServiceError::field("user", "change your own password in your settings, with your current password"));
    }
    check_password(password).map_err(|m| ServiceError::field("password", m))?;
    let hash = auth::hash_password(app, password).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::reset_password(&mut w.tx, user.id, &hash, now).await?;
    let sessions_ended = repo::delete_sessions_of(&mut w.tx, user.id, None).await?;
    let tokens_revoked = repo::revoke_tokens_of(&mut w.tx, user.id, now, &actor.audit_name()).await?;
    let mut e = entry(&actor.audit_name(), "user.password_reset", Some(user.id));
    e.fields = vec![format!("sessions_ended={sessions_ended}"), format!("tokens_revoked={tokens_revoked}")];
    w.record(&[e]);
    let user = repo::find_user(&mut w.tx, user.id).await?.ok_or(ServiceError::NotFound("user"))?;
    w.commit(app).await?;
    Ok(AccountChange { user, changed: true, sessions_ended, tokens_revoked })
}

/// The actor a user acts as: role, scope and teams, and for a processor user the grant of
/// their processor (unknown processor: no grant, and the gate refuses everything).
pub(crate) async fn actor_of(app: &App, u: &UserRecord, channel: Channel) -> ServiceResult<Actor> {
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
    tx.commit().await?;
    Ok(u)
}

/// The actor behind a bearer token. Asked of the database on every request (nothing is cached),
/// so a token revoked or a user disabled, also by another process, is refused at once; on
/// SQLite it is a point read of microseconds (see [`repo::read_token_user`]).
pub async fn actor_for_token(app: &App, token: &str) -> ServiceResult<Actor> {
    let hash = auth::secret_hash(token);
    let now = app.now_ms();
    // Read before the lookup: whatever is committed after this read moves the counter past the
    // value an entry made now holds, so no entry outlives a change (disable, revoke, reset,
    // access, a processor's grant), made by this process or any other.
    let epoch = repo::auth_epoch(&app.store).await?;
    let hit = app.token_cache.lock().ok().and_then(|c| {
        c.get(&hash)
            .filter(|t| t.epoch == epoch && t.expires_at.is_none_or(|e| e > now))
            .map(|t| (t.actor.clone(), t.token_id.clone(), t.last_used_at))
    });
    if let Some((actor, token_id, last_used_at)) = hit {
        note_token_use(app, &token_id, last_used_at, now);
        return Ok(actor);
    }
    match repo::read_token_user(&app.store, &hash, now).await? {
        Some(found) if !found.user.disabled => {
            note_token_use(app, &found.token_id, found.last_used_at, now);
            let actor = actor_of(app, &found.user, Channel::Api).await?;
            if let Ok(mut cache) = app.token_cache.lock() {
                if cache.len() > 10_000 {
                    cache.retain(|_, t| t.epoch == epoch);
                }
                let entry = crate::app::VerifiedToken {
                    actor: actor.clone(),
                    token_id: found.token_id,
                    expires_at: found.expires_at,
                    last_used_at: found.last_used_at,
                    epoch,
                };
                cache.insert(hash, entry);
            }
            Ok(actor)
        }
        _ => Err(ServiceError::Unauthorized),
    }
}

/// Writes a token's last use in the background, at most about once a minute per token: the
/// stored time is recent enough, or this process has just sent a write for it.
fn note_token_use(app: &App, token_id: &str, last_used_at: Option<i64>, now: i64) {
    if last_used_at.is_some_and(|t| now - t < TOKEN_USE_WRITE_MS) {
        return;
    }
    {
        let Ok(mut sent) = app.token_uses.lock() else { return };
        if sent.get(token_id).is_some_and(|t| now - *t < TOKEN_USE_WRITE_MS) {
            return;
        }
        if sent.len() > 10_000 {
            sent.retain(|_, t| now - *t < TOKEN_USE_WRITE_MS);
        }
        sent.insert(token_id.to_string(), now);
    }
    let (app, id) = (app.clone(), token_id.to_string());
    tokio::spawn(async move {
        let written = match app.conn().await {
            Ok(mut conn) => repo::touch_token(&mut conn, &id, now).await.map_err(ServiceError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(token = %id, error = %e, "the last use of a token was not written");
        }
    });
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    pub language: Option<String>,
    pub username: String,
    /// An administrator set the password: the user changes it before anything else.
    pub must_change_password: bool,
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
    let mut w = app.audited(now).await?;
    let device = attempt.succeeded(app, &mut w.tx, user.id).await?;
    let sid = auth::random_secret("");
    let csrf = auth::random_secret("");
    let expires = now + app.config.session_minutes * 60_000;
    repo::insert_session(&mut w.tx, &auth::secret_hash(&sid), user.id, &csrf, now, expires).await?;
    let mut e = entry(&format!("ui:user:{}", user.id), "login", Some(user.id));
    e.fields = vec![format!("network={}", attempt.network())];
    w.record(&[e]);
    w.commit(app).await?;
    let session = Session {
        actor: actor_of(app, &user, Channel::Ui).await?,
        csrf,
        language: user.language.clone(),
        username: user.username.clone(),
        must_change_password: user.must_change_password,
    };
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
            Ok(Session {
                actor: actor_of(app, &u, Channel::Ui).await?,
                csrf,
                language: u.language.clone(),
                username: u.username.clone(),
                must_change_password: u.must_change_password,
            })
        }
        _ => Err(ServiceError::Unauthorized),
    }
}

pub async fn logout(app: &App, sid: &str) -> ServiceResult<()> {
    let mut conn = app.conn().await?;
    repo::delete_session(&mut conn, &auth::secret_hash(sid)).await?;
    Ok(())
}

/// Changes the actor's own password after checking the current one; ends other sessions and
/// revokes the user's API tokens (whoever knew the old password may have made one).
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
    let mut w = app.audited(now).await?;
    repo::update_password(&mut w.tx, id, &hash, now).await?;
    let sessions_ended = repo::delete_sessions_of(&mut w.tx, id, keep_session.map(auth::secret_hash).as_deref()).await?;
    let tokens_revoked = repo::revoke_tokens_of(&mut w.tx, id, now, &actor.audit_name()).await?;
    let mut e = entry(&actor.audit_name(), "user.password_change", Some(id));
    e.fields = vec![format!("sessions_ended={sessions_ended}"), format!("tokens_revoked={tokens_revoked}")];
    w.record(&[e]);
    w.commit(app).await?;
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
    tx.commit().await?;
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
    let mut w = app.audited(now).await?;
    if repo::count_users(&mut w.tx).await? > 0 || !repo::take_setup_token(&mut w.tx, &auth::secret_hash(token), now).await? {
        return Err(ServiceError::Forbidden("the setup link was used already".into()));
    }
    let id = UserId::new();
    repo::insert_user(&mut w.tx, id, &username, &hash, Role::Admin, now).await?;
    let mut e = entry("setup", "user.create", Some(id));
    e.fields = vec!["role=admin".into()];
    w.record(&[e]);
    let u = repo::find_user(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("user"))?;
    w.commit(app).await?;
    Ok(u)
}
