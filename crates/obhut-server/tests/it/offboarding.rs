//! Offboarding, on both backends: disabling ends a user's sessions and tokens on their very
//! next request (also when another process disabled them), revoked and expired tokens are
//! refused at once, tokens expire after 90 days by default, a password reset forces a change
//! at the next sign-in, the own password change revokes tokens, and only administrators may
//! do any of it (refusals audited).

use crate::browser::{start_driver, Browser};
use crate::common::{
    contains, csrf_in, signed_in_as, spawn_app, test_config, try_spawn_app_at, web_client, web_login, Backend, TestApp, PASSWORD,
};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use obhut_server::services::users;
use obhut_server::Actor;
use reqwest::Method;
use serde_json::json;
use time::macros::datetime;

crate::on_both_backends!(
    a_disabled_users_token_and_session_answer_401_on_their_very_next_request,
    a_revoked_token_answers_401_at_once_and_the_trail_names_the_user,
    tokens_expire_after_90_days_by_default_and_note_their_last_use,
    a_password_reset_forces_a_change_at_the_next_sign_in_and_revokes_tokens,
    the_own_password_change_revokes_the_users_tokens,
    only_administrators_offboard_and_refusals_are_audited,
    the_settings_page_disables_resets_and_handles_tokens_without_javascript,
    a_verified_token_kept_in_memory_yields_to_any_change_in_the_database,
);

async fn status(c: &reqwest::Client, t: &TestApp, path: &str) -> u16 {
    c.get(t.url(path)).send().await.expect("get").status().as_u16()
}

/// Changes the own password through the settings form in `c`; the answer's status.
async fn change_password(c: &reqwest::Client, t: &TestApp, csrf: &str, current: &str, new: &str) -> u16 {
    let form = [("csrf", csrf), ("current_password", current), ("new_password", new), ("repeat_password", new)];
    c.post(t.url("/settings/password")).form(&form).send().await.expect("change").status().as_u16()
}

async fn user_id(t: &TestApp, name: &str) -> String {
    let all = users::list_users(&t.app, &Actor::cli()).await.expect("users");
    all.into_iter().find(|u| u.username == name).expect("user").id.to_string()
}

/// A second process on the same database (what `obhut user disable` is while the server runs).
async fn other_process(t: &TestApp) -> obhut_server::App {
    obhut_server::App::open(test_config(t.dir.path(), t.pg_url.clone())).await.expect("second app")
}

async fn a_disabled_users_token_and_session_answer_401_on_their_very_next_request(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("anna", Role::User).await;
    let (c, _) = signed_in_as(&t, "anna").await;
    // Both work, several times (nothing is cached that could outlive the change).
    for _ in 0..3 {
        assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 200);
        assert_eq!(status(&c, &t, "/contacts").await, 200);
    }

    // Another process disables anna; this server learns it on the very next request.
    let cli = other_process(&t).await;
    let change = users::disable_user(&cli, &Actor::cli(), "anna").await.expect("disable");
    assert!(change.changed && change.user.disabled && change.user.disabled_at.is_some());
    assert_eq!((change.sessions_ended, change.tokens_revoked), (1, 1));
    let (s, p) = t.api_get(&token, "/api/v1/me").await;
    assert_eq!(s, 401, "{p}");
    let r = c.get(t.url("/contacts")).send().await.expect("get");
    assert_eq!(r.status(), 401, "the ended web session answers 401");
    assert!(r.text().await.expect("body").contains("form method=\"post\" action=\"/login\""), "with the sign-in form");
    // Signing in again is refused; disabling twice changes nothing.
    assert_eq!(web_login(&t, &web_client(), "anna", PASSWORD).await.status(), 200, "the form again, with the error");
    let again = users::disable_user(&cli, &Actor::cli(), "anna").await.expect("disable again");
    assert!(!again.changed);
    let anna = user_id(&t, "anna").await;
    let disabled = t.audit_events("user.disable").await;
    assert_eq!(disabled.len(), 1, "{disabled:?}");
    assert_eq!(disabled[0].entry.record_id.as_deref(), Some(anna.as_str()));
    assert!(disabled[0].entry.fields.contains(&"tokens_revoked=1".to_string()), "{:?}", disabled[0].entry.fields);
    // A disabled user gets no new token.
    let e = users::create_token(&t.app, &Actor::cli(), "anna", None, None).await.expect_err("no token for a disabled user");
    assert!(e.to_string().contains("disabled"), "{e}");

    // Enabled again: sign-in works, the revoked token stays revoked.
    let change = users::enable_user(&cli, &Actor::cli(), "anna").await.expect("enable");
    assert!(change.changed && !change.user.disabled && change.user.disabled_at.is_none());
    assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 401);
    let (c, _) = signed_in_as(&t, "anna").await;
    assert_eq!(status(&c, &t, "/contacts").await, 200);
    assert_eq!(t.audit_events("user.enable").await[0].entry.record_id.as_deref(), Some(anna.as_str()));
}

