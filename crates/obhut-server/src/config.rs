//! Configuration: one typed struct, built from defaults, then a TOML file, then the
//! environment (`OBHUT_*`), then command-line flags, and passed through application state.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the server listens; loopback unless told otherwise.
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…`; none means SQLite in the data directory.
    pub database_url: Option<String>,
    /// A file holding the master key in hex; none means `DATA_DIR/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// The base of links in mails and the setup link, e.g. `https://crm.example.de`.
    pub public_url: Option<String>,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// Idle lifetime of a login session in minutes.
    pub session_minutes: i64,
    /// Absolute lifetime of a login session in hours, however busy it is.
    pub session_absolute_hours: i64,
    /// Proxies (CIDR blocks or single addresses) whose `Forwarded` / `X-Forwarded-For` header
    /// names the client; from any other peer those headers are ignored.
    #[serde(deserialize_with = "nets")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Failed sign-ins one client network (/24, /56) may make before each further one waits.
    pub login_failures_per_network: i64,
    /// Seconds a client may take to send a request's headers before its connection is closed.
    pub header_read_timeout_secs: u64,
    /// Most open connections from one client address (excess ones are closed at once); a
    /// trusted proxy is not limited.
    pub max_connections_per_ip: usize,
    /// A bearer token that opens `/metrics` on the public listener; without it (and without
    /// `metrics_listen`) `/metrics` answers 401.
    pub metrics_token: Option<secrecy::SecretString>,
    /// A separate address that serves `/metrics` alone, without a token (e.g. 127.0.0.1:9100).
    pub metrics_listen: Option<SocketAddr>,
    /// Hours a mail the file transport wrote into `DATA_DIR/outbox/` is kept; then it is removed.
    pub outbox_file_hours: i64,
    /// Argon2id memory in KiB (tests lower it).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Most connections in the database pool.
    pub max_connections: u32,
    /// Days the details of read events (who read whose data, which fields, why) are kept;
    /// afterwards they are emptied and only the time, the action and their digest stay in the
    /// audit chain. 0 keeps them for good.
    pub read_log_retention_days: u32,
    /// Whether the server applies the retention rules by itself once a day (the sweep can
    /// always be run by hand). On by default; `OBHUT_RETENTION_SWEEP=off` turns it off.
    pub retention_sweep: bool,
    /// Where mail goes: `smtp://host:port`, `smtps://…` or `smtp://…?tls=required`, with
    /// `user:password@` if the server wants a login. None writes each mail as a `.eml` file
    /// into `DATA_DIR/outbox/`.
    pub smtp_url: Option<String>,
    /// The sender of Obhut's mails; none: the controller's address from the registry.
    pub mail_from: Option<String>,
    /// Seconds an SMTP server may take to answer before the attempt counts as failed (and is retried).
    pub smtp_timeout_secs: u64,
    /// Hours a double opt-in link stays valid.
    pub consent_token_hours: i64,
    /// Most double opt-in requests one address receives per day.
    pub consent_requests_per_day: i64,
    /// Months after which a consent given (or last used) comes up for review.
    pub consent_review_months: i64,
    /// Postal advertising needs consent too (instead of legitimate interest until objection).
    pub post_requires_consent: bool,
    /// The support mailbox the customers' answers to tickets are fetched from:
    /// `imap://user:password@host:143/INBOX` or `imaps://…:993/…` (the path names the
    /// folder, INBOX by default). None: answers are not fetched.
    pub imap_url: Option<String>,
    /// The address replies to tickets name as Reply-To (the support mailbox's address).
    pub support_address: Option<String>,
    /// Hours until a ticket's next answer is due, per priority.
    pub ticket_sla: obhut_core::ticket::Sla,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("obhut-data"),
            database_url: None,
            master_key_file: None,
            public_url: None,
            log_json: false,
            session_minutes: 8 * 60,
            session_absolute_hours: 12,
            trusted_proxies: Vec::new(),
            login_failures_per_network: 20,
            header_read_timeout_secs: 10,
            max_connections_per_ip: 64,
            metrics_token: None,
            metrics_listen: None,
            outbox_file_hours: 24,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            max_connections: 16,
            read_log_retention_days: 365,
            retention_sweep: true,
            smtp_url: None,
            mail_from: None,
            smtp_timeout_secs: 20,
            consent_token_hours: 7 * 24,
            consent_requests_per_day: 3,
            consent_review_months: 24,
            post_requires_consent: false,
            imap_url: None,
            support_address: None,
            ticket_sla: obhut_core::ticket::Sla::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(obhut_store::redact_url))
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(obhut_store::redact_url))
            .field("imap_url", &self.imap_url.as_deref().map(obhut_store::redact_url))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("metrics_listen", &self.metrics_listen)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
}

