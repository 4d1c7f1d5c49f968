//! Helpers of the end-to-end tests: a fresh database per test (SQLite file, PostgreSQL or
//! MariaDB database named per test, dropped afterwards) and the real daemon on port 0.

pub mod browser;
pub mod dkim;
pub mod dns;
pub mod dovecot;
pub mod proxy;
pub mod smtp;

use daemon::settings::Settings;
use daemon::startup::Application;
use entities::sea_orm::{ConnectionTrait, Statement};
use entities::store::{self, DbOptions};
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the machine's PostgreSQL.
    Postgres,
    /// A fresh database on the machine's MariaDB (no apalis storage builds for it: the relay
    /// delivers directly).
    Mariadb,
}

/// A running daemon with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The first-start admin token.
    pub admin_token: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// The daemon's state (its database, for tests that move time).
    pub app: std::sync::Arc<daemon::app::App>,
    /// Mail "sent" through the in-memory transport.
    pub mail: std::sync::Arc<std::sync::Mutex<Vec<lettre::Message>>>,
    /// The reply listener, when it runs.
    pub inbound: Option<std::net::SocketAddr>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    db_name: String,
    backend: Backend,
    file: Option<std::path::PathBuf>,
    owns_db: bool,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const MARIADB_ADMIN: &str = "mysql://root@127.0.0.1:3306/mysql";

/// Starts the real daemon on port 0 against a fresh database named after `test`.
pub async fn spawn(backend: Backend, test: &str) -> TestApp {
    spawn_with(backend, test, Vec::new()).await
}

/// Like `spawn`, with extra settings as `LIANDONG__…` variables.
pub async fn spawn_with(backend: Backend, test: &str, extra: Vec<(String, String)>) -> TestApp {
    spawn_through(backend, test, |url| url.to_string(), extra).await
}

/// Like `spawn_with`, with the daemon's database URL rewritten by `through` (e.g. to go through
/// a proxy); the test still creates and drops its own database directly.
pub async fn spawn_through(
    backend: Backend,
    test: &str,
    through: impl Fn(&str) -> String,
    extra: Vec<(String, String)>,
) -> TestApp {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let db_name = format!("ld_e2e_{test}_{}_{n}", std::process::id());
    let (url, file) = match backend {
        Backend::Sqlite => {
            let f = std::env::temp_dir().join(format!("{db_name}.sqlite"));
            (format!("sqlite://{}?mode=rwc", f.display()), Some(f))
        }
        Backend::Postgres => {
            let admin =
                store::connect(&DbOptions::new(PG_ADMIN)).await.expect("PostgreSQL is running on 127.0.0.1:5432");
            let q = |s: String| Statement::from_string(admin.get_database_backend(), s);
            admin.execute_raw(q(format!("DROP DATABASE IF EXISTS {db_name}"))).await.unwrap();
            admin.execute_raw(q(format!("CREATE DATABASE {db_name}"))).await.unwrap();
            (format!("postgres://postgres@127.0.0.1:5432/{db_name}"), None)
        }
        Backend::Mariadb => {
            let admin =
                store::connect(&DbOptions::new(MARIADB_ADMIN)).await.expect("MariaDB is running on 127.0.0.1:3306");
            let q = |s: String| Statement::from_string(admin.get_database_backend(), s);
            admin.execute_raw(q(format!("DROP DATABASE IF EXISTS {db_name}"))).await.unwrap();
            admin.execute_raw(q(format!("CREATE DATABASE {db_name} CHARACTER SET utf8mb4"))).await.unwrap();
            (format!("mysql://root@127.0.0.1:3306/{db_name}"), None)
        }
    };
    start(through(&url), db_name, backend, file, true, extra).await
}

/// Starts another daemon on the database of `first` (several daemons on one PostgreSQL).
pub async fn spawn_beside(first: &TestApp) -> TestApp {
    let url = match first.backend {
        Backend::Postgres => format!("postgres://postgres@127.0.0.1:5432/{}", first.db_name),
        Backend::Mariadb => format!("mysql://root@127.0.0.1:3306/{}", first.db_name),
        Backend::Sqlite => {
            format!("sqlite://{}?mode=rwc", first.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default())
        }
    };
    let mut t = start(url, first.db_name.clone(), first.backend, first.file.clone(), false, Vec::new()).await;
    t.admin_token = first.admin_token.clone();
    t
}