async fn a_revoked_token_answers_401_at_once_and_the_trail_names_the_user(b: Backend) {
    let t = spawn_app(b).await;
    let admin = t.user_token("root", Role::Admin).await;
    t.add_user("anna", Role::User, PASSWORD).await;
    let (s, created) = t.api_post(&admin, "/api/v1/tokens", json!({"user": "anna", "label": "Export"})).await;
    assert_eq!(s, 201, "{created}");
    let secret = created["token"].as_str().expect("the secret, once").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    assert!(created["expires_at"].is_string(), "a default expiry: {created}");
    assert_eq!(t.api_get(&secret, "/api/v1/me").await.0, 200);

    let (s, list) = t.api_get(&admin, "/api/v1/tokens?user=anna").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!((list[0]["label"].as_str(), list[0]["live"].as_bool()), (Some("Export"), Some(true)));
    assert!(!list.to_string().contains(&secret), "the list never holds a secret");
    let (_, users_list) = t.api_get(&admin, "/api/v1/users").await;
    let anna = users_list.as_array().expect("users").iter().find(|u| u["username"] == "anna").expect("anna").clone();
    assert_eq!((anna["live_tokens"].as_i64(), anna["status"].as_str()), (Some(1), Some("active")), "{anna}");

    let r = t.client.delete(t.url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&admin).send().await.expect("delete");
    assert_eq!(r.status(), 204);
    assert_eq!(t.api_get(&secret, "/api/v1/me").await.0, 401, "refused at once");
    let r = t.client.delete(t.url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&admin).send().await.expect("delete");
    assert_eq!(r.status(), 204, "revoking twice changes nothing");
    for bad in ["not-an-id", &uuid::Uuid::now_v7().to_string()] {
        let r = t.client.delete(t.url(&format!("/api/v1/tokens/{bad}"))).bearer_auth(&admin).send().await.expect("delete");
        assert_eq!(r.status(), 404, "{bad}");
        assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with("application/problem+json"));
    }
    let (_, list) = t.api_get(&admin, "/api/v1/tokens?user=anna").await;
    assert!(list[0]["revoked_at"].is_string() && list[0]["live"] == false, "{list}");
    assert!(list[0]["revoked_by"].as_str().unwrap_or("").contains(":user:"), "{list}");
    let (s, p) = t.api_get(&admin, "/api/v1/tokens?user=nobody").await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("user")), "{p}");

    // Bad input names the field and creates nothing.
    for (body, field) in [
        (json!({"user": "anna", "days": -1}), "days"),
        (json!({"user": "anna", "days": 4000}), "days"),
        (json!({"user": "anna", "label": "x".repeat(101)}), "label"),
        (json!({"user": "nobody"}), "user"),
        (json!({"user": "anna", "secret": "x"}), "secret"),
    ] {
        let (s, p) = t.api_post(&admin, "/api/v1/tokens", body).await;
        assert!(s == 422 || s == 400, "{p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let (_, list) = t.api_get(&admin, "/api/v1/tokens?user=anna").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    let uid = user_id(&t, "anna").await;
    for action in ["token.create", "token.revoke"] {
        let ev = t.audit_events(action).await;
        assert!(ev.iter().any(|e| e.entry.record_id.as_deref() == Some(uid.as_str())), "{action}: {ev:?}");
        assert!(!format!("{ev:?}").contains(&secret), "no token in the trail");
    }
    assert_eq!(t.audit_events("token.revoke").await.len(), 1, "the second revocation wrote nothing");
    t.app.store.checkpoint().await.ok();
    assert!(!contains(&t.raw_bytes().await, &secret), "the secret is not stored");
}

/// The app on a clock the test moves, without the daily retention sweep; `None` when
/// PostgreSQL is asked for and unavailable.
async fn spawn_at(b: Backend, clock: &ManualClock) -> Option<TestApp> {
    try_spawn_app_at(b, clock.clone(), |c| c.retention_sweep = false).await
}

/// The token's last use as stored, once the background write has landed (or `None`).
async fn last_used(t: &TestApp, id: &str, expected: i64) -> Option<i64> {
    for _ in 0..100 {
        let list = users::list_tokens(&t.app, &Actor::cli(), None).await.expect("tokens");
        let seen = list.iter().find(|x| x.id == id).and_then(|x| x.last_used_at);
        if seen == Some(expected) {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

async fn tokens_expire_after_90_days_by_default_and_note_their_last_use(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-03-02 09:00 UTC));
    let Some(t) = spawn_at(b, &clock).await else { return };
    t.add_user("anna", Role::User, PASSWORD).await;
    let start = t.app.now_ms();
    let default = users::issue_token(&t.app, &Actor::cli(), "anna", Some("default"), None).await.expect("token");
    assert_eq!(default.expires_at, Some(start + 90 * 86_400_000), "90 days by default");
    let forever = users::issue_token(&t.app, &Actor::cli(), "anna", Some("forever"), Some(0)).await.expect("token");
    assert_eq!(forever.expires_at, None, "0 days: never expires");
    let short = users::issue_token(&t.app, &Actor::cli(), "anna", None, Some(7)).await.expect("token");
    assert!(users::list_tokens(&t.app, &Actor::cli(), Some("anna")).await.expect("list").iter().all(|x| x.last_used_at.is_none()));

    assert_eq!(t.api_get(&default.token, "/api/v1/me").await.0, 200);
    assert_eq!(last_used(&t, &default.id, start).await, Some(start), "the use is noted in the background");
    clock.advance(time::Duration::days(7));
    assert_eq!(t.api_get(&short.token, "/api/v1/me").await.0, 401, "expired at once");
    clock.advance(time::Duration::days(82) + time::Duration::hours(23));
    assert_eq!(t.api_get(&default.token, "/api/v1/me").await.0, 200, "still live on day 89");
    let day89 = t.app.now_ms();
    assert_eq!(last_used(&t, &default.id, day89).await, Some(day89));
    clock.advance(time::Duration::hours(1));
    assert_eq!(t.api_get(&default.token, "/api/v1/me").await.0, 401, "expired after 90 days");
    assert_eq!(t.api_get(&forever.token, "/api/v1/me").await.0, 200);
    let live = users::list_accounts(&t.app, &Actor::cli()).await.expect("accounts");
    assert_eq!(live.iter().find(|a| a.user.username == "anna").map(|a| a.live_tokens), Some(1), "only the one without expiry");
}

async fn a_password_reset_forces_a_change_at_the_next_sign_in_and_revokes_tokens(b: Backend) {
    let t = spawn_app(b).await;
    let admin = t.user_token("root", Role::Admin).await;
    let token = t.user_token("anna", Role::User).await;
    let (old, _) = signed_in_as(&t, "anna").await;

    // Bad input names the field and changes nothing.
    for (path, body, field) in [
        ("/api/v1/users/anna/password", json!({"password": "short"}), "password"),
        ("/api/v1/users/nobody/password", json!({"password": "Another-Long-Pass-7"}), "user"),
        ("/api/v1/users/anna/password", json!({"pasword": "Another-Long-Pass-7"}), "pasword"),
    ] {
        let (s, p) = t.api(Method::PUT, &admin, path, Some(body)).await;
        assert!(s == 422 || s == 400, "{p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 200, "nothing changed");

    let new_password = "Temporary-Pass-2026";
    let (s, r) = t.api(Method::PUT, &admin, "/api/v1/users/anna/password", Some(json!({"password": new_password}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["sessions_ended"].as_u64(), r["tokens_revoked"].as_u64()), (Some(1), Some(1)), "{r}");
    assert_eq!(r["user"]["status"], "must_change_password", "{r}");
    assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 401, "the token is revoked");
    assert_eq!(status(&old, &t, "/contacts").await, 401, "the old session ended");

    // The next sign-in leads to the password form, and nothing else opens until it is changed.
    let c = web_client();
    let r = web_login(&t, &c, "anna", new_password).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings#password");
    for path in ["/contacts", "/deals", "/privacy"] {
        let r = c.get(t.url(path)).send().await.expect("get");
        assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().ok()), (303, Some("/settings#password")), "{path}");
    }
    let page = c.get(t.url("/settings")).send().await.expect("settings").text().await.expect("body");
    assert!(page.contains("id=\"must-change-password\""), "the page says why");
    let csrf = csrf_in(&page);
    let r =
        c.post(t.url("/contacts")).form(&[("csrf", csrf.as_str()), ("family_name", "Vorbei"), ("kind", "b2c")]).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings#password", "no POST passes either");
    assert_eq!(change_password(&c, &t, &csrf, new_password, "Annas-Own-Password-1").await, 303);
    assert_eq!(status(&c, &t, "/contacts").await, 200, "free again");
    let anna = users::list_users(&t.app, &Actor::cli()).await.expect("users").into_iter().find(|u| u.username == "anna").expect("anna");
    assert!(!anna.must_change_password);

    let reset = t.audit_events("user.password_reset").await;
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0].entry.record_id, Some(anna.id.to_string()));
    let trail = format!("{:?}", t.audit_events("").await);
    assert!(!trail.contains(new_password) && !trail.contains("Annas-Own-Password-1"), "no password in the trail");
    // An administrator resets no own password this way.
    let (s, p) = t.api(Method::PUT, &admin, "/api/v1/users/root/password", Some(json!({"password": "Another-Long-Pass-7"}))).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("user")), "{p}");
}

