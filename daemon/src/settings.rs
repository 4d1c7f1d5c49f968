//! Settings: `config/default.toml` → `config/$LIANDONG_ENV.toml` → `--config FILE` →
//! `LIANDONG__SECTION__KEY` environment variables, into one typed `Settings`. Nothing else reads
//! the environment. Unknown keys and bad values stop start-up with a message naming them.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP.
    pub server: Server,
    /// Database.
    pub database: Database,
    /// First-start seeding.
    pub seed: Seed,
    /// Logging.
    pub log: Log,
    /// Mail.
    pub mail: Mail,
    /// Background jobs.
    pub jobs: Jobs,
    /// Decisions from mail: action links and replies.
    pub inbound: Inbound,
    /// Working-day calendar files.
    #[serde(default)]
    pub calendar: Calendar,
    /// Thresholds and windows of the org checks and periodic duties (domain.md §3 [default]s).
    #[serde(default)]
    pub duties: workflows::org::checks::CheckSettings,
    /// The liaisons' work ledger (M2 工作台账).
    #[serde(default)]
    pub ledger: Ledger,
    /// The org's posts.
    #[serde(default)]
    pub org: OrgSettings,
    /// The annual assessment (M10 年度考核).
    #[serde(default)]
    pub assessment: Assessment,
    /// The semester duty review (M10 述职评议).
    #[serde(default)]
    pub duty_review: DutyReview,
}

/// `[assessment]`: the annual assessment of department SUs (M10 年度考核).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Assessment {
    /// The lowest weighted total graded 好.
    pub good: f64,
    /// The lowest weighted total graded 较好.
    pub fairly_good: f64,
    /// The lowest weighted total graded 一般 (below it: 差).
    pub average: f64,
    /// How many more award recommendations (评先评优名额) a department graded 好 gets.
    pub award_quota_raise: u32,
    /// The roles in the school SU whose holders fill score sheets (the presidium).
    pub assessor_roles: Vec<workflows::catalog::Role>,
}

impl Default for Assessment {
    fn default() -> Self {
        let t = workflows::assessment::Thresholds::default();
        use workflows::catalog::Role;
        Self {
            good: t.good,
            fairly_good: t.fairly_good,
            average: t.average,
            award_quota_raise: 1,
            assessor_roles: vec![Role::President, Role::VicePresident, Role::ExecutivePresident],
        }
    }
}

impl Assessment {
    /// The grade thresholds.
    pub fn thresholds(&self) -> workflows::assessment::Thresholds {
        workflows::assessment::Thresholds { good: self.good, fairly_good: self.fairly_good, average: self.average }
    }
}

/// `[duty_review]`: the semester duty review (M10 述职评议).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DutyReview {
    /// A review panel must have strictly more than this share of class representatives (default
    /// 0.5: more than half, the policy's 以各班级学生代表为主); a duty review submitted to a panel
    /// that does not is refused (422 `panel_composition`) and the panel is a compliance finding
    /// (`m10_panel_composition`). From 0 to 1 (exclusive).
    pub class_rep_share: f64,
}

impl Default for DutyReview {
    fn default() -> Self {
        Self { class_rep_share: 0.5 }
    }
}

/// `[ledger]`: the liaisons' work ledger (M2 工作台账).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ledger {
    /// Days after writing an entry during which its author may edit it (then 409
    /// `ledger_entry_locked`: it is a record). 0: never.
    pub edit_days: u32,
    /// Longest `problem`, `help` or `resolution`, in characters.
    pub max_text_chars: u32,
}

impl Default for Ledger {
    fn default() -> Self {
        Self { edit_days: 7, max_text_chars: 2000 }
    }
}

/// `[org]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrgSettings {
    /// Where the daily check sends the open tasks of a post whose `to:` date has passed (issue
    /// 10): `selector` (the step's reviewers again, on today's org: the post's successor) or
    /// `person:<id>`.
    pub ended_post_tasks: String,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self { ended_post_tasks: "selector".into() }
    }
}

impl OrgSettings {
    /// `ended_post_tasks` read, or what is wrong with it.
    pub fn ended_post_tasks(&self) -> Result<workflows::engine::Reassign> {
        crate::app::App::parse_move_open_tasks(&self.ended_post_tasks).map_err(|_| {
            anyhow::anyhow!(
                "bad setting org.ended_post_tasks `{}`: say `selector` or `person:<id>`",
                self.ended_post_tasks
            )
        })
    }
}

