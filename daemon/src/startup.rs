//! Start-up: connect, migrate, seed the demo university and the built-in workflows on first
//! start (printing one admin token), then serve HTTP until SIGTERM or Ctrl-C.

use crate::app::App;
use crate::settings::Settings;
use anyhow::{Context, Result};
use entities::{Migrator, MigratorTrait, store};
use std::sync::{Arc, RwLock};
use tokio::net::TcpListener;
use workflows::org::OrgDirectory;

/// A built daemon, bound to its port, not yet serving.
pub struct Application {
    /// Shared state.
    pub app: Arc<App>,
    listener: TcpListener,
    body_limit: usize,
    /// The HTTP limits and trusted proxies (`[server]`).
    server: crate::settings::Server,
    /// The admin token printed on first start, if this start created it.
    pub first_admin_token: Option<String>,
    /// The workers' settings, when jobs run in this process.
    pub jobs: Option<crate::jobs::Config>,
    /// Replies: the SMTP listener (bound), the IMAP mailbox, and how they are read.
    inbound: Option<InboundParts>,
}

struct InboundParts {
    inbound: crate::mail::inbound::Inbound,
    listener: Option<TcpListener>,
    limits: crate::mail::listener::Limits,
    imap: Option<crate::mail::imap::ImapSettings>,
    poll: std::time::Duration,
}

/// The inbound side the settings ask for, if any.
async fn inbound(settings: &Settings) -> Result<Option<InboundParts>> {
    let s = &settings.inbound;
    if !s.smtp_enabled && !s.imap_enabled {
        return Ok(None);
    }
    let dns = match s.dns_server.trim() {
        "" => None,
        d => Some(d.parse().map_err(|e| anyhow::anyhow!("bad setting inbound.dns_server `{d}`: {e}"))?),
    };
    let inbound = crate::mail::inbound::Inbound {
        domain: s.domain.trim().to_string(),
        max_size: s.max_size.max(1024),
        auth: std::sync::Arc::new(crate::mail::auth::Authenticator::new(dns, s.require_dmarc)?),
        received: Default::default(),
        stale_after_ms: settings.jobs.stale_after_ms.max(100),
    };
    let listener = if s.smtp_enabled { Some(crate::mail::listener::bind(&s.smtp_listen).await?) } else { None };
    let imap = s.imap_enabled.then(|| crate::mail::imap::ImapSettings {
        host: s.imap_host.clone(),
        port: s.imap_port,
        security: s.imap_security.clone(),
        username: s.imap_username.clone(),
        password: s.imap_password.clone(),
        mailbox: s.imap_mailbox.clone(),
        poll: std::time::Duration::from_millis(s.imap_poll_ms.max(100)),
    });
    let poll = std::time::Duration::from_millis(settings.jobs.poll_interval_ms.max(10));
    let limits = crate::mail::listener::Limits {
        max_sessions: s.smtp_max_sessions.max(1),
        max_recipients: s.smtp_max_recipients.max(1),
        max_line: s.smtp_max_line.max(1000),
    };
    Ok(Some(InboundParts { inbound, listener, limits, imap, poll }))
}

/// The mail transport the settings ask for.
pub fn transport(s: &Settings) -> Result<crate::mail::transport::Transport> {
    use crate::mail::transport::Transport;
    use crate::settings::{MailTransport, SmtpSecurity};
    use lettre::{
        AsyncSmtpTransport, Tokio1Executor, transport::smtp::PoolConfig, transport::smtp::authentication::Credentials,
    };
    let m = &s.mail;
    Ok(match m.transport {
        MailTransport::File => Transport::File(m.outbox_dir.clone().into()),
        MailTransport::Memory => Transport::Memory(Default::default()),
        MailTransport::Smtp => {
            let mut b = match m.smtp_security {
                SmtpSecurity::Starttls => {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&m.smtp_host).context("smtp_host")?
                }
                SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&m.smtp_host).context("smtp_host")?,
                SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&m.smtp_host),
            }
            .port(m.smtp_port)
            // one connection per delivery job that may run at once: a mail waits for a free
            // connection, not for another mail's round trips
            .pool_config(PoolConfig::new().max_size(crate::jobs::queue::CONCURRENCY as u32));
            if !m.smtp_username.is_empty() {
                b = b.credentials(Credentials::new(m.smtp_username.clone(), m.smtp_password.clone()));
            }
            Transport::Smtp(b.build())
        }
    })
}