async fn the_own_password_change_revokes_the_users_tokens(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("anna", Role::User).await;
    let (c, csrf) = signed_in_as(&t, "anna").await;
    let (other, _) = signed_in_as(&t, "anna").await;
    assert_eq!(change_password(&c, &t, &csrf, PASSWORD, "Annas-New-Password-2").await, 303);
    assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 401, "the token is revoked");
    assert_eq!(status(&other, &t, "/contacts").await, 401, "the other session ended");
    assert_eq!(status(&c, &t, "/contacts").await, 200, "this one goes on");
    let changed = t.audit_events("user.password_change").await;
    assert!(changed[0].entry.fields.contains(&"tokens_revoked=1".to_string()), "{:?}", changed[0].entry.fields);
}

async fn only_administrators_offboard_and_refusals_are_audited(b: Backend) {
    let t = spawn_app(b).await;
    let user = t.user_token("bernd", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let anna = t.user_token("anna", Role::User).await;
    for token in [&user, &dpo] {
        for (method, path, body) in [
            (Method::GET, "/api/v1/users", None),
            (Method::POST, "/api/v1/users/anna/disable", None),
            (Method::POST, "/api/v1/users/anna/enable", None),
            (Method::PUT, "/api/v1/users/anna/password", Some(json!({"password": "Another-Long-Pass-7"}))),
            (Method::GET, "/api/v1/tokens", None),
            (Method::POST, "/api/v1/tokens", Some(json!({"user": "anna"}))),
        ] {
            let (s, p) = t.api(method.clone(), token, path, body).await;
            assert_eq!(s, 403, "{method} {path}: {p}");
        }
    }
    let id = users::list_tokens(&t.app, &Actor::cli(), Some("anna")).await.expect("tokens")[0].id.clone();
    let r = t.client.delete(t.url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&user).send().await.expect("delete");
    assert_eq!(r.status(), 403);
    assert_eq!(t.api_get(&anna, "/api/v1/me").await.0, 200, "nothing changed");
    let refused = t.audit_events("access.refused").await;
    for who in ["bernd", "dora"] {
        let uid = user_id(&t, who).await;
        let mine: Vec<_> = refused.iter().filter(|e| e.entry.actor == format!("api:user:{uid}") && e.entry.record_type == "user").collect();
        assert!(mine.len() >= 6, "{who}: {refused:?}");
        assert!(mine.iter().any(|e| e.entry.fields.contains(&"action=administer".to_string())), "{mine:?}");
    }
    // The web page: 403 for a user, and no link to it in their settings.
    let (c, csrf) = signed_in_as(&t, "bernd").await;
    assert_eq!(status(&c, &t, "/settings/users").await, 403);
    let settings = c.get(t.url("/settings")).send().await.expect("settings").text().await.expect("body");
    assert!(!settings.contains("href=\"/settings/users\""));
    let r = c.post(t.url("/settings/users/anna/disable")).form(&[("csrf", csrf.as_str())]).send().await.expect("post");
    assert_eq!(r.status(), 403);
    assert_eq!(t.api_get(&anna, "/api/v1/me").await.0, 200, "still nothing changed");
}

async fn the_settings_page_disables_resets_and_handles_tokens_without_javascript(b: Backend) {
    let t = spawn_app(b).await;
    t.add_user("root", Role::Admin, PASSWORD).await;
    let anna = t.user_token("anna", Role::User).await;
    let (c, csrf) = signed_in_as(&t, "root").await;
    let settings = c.get(t.url("/settings")).send().await.expect("settings").text().await.expect("body");
    assert!(settings.contains("href=\"/settings/users\""), "linked from the settings page");
    let page = c.get(t.url("/settings/users")).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("id=\"account-anna\"") && page.contains("id=\"account-root\""));
    assert!(page.contains("action=\"/settings/users/anna/disable\""));
    assert!(!page.contains("action=\"/settings/users/root/disable\""), "no button to lock oneself out");
    assert!(page.contains("id=\"token-table\"") && page.contains("Gültige API-Tokens"));

    // A token, shown once.
    let r = c
        .post(t.url("/settings/users/tokens"))
        .form(&[("csrf", csrf.as_str()), ("token_user", "anna"), ("token_label", "Abgleich"), ("token_days", "30")])
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    let at = html.find("id=\"new-token\">").expect("the new token") + "id=\"new-token\">".len();
    let secret = html[at..at + html[at..].find('<').expect("end")].to_string();
    assert!(secret.starts_with("obh_"), "{secret}");
    assert_eq!(t.api_get(&secret, "/api/v1/me").await.0, 200);
    let page = c.get(t.url("/settings/users")).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("Abgleich") && !page.contains(&secret), "listed, the secret not shown again");
    let r = c
        .post(t.url("/settings/users/tokens"))
        .form(&[("csrf", csrf.as_str()), ("token_user", "anna"), ("token_days", "viele")])
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"token_days-error\""));

    // Revoke it from the list.
    let id = users::list_tokens(&t.app, &Actor::cli(), Some("anna"))
        .await
        .expect("tokens")
        .into_iter()
        .find(|x| x.label.as_deref() == Some("Abgleich"))
        .expect("token")
        .id;
    let r = c.post(t.url(&format!("/settings/tokens/{id}/revoke"))).form(&[("csrf", csrf.as_str())]).send().await.expect("revoke");
    assert_eq!(r.status(), 303);
    assert_eq!(t.api_get(&secret, "/api/v1/me").await.0, 401);
    let r = c.post(t.url(&format!("/settings/tokens/{id}/revoke"))).form(&[("csrf", "wrong")]).send().await.expect("revoke");
    assert_eq!(r.status(), 403, "the CSRF token is checked");

    // Reset a password: errors at their fields, then done.
    let r = c
        .post(t.url("/settings/users/password"))
        .form(&[("csrf", csrf.as_str()), ("reset_user", "anna"), ("reset_password", "kurz"), ("reset_repeat", "kurz")])
        .send()
        .await
        .expect("reset");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"reset_password-error\""));
    let r = c
        .post(t.url("/settings/users/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reset_user", "anna"),
            ("reset_password", "Temporary-Pass-2026"),
            ("reset_repeat", "Temporary-Pass-2026"),
        ])
        .send()
        .await
        .expect("reset");
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().ok()), (303, Some("/settings/users?flash=password_reset")));
    assert_eq!(t.api_get(&anna, "/api/v1/me").await.0, 401);
    let page = c.get(t.url("/settings/users")).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("account-must_change"), "the status shows the pending change");

    // Disable and enable.
    let r = c.post(t.url("/settings/users/anna/disable")).form(&[("csrf", csrf.as_str())]).send().await.expect("disable");
    assert_eq!(r.status(), 303);
    let page = c.get(t.url("/settings/users?flash=user_disabled")).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("account-disabled") && page.contains("action=\"/settings/users/anna/enable\""));
    assert!(page.contains("Konto deaktiviert"), "the flash");
    // The DPO's access page marks the disabled account and counts live tokens.
    let _dora = t.user_token("dora", Role::Dpo).await;
    let (d, _) = signed_in_as(&t, "dora").await;
    let access = d.get(t.url("/privacy/users")).send().await.expect("page").text().await.expect("body");
    let row = &access[access.find("id=\"user-anna\"").expect("anna's row")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    assert!(row.contains("class=\"badge\"") && row.contains("live-tokens\">0<"), "{row}");
    let row = &access[access.find("id=\"user-dora\"").expect("dora's row")..];
    assert!(row[..row.find("</tr>").expect("end")].contains("live-tokens\">1<"));
    let r = c.post(t.url("/settings/users/anna/enable")).form(&[("csrf", csrf.as_str())]).send().await.expect("enable");
    assert_eq!(r.status(), 303);
    let page = c.get(t.url("/settings/users")).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("action=\"/settings/users/anna/disable\""));
}