/// `[calendar]`: the State Council's holidays and 调休 days, one YAML file per year.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// A directory of year files (`2027.yaml`, the format of `workflows/calendar/`), read at start
    /// on top of the built-in years (a year found here replaces the built-in one). Empty: the
    /// built-in years only. A file that does not read stops start-up with its `file:line:col`.
    pub dir: String,
}

impl Calendar {
    /// The working-day calendar these settings ask for.
    pub fn load(&self) -> Result<workflows::WorkCalendar> {
        let dir = self.dir.trim();
        if dir.is_empty() {
            return Ok(workflows::WorkCalendar::builtin());
        }
        workflows::WorkCalendar::with_dir(Path::new(dir)).map_err(|errs| {
            let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("bad setting calendar.dir `{dir}`: {}", shown.join("; "))
        })
    }
}

/// `[inbound]`: decisions from mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    /// Days a task mail's links and reply address work.
    pub link_days: i64,
    /// The domain of reply addresses, `reply+<token>@<domain>` (an MTA relays it to us); empty:
    /// mails carry no reply address.
    pub domain: String,
    /// Run the SMTP listener that receives replies.
    pub smtp_enabled: bool,
    /// Its address.
    pub smtp_listen: String,
    /// The largest message it takes, in bytes.
    pub max_size: usize,
    /// A reply counts only if DKIM and DMARC pass for its From: domain.
    pub require_dmarc: bool,
    /// The DNS server asked for DKIM keys and DMARC records (`ip:port`); empty: the system's.
    pub dns_server: String,
    /// Poll an IMAP mailbox for replies (instead of, or besides, the listener).
    pub imap_enabled: bool,
    /// IMAP host.
    pub imap_host: String,
    /// IMAP port.
    pub imap_port: u16,
    /// `tls` (implicit), `starttls` or `none` (loopback tests only).
    pub imap_security: String,
    /// IMAP user.
    pub imap_username: String,
    /// IMAP password (never logged).
    pub imap_password: String,
    /// The mailbox polled.
    pub imap_mailbox: String,
    /// How often, in ms.
    pub imap_poll_ms: u64,
    /// SMTP sessions at once; one more is refused (`421 4.3.2`).
    pub smtp_max_sessions: usize,
    /// Reply addresses in one message; one more is deferred (`452 4.5.3`).
    pub smtp_max_recipients: usize,
    /// The longest line of a message, in bytes; a longer one refuses the message (`552 5.3.4`).
    pub smtp_max_line: usize,
}

impl Inbound {
    /// Whether mails carry a reply address: a domain, and a way for replies to reach us.
    pub fn reply_domain(&self) -> Option<String> {
        (!self.domain.trim().is_empty() && (self.smtp_enabled || self.imap_enabled))
            .then(|| self.domain.trim().to_string())
    }
}

/// `[mail]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    /// `file` (the default: `.eml` files in `outbox_dir`), `smtp`, or `memory` (tests).
    pub transport: MailTransport,
    /// Where the file transport writes.
    pub outbox_dir: String,
    /// The sender, e.g. `联动 <liandong@example.edu.cn>`.
    pub from: String,
    /// SMTP relay host.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// `starttls`, `tls` (implicit) or `none` (loopback test sinks only).
    pub smtp_security: SmtpSecurity,
    /// SMTP user name (empty: no authentication).
    pub smtp_username: String,
    /// SMTP password (never logged).
    pub smtp_password: String,
}

/// Mail transports.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// `.eml` files.
    File,
    /// SMTP.
    Smtp,
    /// In memory.
    Memory,
}

/// SMTP connection security.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS on a plain connection.
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// No TLS.
    None,
}