/// Opens the database, migrates it, seeds it on first start and loads the org.
pub async fn open(settings: &Settings) -> Result<(Arc<App>, Option<String>)> {
    if let Some(path) = settings.database.url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p))
        && let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let db = store::connect(&settings.db_options())
        .await
        .with_context(|| "cannot open the database (see [database] url)")?;
    Migrator::up(&db, None).await.context("migrating the database")?;
    crate::jobs::queue::migrate(&db).await?;
    let first = !store::org::has_org(&db).await?;
    if first && settings.seed.demo {
        let org = match settings.seed.org {
            crate::settings::SeedOrg::Demo => {
                workflows::org::file::load_org(workflows::org::generate::DEMO_ORG_FILE)
                    .map_err(|e| anyhow::anyhow!("the shipped demo org does not load: {e:?}"))?
            }
            crate::settings::SeedOrg::Large => workflows::org::generate::large(workflows::org::generate::LARGE_SEED),
        };
        store::org::replace_org(&db, &org, |_, _| {}).await?;
    }
    let org = store::org::load_org(&db).await?;
    let app = Arc::new(App {
        write_gate: App::write_gate_for(&db),
        db,
        org: RwLock::new(Arc::new(OrgDirectory::new(org))),
        definitions: RwLock::new(Default::default()),
        calendar: settings.calendar.load()?,
        metrics: Default::default(),
        committed: Default::default(),
        public_url: settings.server.public_url.clone(),
        metrics_token_sha256: crate::http::metrics::token_hash_setting(
            settings.server.metrics_token_sha256.as_deref(),
        )?,
        logins: crate::web::limits::LoginLimits::new(
            settings.server.login_asks_per_client,
            settings.server.login_asks_total,
        ),
        duties: settings.duties.clone(),
        ledger: settings.ledger.clone(),
        ended_post_tasks: settings.org.ended_post_tasks()?,
        assessment: settings.assessment.clone(),
    });
    if let Some(w) = app.calendar_warning() {
        tracing::warn!(warning = %w, "working-day calendar");
    }
    app.seed_builtin_checklist().await.map_err(|e| anyhow::anyhow!("seeding the reporting checklist: {e}"))?;
    let mut token = None;
    let sync = app.sync_builtin_definitions().await.map_err(|e| anyhow::anyhow!("built-in definitions: {e}"))?;
    if !sync.published.is_empty() {
        tracing::info!(keys = ?sync.published, "published built-in definitions");
    }
    if !sync.kept.is_empty() {
        tracing::warn!(
            keys = ?sync.kept,
            "these built-in definitions changed in this release, but an admin's own version is newest and stays; \
             compare them with GET /api/v1/definitions/{{key}}/diff"
        );
    }
    if first && settings.seed.demo {
        if settings.seed.records && matches!(settings.seed.org, crate::settings::SeedOrg::Demo) {
            let n = app
                .seed_demo_records(crate::app::compliance::today())
                .await
                .map_err(|e| anyhow::anyhow!("seeding the demo's records: {e}"))?;
            tracing::info!(records = n, "seeded the demo university's records");
            let n = app
                .seed_demo_requests(chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("seeding the demo's requests: {e}"))?;
            tracing::info!(requests = n, "seeded the demo university's requests");
        }
        if matches!(settings.seed.org, crate::settings::SeedOrg::Demo) {
            // Last year's published assessment results, so the public page shows something.
            let last_year = chrono::Datelike::year(&crate::app::compliance::today()) - 1;
            app.seed_demo_assessment(last_year)
                .await
                .map_err(|e| anyhow::anyhow!("seeding the demo's assessment results: {e}"))?;
        }
        let admin = workflows::org::generate::demo_people::ADMIN;
        token = Some(app.create_token(admin, "first start", true).await.map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    Ok((app, token))
}

impl Application {
    /// Builds the daemon from its settings and binds the listener (port 0 picks a free one).
    pub async fn build(settings: &Settings) -> Result<Self> {
        let listener = TcpListener::bind(&settings.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        Self::build_on(settings, listener).await
    }

    /// Like `build`, on a listener bound by the caller (tests bind first, to know the
    /// `public_url` the pages' origin check compares with).
    pub async fn build_on(settings: &Settings, listener: TcpListener) -> Result<Self> {
        let (app, first_admin_token) = open(settings).await?;
        let jobs = if settings.jobs.enabled {
            Some(crate::jobs::Config {
                transport: transport(settings)?,
                from: settings.mail.from.clone(),
                public_url: settings.server.public_url.clone(),
                poll: std::time::Duration::from_millis(settings.jobs.poll_interval_ms.max(10)),
                max_attempts: settings.jobs.max_attempts.max(1),
                retry_base: std::time::Duration::from_millis(settings.jobs.retry_base_ms.max(1)),
                retry_max: std::time::Duration::from_millis(settings.jobs.retry_max_ms.max(1)),
                worker: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
                duties: settings.jobs.duties,
                duties_schedule: settings.jobs.duties_schedule.parse().map_err(|e| {
                    anyhow::anyhow!("bad setting jobs.duties_schedule `{}`: {e}", settings.jobs.duties_schedule)
                })?,
                stale_after_ms: settings.jobs.stale_after_ms.max(100),
                heartbeat: std::time::Duration::from_millis(settings.jobs.heartbeat_ms.max(100)),
                link_days: settings.inbound.link_days.max(1),
                reply_domain: settings.inbound.reply_domain(),
            })
        } else {
            None
        };
        let inbound = inbound(settings).await?;
        crate::http::client::TrustedProxies::parse(&settings.server.trusted_proxies)?;
        Ok(Self {
            app,
            listener,
            body_limit: settings.server.body_limit,
            server: settings.server.clone(),
            first_admin_token,
            jobs,
            inbound,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Where the reply listener listens, when it runs.
    pub fn inbound_addr(&self) -> Option<std::net::SocketAddr> {
        self.inbound.as_ref().and_then(|i| i.listener.as_ref()).and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, finishing requests in flight.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<()> {
        let trusted = crate::http::client::TrustedProxies::parse(&self.server.trusted_proxies)?;
        let router = crate::http::router(self.app.clone(), self.body_limit)
            .layer(axum::middleware::from_fn_with_state(
                std::time::Duration::from_millis(self.server.request_timeout_ms.max(1)),
                crate::http::serve::request_timeout,
            ))
            .layer(axum::Extension(trusted))
            .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(crate::http::serve::span));
        let limits = crate::http::serve::Limits {
            max_connections: self.server.max_connections.max(1),
            header_read_timeout: std::time::Duration::from_millis(self.server.header_read_timeout_ms.max(1)),
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut workers = match self.jobs {
            Some(cfg) => crate::jobs::spawn(self.app.clone(), cfg, stop_rx.clone()),
            None => Vec::new(),
        };
        if let Some(parts) = self.inbound {
            use crate::mail::inbound;
            let app = self.app.clone();
            if let Some(l) = parts.listener {
                let (ib, limits) = (parts.inbound.clone(), parts.limits);
                workers.push(tokio::spawn(crate::mail::listener::serve(app.clone(), ib, limits, l, stop_rx.clone())));
            }
            if let Some(imap) = parts.imap {
                let (app, ib, mut stop) = (app.clone(), parts.inbound.clone(), stop_rx.clone());
                workers.push(tokio::spawn(async move {
                    let keep = |raw: Vec<u8>| {
                        let (app, ib) = (app.clone(), ib.clone());
                        async move { inbound::keep(&app, &ib, raw).await }
                    };
                    let stopped = async move {
                        while !*stop.borrow() {
                            if stop.changed().await.is_err() {
                                break;
                            }
                        }
                    };
                    crate::mail::imap::run(imap, keep, stopped).await;
                }));
            }
            workers.push(tokio::spawn(inbound::work(app, parts.inbound, parts.poll, stop_rx)));
        }
        let served = crate::http::serve::serve(self.listener, router, limits, shutdown).await.context("serving HTTP");
        // Let the workers finish what they hold, then stop.
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called (inside the
/// runtime), not when the future is first polled, so a signal right after start is not missed.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
}