/// In Chromium: an administrator creates a token (shown once), resets a password and disables
/// the account; the user is then led to change the password. Screenshots `offboarding-*.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_offboards_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("root", Role::Admin, PASSWORD).await;
    t.add_user("anna", Role::User, PASSWORD).await;
    let _old = t.token("anna").await;
    let b = Browser::open(&driver, &t.base).await;

    b.goto("/settings").await;
    b.sign_in("root", PASSWORD, "#accounts-link").await;
    b.click("#accounts-link").await;
    b.find("#account-table").await;
    assert_eq!(b.path().await, "/settings/users");

    b.choose("#token_user", "anna").await;
    b.fill("#token_label", "Newsletter-Export").await;
    b.submit("#token-form button[type=submit]", "#token-created").await;
    let secret = b.text("#new-token").await;
    assert!(secret.starts_with("obh_"), "{secret}");
    assert!(b.text("#token-table").await.contains("Newsletter-Export"));
    b.shot("offboarding-token-created").await;

    b.choose("#reset_user", "anna").await;
    b.fill("#reset_password", "Temporary-Pass-2026").await;
    b.fill("#reset_repeat", "Temporary-Pass-2026").await;
    b.submit("#reset-form button[type=submit]", ".flash").await;
    assert!(b.text("#account-anna").await.contains("muss Passwort ändern"));
    assert!(b.try_find("#token-table").await.is_none(), "anna's tokens are revoked");
    b.submit("#account-anna button[type=submit]", ".flash").await;
    assert!(b.text("#account-anna").await.contains("deaktiviert"));
    b.shot("offboarding-users").await;
    b.submit("#account-anna button[type=submit]", ".flash").await;
    assert!(b.text("#account-anna").await.contains("muss Passwort ändern"), "enabled again, the change still pending");

    // Anna signs in with the password set for her and is led to change it.
    b.submit("form[action=\"/logout\"] button", "form[action=\"/login\"]").await;
    b.goto("/contacts").await;
    b.sign_in("anna", "Temporary-Pass-2026", "#must-change-password").await;
    assert_eq!(b.path().await, "/settings#password", "led to the password form");
    b.shot("offboarding-must-change").await;
    b.fill("#current_password", "Temporary-Pass-2026").await;
    b.fill("#new_password", "Annas-Own-Password-1").await;
    b.fill("#repeat_password", "Annas-Own-Password-1").await;
    b.submit("#password button[type=submit]", ".flash").await;
    b.goto("/contacts").await;
    assert_eq!(b.path().await, "/contacts");
    b.close().await;
    drop(driver);
}