/// `[jobs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jobs {
    /// Run the mail and timer workers in this process.
    pub enabled: bool,
    /// How often the workers look for due work, in ms.
    pub poll_interval_ms: u64,
    /// Delivery attempts before a failure is final.
    pub max_attempts: i32,
    /// Delay before the first retry of a failed delivery, in ms; each next one doubles.
    pub retry_base_ms: u64,
    /// The longest delay between two delivery attempts, in ms.
    pub retry_max_ms: u64,
    /// Send the periodic duty reminders (M2, M4, M9).
    pub duties: bool,
    /// When to look at the periodic duties: cron with seconds, in Asia/Shanghai.
    pub duties_schedule: String,
    /// A timer claim older than this (ms) was cut short by a crash and is taken again.
    pub stale_after_ms: i64,
    /// How often a job worker tells the job storage it is alive (ms); the jobs of a worker
    /// silent for two heartbeats (a killed daemon) are taken up by another.
    pub heartbeat_ms: u64,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Listen address.
    pub listen: String,
    /// Base URL in links.
    pub public_url: String,
    /// Largest body in bytes.
    pub body_limit: usize,
    /// Time a client has to send a request's line and headers, in ms (slow-loris, idle sockets).
    pub header_read_timeout_ms: u64,
    /// Time a whole request may take, body included, in ms; then 408.
    pub request_timeout_ms: u64,
    /// Open HTTP connections at most; one more is closed at once.
    pub max_connections: usize,
    /// Proxies whose `X-Forwarded-For` names the client (IPs or CIDRs); from anyone else the
    /// header is ignored and the peer's address is recorded.
    pub trusted_proxies: Vec<String>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>` whose SHA-256 (64 hex
    /// digits) this is (make one: `printf %s "$TOKEN" | sha256sum`); unset, it is open (the quick
    /// start). Only the hash is kept, and it is compared in constant time.
    #[serde(default)]
    pub metrics_token_sha256: Option<String>,
    /// Login links one client (peer address) may ask for in an hour (`POST /login`).
    pub login_asks_per_client: u32,
    /// Login links everyone together may ask for in an hour.
    pub login_asks_total: u32,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Connection URL.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// SQLite `synchronous`.
    pub sqlite_synchronous: Synchronous,
    /// SQLite busy timeout in ms.
    pub sqlite_busy_timeout_ms: u64,
    /// How long a command waits for a database connection before the API answers 503, in ms.
    pub acquire_timeout_ms: u64,
}

/// SQLite's `synchronous` settings we allow.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Synchronous {
    /// Every commit is durable.
    Full,
    /// Durable at checkpoints (faster; a power cut may lose the last commits).
    Normal,
}

/// `[seed]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Load the demo university and the built-in workflows on first start.
    pub demo: bool,
    /// Which university `demo` loads: `demo` (the shipped Nanyue demo) or `large` (the large
    /// synthetic one: 60 departments, 4,000 classes, 150,000 students; for benchmarks).
    #[serde(default)]
    pub org: SeedOrg,
    /// With the demo university (`org = "demo"`), also write its records as they stand on the
    /// first day (`workflows::compliance::demo::demo_records_on`: the planted defects left
    /// out), so its compliance report shows those defects and nobody is reminded of what is done;
    /// and its planted requests (`workflows::compliance::demo_runs`: the late branch B, a
    /// congress proposal in each status, the M9 reports made on time), as real requests.
    /// Default true; the tests turn it off and write the records they need.
    #[serde(default = "yes")]
    pub records: bool,
}

fn yes() -> bool {
    true
}