impl Config {
    /// Defaults, then the file (if given, or `DATA_DIR/obhut.toml` if present), then the environment.
    pub fn load(file: Option<&std::path::Path>, data_dir: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut cfg = Config::default();
        if let Some(d) = data_dir {
            cfg.data_dir = d.to_path_buf();
        }
        let implicit = cfg.data_dir.join("obhut.toml");
        let path = file.map(|p| p.to_path_buf()).or_else(|| implicit.exists().then_some(implicit));
        if let Some(p) = path {
            let text =
                std::fs::read_to_string(&p).map_err(|e| ConfigError::File { path: p.display().to_string(), message: e.to_string() })?;
            let keep_dir = cfg.data_dir.clone();
            cfg = toml::from_str(&text).map_err(|e| ConfigError::File { path: p.display().to_string(), message: e.to_string() })?;
            if data_dir.is_some() {
                cfg.data_dir = keep_dir;
            }
        }
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let bad = |name: &str, message: String| ConfigError::Env { name: name.into(), message };
        if let Some(v) = get("OBHUT_LISTEN") {
            self.listen = v.parse().map_err(|_| bad("OBHUT_LISTEN", format!("'{v}' is not an address such as 127.0.0.1:8080")))?;
        }
        if let Some(v) = get("OBHUT_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("OBHUT_DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database_url = Some(v);
        }
        if let Some(v) = get("OBHUT_MASTER_KEY_FILE") {
            self.master_key_file = Some(v.into());
        }
        if let Some(v) = get("OBHUT_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("OBHUT_READ_LOG_RETENTION_DAYS") {
            self.read_log_retention_days = v.parse().map_err(|_| {
                bad("OBHUT_READ_LOG_RETENTION_DAYS", format!("'{v}' is not a number of days (0 keeps read events for good)"))
            })?;
        }
        if let Some(v) = get("OBHUT_RETENTION_SWEEP") {
            self.retention_sweep = match v.trim().to_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => return Err(bad("OBHUT_RETENTION_SWEEP", format!("'{v}' is not on or off"))),
            };
        }
        if let Some(v) = get("OBHUT_SMTP_URL").filter(|v| !v.is_empty()) {
            self.smtp_url = Some(v);
        }
        if let Some(v) = get("OBHUT_MAIL_FROM").filter(|v| !v.is_empty()) {
            self.mail_from = Some(v);
        }
        if let Some(v) = get("OBHUT_IMAP_URL").filter(|v| !v.is_empty()) {
            if !(v.starts_with("imap://") || v.starts_with("imaps://")) {
                return Err(bad("OBHUT_IMAP_URL", format!("'{}' is not an imap:// or imaps:// URL", obhut_store::redact_url(&v))));
            }
            self.imap_url = Some(v);
        }
        if let Some(v) = get("OBHUT_SUPPORT_ADDRESS").filter(|v| !v.is_empty()) {
            if obhut_core::email::EmailAddress::parse(&v).is_err() {
                return Err(bad("OBHUT_SUPPORT_ADDRESS", format!("'{v}' is not an email address")));
            }
            self.support_address = Some(v);
        }
        if let Some(v) = get("OBHUT_TICKET_SLA_HOURS") {
            self.ticket_sla = obhut_core::ticket::Sla::parse(&v).map_err(|m| bad("OBHUT_TICKET_SLA_HOURS", m))?;
        }
        let number = |name: &str, min: i64| -> Result<Option<i64>, ConfigError> {
            match get(name) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if n >= min => Ok(Some(n)),
                    _ => Err(bad(name, format!("'{v}' is not a whole number of at least {min}"))),
                },
            }
        };
        if let Some(n) = number("OBHUT_CONSENT_TOKEN_HOURS", 1)? {
            self.consent_token_hours = n;
        }
        if let Some(n) = number("OBHUT_CONSENT_REQUESTS_PER_DAY", 1)? {
            self.consent_requests_per_day = n;
        }
        if let Some(n) = number("OBHUT_CONSENT_REVIEW_MONTHS", 1)? {
            self.consent_review_months = n;
        }
        if let Some(v) = get("OBHUT_POST_REQUIRES_CONSENT") {
            self.post_requires_consent = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("OBHUT_TRUSTED_PROXIES") {
            self.trusted_proxies = parse_nets(&v).map_err(|m| bad("OBHUT_TRUSTED_PROXIES", m))?;
        }
        if let Some(n) = number("OBHUT_SESSION_ABSOLUTE_HOURS", 1)? {
            self.session_absolute_hours = n;
        }
        if let Some(n) = number("OBHUT_LOGIN_FAILURES_PER_NETWORK", 1)? {
            self.login_failures_per_network = n;
        }
        if let Some(n) = number("OBHUT_HEADER_READ_TIMEOUT_SECS", 1)? {
            self.header_read_timeout_secs = n as u64;
        }
        if let Some(n) = number("OBHUT_MAX_CONNECTIONS_PER_IP", 1)? {
            self.max_connections_per_ip = n as usize;
        }
        if let Some(n) = number("OBHUT_OUTBOX_FILE_HOURS", 0)? {
            self.outbox_file_hours = n;
        }
        if let Some(v) = get("OBHUT_METRICS_TOKEN").filter(|v| !v.is_empty()) {
            if v.len() < 16 {
                return Err(bad("OBHUT_METRICS_TOKEN", "use at least 16 characters".into()));
            }
            self.metrics_token = Some(v.into());
        }
        if let Some(v) = get("OBHUT_METRICS_LISTEN").filter(|v| !v.is_empty()) {
            self.metrics_listen =
                Some(v.parse().map_err(|_| bad("OBHUT_METRICS_LISTEN", format!("'{v}' is not an address such as 127.0.0.1:9100")))?);
        }
        if let Some(v) = get("OBHUT_LOG_JSON") {
            self.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(())
    }

    /// Whether the public URL is https: then cookies are `Secure` and `__Host-`, and HSTS is sent.
    pub fn is_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The base URL for links: the configured public URL, else the listen address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn store_options(&self) -> obhut_store::StoreOptions {
        let master_key = match (&self.master_key_file, std::env::var("OBHUT_MASTER_KEY").ok()) {
            (_, Some(hex)) if !hex.is_empty() => obhut_store::MasterKeySource::Hex(hex.into()),
            (Some(f), _) => obhut_store::MasterKeySource::File(f.clone()),
            _ => obhut_store::MasterKeySource::DataDir(self.data_dir.clone()),
        };
        obhut_store::StoreOptions {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            master_key,
            max_connections: self.max_connections,
        }
    }
}