async fn start(
    url: String,
    db_name: String,
    backend: Backend,
    file: Option<std::path::PathBuf>,
    owns_db: bool,
    extra: Vec<(String, String)>,
) -> TestApp {
    // Bound first, so that `public_url` (the origin the pages' POSTs must come from, and the
    // base of the mails' links) is the real address unless the test names another.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings::load(
        &daemon::settings::config_dir(),
        Some("test"),
        None,
        [
            ("LIANDONG__DATABASE__URL".to_string(), url),
            ("LIANDONG__DATABASE__MAX_CONNECTIONS".to_string(), "8".to_string()),
            ("LIANDONG__SERVER__PUBLIC_URL".to_string(), public_url),
        ]
        .into_iter()
        .chain(extra)
        .collect(),
    )
    .expect("test settings");
    let app = Application::build_on(&settings, listener).await.expect("the daemon starts");
    let base = format!("http://{}", app.local_addr());
    let state = app.app.clone();
    let mail = match app.jobs.as_ref().map(|j| &j.transport) {
        Some(daemon::mail::transport::Transport::Memory(m)) => m.clone(),
        _ => Default::default(),
    };
    let admin_token = app.first_admin_token.clone().unwrap_or_default();
    let inbound = app.inbound_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.serve(async {
            let _ = rx.await;
        })
        .await
        .expect("serves");
    });
    TestApp {
        base,
        admin_token,
        http: reqwest::Client::new(),
        app: state,
        mail,
        inbound,
        shutdown: Some(tx),
        server: Some(server),
        db_name,
        backend,
        file,
        owns_db,
    }
}

impl TestApp {
    /// A token for `person`, made by the admin through the API.
    pub async fn token_for(&self, person: &str) -> String {
        let r = self.post(&self.admin_token, "/api/v1/tokens", serde_json::json!({ "person": person })).await;
        assert_eq!(r.0, 201, "{}", r.1);
        r.1["token"].as_str().unwrap().to_string()
    }

    /// POST JSON; returns (status, body).
    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.post_keyed(token, path, body, None).await
    }

    /// POST JSON with an `Idempotency-Key` when given; returns (status, body).
    pub async fn post_keyed(&self, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GET; returns (status, body).
    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Submits `form` to `workflow` as the holder of `token`; asserts 201 and returns the new
    /// request as the API answered it.
    pub async fn submit(&self, token: &str, workflow: &str, form: Value) -> Value {
        let (status, r) =
            self.post(token, "/api/v1/requests", serde_json::json!({ "workflow": workflow, "form": form })).await;
        assert_eq!(status, 201, "submit {workflow}: {r}");
        r
    }

    /// Decides every open task of request `id` as its assignee (approve, or acknowledge, with a
    /// short comment) until the request is finished; returns it.
    pub async fn approve_all(&self, id: &str) -> Value {
        for _ in 0..20 {
            let req = self.request(id).await;
            let Some(t) = req["open_tasks"].as_array().unwrap().first().cloned() else { return req };
            let token = self.token_for(t["assignee"].as_str().unwrap()).await;
            let task = t["task"].as_u64().unwrap();
            let (status, body) = if t["kind"] == "acknowledge" {
                let ack = serde_json::json!({ "comment": "已阅" });
                self.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"), ack).await
            } else {
                let decision = serde_json::json!({ "decision": "approve", "comment": "同意" });
                self.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/decision"), decision).await
            };
            assert_eq!(status, 200, "{}: {body}", t["step"]);
        }
        panic!("request {id} did not finish")
    }

    /// The request `id` as the admin sees it (`GET /api/v1/requests/{id}`).
    pub async fn request(&self, id: &str) -> Value {
        self.get(&self.admin_token, &format!("/api/v1/requests/{id}")).await.1
    }

    /// The org chart as the admin API exports it (YAML).
    pub async fn org_yaml(&self) -> String {
        let r = self.http.get(format!("{}/api/v1/org", self.base)).bearer_auth(&self.admin_token).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// Runs a `SELECT COUNT(*) AS n …` on the daemon's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = &self.app.db;
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// The apalis job table of this database.
    pub fn jobs_table(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "Jobs",
            Backend::Postgres => "apalis.jobs",
            Backend::Mariadb => panic!("no apalis job storage on MariaDB"),
        }
    }

    /// Waits (up to 60 s: a loaded two-core CI machine) until every notification has gone through a delivery job that apalis
    /// records as done; panics otherwise.
    pub async fn wait_for_delivery_jobs(&self) {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM {} j WHERE j.job_type = 'liandong.deliver' \
             AND j.status = 'Done' AND j.idempotency_key LIKE o.idempotency_key || '#%')",
            self.jobs_table()
        );
        for _ in 0..1200 {
            if self.count(&sql).await == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("some notifications have no delivery job done: {}", self.count(&sql).await);
    }

    /// Waits (up to 60 s: a loaded two-core CI machine) until `pred` holds for the mail sent so far.
    pub async fn wait_for_mail(&self, pred: impl Fn(&[lettre::Message]) -> bool) -> Vec<lettre::Message> {
        for _ in 0..1200 {
            let sent = self.mail.lock().map(|m| m.clone()).unwrap_or_default();
            if pred(&sent) {
                return sent;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the expected mail did not arrive within 10 s");
    }

    /// Stops the daemon and drops its database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        if !self.owns_db {
            return;
        }
        match self.backend {
            Backend::Postgres => {
                let admin = store::connect(&DbOptions::new(PG_ADMIN)).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db_name);
                admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await.unwrap();
            }
            Backend::Mariadb => {
                let admin = store::connect(&DbOptions::new(MARIADB_ADMIN)).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {}", self.db_name);
                admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await.unwrap();
            }
            Backend::Sqlite => {
                if let Some(f) = &self.file {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
                    }
                }
            }
        }
    }
}