/// The university seeded on first start.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SeedOrg {
    /// The shipped demo university.
    #[default]
    Demo,
    /// The large synthetic university.
    Large,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info`.
    pub level: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the settings files are: `config/` beside the working directory, else beside the crate.
pub fn config_dir() -> PathBuf {
    let here = PathBuf::from("config");
    if here.join("default.toml").exists() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../config"))
}

impl Settings {
    /// Loads the layers; `env` is `$LIANDONG_ENV` and `vars` the environment (passed in for tests).
    pub fn load(dir: &Path, env: Option<&str>, file: Option<&Path>, vars: Vec<(String, String)>) -> Result<Self> {
        let mut b = config::Config::builder().add_source(config::File::from(dir.join("default.toml")));
        if let Some(e) = env {
            b = b.add_source(config::File::from(dir.join(format!("{e}.toml"))).required(false));
        }
        if let Some(f) = file {
            b = b.add_source(config::File::from(f.to_path_buf()).required(true));
        }
        let source: std::collections::HashMap<String, String> = vars.into_iter().collect();
        b = b.add_source(
            config::Environment::with_prefix("LIANDONG")
                .prefix_separator("__")
                .separator("__")
                .source(Some(source))
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("server.trusted_proxies"),
        );
        let cfg = b.build().context("reading the settings")?;
        let mut s = cfg.try_deserialize::<Settings>().map_err(|e| anyhow::anyhow!("bad setting: {e}"))?;
        let share = s.duty_review.class_rep_share;
        anyhow::ensure!(
            share.is_finite() && (0.0..1.0).contains(&share),
            "bad setting duty_review.class_rep_share: {share} is not a share from 0 to 1 (e.g. 0.5)"
        );
        s.duties.panel_class_rep_share = share;
        let problems = s.duties.problems();
        anyhow::ensure!(problems.is_empty(), "bad setting duties: {}", problems.join("; "));
        let problems = s.assessment.thresholds().problems();
        anyhow::ensure!(problems.is_empty(), "bad setting assessment: {}", problems.join("; "));
        s.org.ended_post_tasks()?;
        Ok(s)
    }

    /// Loads from the process: `LIANDONG_ENV`, `--config`, `LIANDONG__…`.
    pub fn from_process(file: Option<&Path>) -> Result<Self> {
        let env = std::env::var("LIANDONG_ENV").ok();
        let vars: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("LIANDONG__")).collect();
        Self::load(&config_dir(), env.as_deref(), file, vars)
    }

    /// The database options for the store.
    pub fn db_options(&self) -> entities::store::DbOptions {
        entities::store::DbOptions {
            url: self.database.url.clone(),
            max_connections: self.database.max_connections,
            sqlite_synchronous: format!("{:?}", self.database.sqlite_synchronous).to_uppercase(),
            sqlite_busy_timeout: std::time::Duration::from_millis(self.database.sqlite_busy_timeout_ms),
            acquire_timeout: std::time::Duration::from_millis(self.database.acquire_timeout_ms.max(100)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = config_dir();
        let s = Settings::load(&dir, Some("test"), None, vec![("LIANDOG__IGNORED".into(), "x".into())]).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:0", "test.toml over default.toml");
        assert_eq!(s.database.sqlite_synchronous, Synchronous::Full);
        let s =
            Settings::load(&dir, None, None, vec![("LIANDONG__DATABASE__MAX_CONNECTIONS".into(), "3".into())]).unwrap();
        assert_eq!(s.database.max_connections, 3, "the environment wins");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = config_dir();
        let tmp = std::env::temp_dir().join(format!("liandong-settings-{}.toml", std::process::id()));
        std::fs::write(&tmp, "[server]\nlisten_addr = \"x\"\n").unwrap();
        let e = Settings::load(&dir, None, Some(&tmp), vec![]).unwrap_err().to_string();
        assert!(e.contains("listen_addr"), "{e}");
        let e = Settings::load(
            &dir,
            None,
            None,
            vec![("LIANDONG__DATABASE__SQLITE_SYNCHRONOUS".into(), "SOMETIMES".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("SOMETIMES") || e.contains("sqlite_synchronous"), "{e}");
        let e = Settings::load(&dir, None, None, vec![("LIANDONG__ORG__ENDED_POST_TASKS".into(), "nobody".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("org.ended_post_tasks") && e.contains("nobody"), "{e}");
        let _ = std::fs::remove_file(tmp);
    }

    #[test]
    fn duty_thresholds_and_the_calendar_are_settings() {
        let dir = config_dir();
        let s = Settings::load(&dir, None, None, vec![]).unwrap();
        assert_eq!(s.duties, workflows::org::checks::CheckSettings::default(), "default.toml says the defaults");
        assert_eq!(s.org.ended_post_tasks().unwrap(), workflows::engine::Reassign::Selector);
        let s = Settings::load(
            &dir,
            None,
            None,
            vec![
                ("LIANDONG__DUTIES__LEDGER_SILENT_DAYS".into(), "45".into()),
                ("LIANDONG__DUTIES__ANNUAL_REPORT_FROM".into(), "11-01".into()),
            ],
        )
        .unwrap();
        assert_eq!((s.duties.ledger_silent_days, s.duties.annual_report_from.as_str()), (45, "11-01"));
        let e = Settings::load(&dir, None, None, vec![("LIANDONG__DUTIES__ANNUAL_REPORT_TO".into(), "12-45".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("annual_report_to"), "{e}");
        let e = Settings::load(&dir, None, None, vec![("LIANDONG__CALENDAR__DIR".into(), "/nonexistent/cal".into())])
            .unwrap()
            .calendar
            .load()
            .unwrap_err()
            .to_string();
        assert!(e.contains("calendar.dir") && e.contains("/nonexistent/cal"), "{e}");
    }

    #[test]
    fn the_ledger_edit_window_is_a_setting() {
        let dir = config_dir();
        let s = Settings::load(&dir, None, None, vec![]).unwrap();
        assert_eq!(s.ledger, Ledger::default(), "default.toml says the defaults");
        assert_eq!(s.assessment, Assessment::default(), "default.toml says the defaults");
        assert_eq!(s.ledger.edit_days, 7);
        let s = Settings::load(&dir, None, None, vec![("LIANDONG__LEDGER__EDIT_DAYS".into(), "0".into())]).unwrap();
        assert_eq!(s.ledger.edit_days, 0);
        let e = Settings::load(&dir, None, None, vec![("LIANDONG__LEDGER__EDIT_DAYS".into(), "-1".into())]);
        assert!(e.is_err());
    }
}