/// CIDR blocks or single addresses, separated by commas or spaces: `10.0.0.0/8, ::1`.
pub fn parse_nets(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split([',', ' ', '\t', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(parse_net).collect()
}

fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{s}' is neither an address nor a CIDR block such as 10.0.0.0/8"))
}

/// `trusted_proxies` in the file: a list of strings, or one string of them.
fn nets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Nets {
        One(String),
        Many(Vec<String>),
    }
    let text = match Nets::deserialize(d)? {
        Nets::One(s) => s,
        Nets::Many(v) => v.join(","),
    };
    parse_nets(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let mut c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        c.apply_env(|k| (k == "OBHUT_LISTEN").then(|| "127.0.0.1:9999".to_string())).unwrap_or_default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9999");
        let e = c.apply_env(|k| (k == "OBHUT_LISTEN").then(|| "nope".to_string()));
        assert!(matches!(e, Err(ConfigError::Env { .. })));
    }

    #[test]
    fn trusted_proxies_are_blocks_or_single_addresses() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "OBHUT_TRUSTED_PROXIES").then(|| "10.1.2.3/8, 192.0.2.7 ::1".to_string())).unwrap_or_default();
        let shown: Vec<String> = c.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "::1/128"]);
        assert!(c.apply_env(|k| (k == "OBHUT_TRUSTED_PROXIES").then(|| "10.0.0.0/33".to_string())).is_err());
        let file: Config = toml::from_str("trusted_proxies = [\"172.16.0.0/12\"]\nmetrics_listen = \"127.0.0.1:9100\"").unwrap_or_default();
        assert_eq!(file.trusted_proxies.len(), 1);
        assert_eq!(file.metrics_listen.map(|a| a.port()), Some(9100));
    }
}