/// Verified tokens are kept in memory, but every change to users, tokens or processors in the
/// database, however it is made (here: plain SQL on a connection of its own, as another
/// process would), takes effect on the very next request.
async fn a_verified_token_kept_in_memory_yields_to_any_change_in_the_database(b: crate::common::Backend) {
    use sqlx::Connection;
    let t = spawn_app(b).await;
    let token = t.user_token("vera", Role::User).await;
    for _ in 0..3 {
        assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 200);
    }
    let url = match &t.pg_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}", t.dir.path().join("obhut.db").display()),
    };
    let mut other = sqlx::AnyConnection::connect(&url).await.expect("a connection of its own");
    // A role change is seen at once (the guest may not create contacts any more).
    sqlx::query("UPDATE users SET role = 'guest' WHERE username = 'vera'").execute(&mut other).await.expect("update");
    let (s, _) = t.api_post(&token, "/api/v1/contacts", json!({"family_name": "Nachher"})).await;
    assert_eq!(s, 403, "the role changed behind the server's back counts on the next request");
    // A revocation too.
    sqlx::query("UPDATE api_tokens SET revoked_at = 1").execute(&mut other).await.expect("revoke");
    assert_eq!(t.api_get(&token, "/api/v1/me").await.0, 401);
    // A token's last use decides nothing and leaves the counter alone.
    let epoch = |v: Option<(i64,)>| v.map_or(-1, |r| r.0);
    let before =
        epoch(sqlx::query_as("SELECT value FROM counters WHERE name = 'auth_epoch'").fetch_optional(&mut other).await.expect("epoch"));
    sqlx::query("UPDATE api_tokens SET last_used_at = 5").execute(&mut other).await.expect("touch");
    let after =
        epoch(sqlx::query_as("SELECT value FROM counters WHERE name = 'auth_epoch'").fetch_optional(&mut other).await.expect("epoch"));
    assert_eq!(before, after);
    assert!(before > 0, "the changes above moved the counter");
}
