//! The benchmark program (`../shared/docs/benchmarks.md`): it probes the machine's limits (pgbench,
//! a SQLite commit loop) before and after, runs the real `liandong` daemon (release build) under
//! load from its own HTTP client (8 closed-loop clients, bounded in time and count, loopback
//! only), runs the peers (SpiffWorkflow, graphile-worker) in the same run, and writes
//! `BENCHMARKS.md`: each figure, its limit, the ratio, the target, the database, the date.
//!
//! `cargo run --release -p liandong-tests --bin bench -- [--seconds 10] [--only B1,B2] [--out BENCHMARKS.md]`

use anyhow::{Context, Result, bail};
use entities::sea_orm::{ConnectionTrait, Statement};
use entities::store::{self, DbOptions};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod more;
mod scale;

const PG: &str = "postgres://postgres@127.0.0.1:5432";

/// The loopback SMTP sink every daemon of the run sends its mail to (set once in `main`).
static SMTP_PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
const CLIENTS: usize = 8;

/// The two-step approval every B1 client drives: two reviewers in turn, each step with a due time
/// and a reminder, so every decision writes events, outbox and timer rows.
const TWO_STEP: &str = r#"
key: bench_two_step
version: 1
name: { zh: 两级审批（基准测试）, en: Two-step approval (benchmark) }
form:
  title: { type: text, max: 200, required: true, label: { zh: 标题, en: Title } }
start: first
steps:
  first:
    label: { zh: 第一级审批, en: First approval }
    approve: { who: { person: T0102 } }
    due: 3wd
    remind: [50%]
    next: { approve: second, reject: rejected }
  second:
    label: { zh: 第二级审批, en: Second approval }
    approve: { who: { person: T0101 } }
    due: 3wd
    remind: [50%]
    next: { approve: approved, reject: rejected }
  approved: { label: { zh: 已通过, en: Approved }, end: approved }
  rejected: { label: { zh: 未通过, en: Rejected }, end: rejected }
"#;

struct Args {
    seconds: u64,
    only: Option<Vec<String>>,
    out: PathBuf,
}

fn args() -> Args {
    let mut a = Args { seconds: 10, only: None, out: PathBuf::from("BENCHMARKS.md") };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(10),
            "--only" => a.only = it.next().map(|v| v.split(',').map(|s| s.trim().to_uppercase()).collect()),
            "--out" => a.out = it.next().map(PathBuf::from).unwrap_or(a.out),
            _ => {}
        }
    }
    a
}

/// The daemon's build: `release`, or `debug` when `LIANDONG_BENCH_DEBUG=1` (to try the program
/// out quickly; its figures mean nothing).
fn profile() -> &'static str {
    if std::env::var("LIANDONG_BENCH_DEBUG").is_ok_and(|v| v == "1") { "debug" } else { "release" }
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

// ---------------------------------------------------------------- limits

#[derive(Debug, Clone, Default)]
struct Limits {
    pg_insert_c8: f64,
    pg_insert_c1: f64,
    pg_select_c8: f64,
    sqlite_full: f64,
    sqlite_normal: f64,
}

fn psql(db: &str, sql: &str) -> Result<()> {
    let st = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .context("psql")?;
    if !st.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

fn pgbench(db: &str, args: &[&str]) -> Result<f64> {
    let out = Command::new("pgbench")
        .args(["-h", "127.0.0.1", "-U", "postgres"])
        .args(args)
        .arg(db)
        .output()
        .context("pgbench (Debian's postgresql-client)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
        .with_context(|| format!("no tps in pgbench output: {text}{}", String::from_utf8_lossy(&out.stderr)))
}

async fn sqlite_commits(sync: &str, seconds: f64) -> Result<f64> {
    use entities::sea_orm::sqlx;
    let file = std::env::temp_dir().join(format!("ld_bench_probe_{}_{sync}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(if sync == "FULL" {
            sqlx::sqlite::SqliteSynchronous::Full
        } else {
            sqlx::sqlite::SqliteSynchronous::Normal
        });
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)").execute(&pool).await?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO t (v) VALUES (1)").execute(&mut *tx).await?;
        tx.commit().await?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    pool.close().await;
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", file.display()));
    }
    Ok(rate)
}

async fn limits(seconds: u64) -> Result<Limits> {
    let db = format!("ld_bench_probe_{}", std::process::id());
    psql("postgres", &format!("DROP DATABASE IF EXISTS {db}"))?;
    psql("postgres", &format!("CREATE DATABASE {db}"))?;
    psql(&db, "CREATE TABLE t (id bigserial PRIMARY KEY, v int)")?;
    let script = std::env::temp_dir().join(format!("ld_bench_insert_{}.sql", std::process::id()));
    std::fs::write(&script, "INSERT INTO t (v) VALUES (1);\n")?;
    let t = seconds.to_string();
    let s = script.display().to_string();
    let c8 = pgbench(&db, &["-n", "-c", "8", "-j", "2", "-T", &t, "-f", &s])?;
    let c1 = pgbench(&db, &["-n", "-c", "1", "-j", "1", "-T", &t, "-f", &s])?;
    let init = Command::new("pgbench").args(["-h", "127.0.0.1", "-U", "postgres", "-i", "-q", &db]).output()?;
    if !init.status.success() {
        bail!("pgbench -i failed");
    }
    let sel = pgbench(&db, &["-S", "-c", "8", "-j", "2", "-T", &t])?;
    psql("postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    let _ = std::fs::remove_file(script);
    let probe = (seconds as f64 / 3.0).max(1.0);
    Ok(Limits {
        pg_insert_c8: c8,
        pg_insert_c1: c1,
        pg_select_c8: sel,
        sqlite_full: sqlite_commits("FULL", probe).await?,
        sqlite_normal: sqlite_commits("NORMAL", probe).await?,
    })
}

// ---------------------------------------------------------------- the daemon

struct Daemon {
    child: Child,
    base: String,
    admin: String,
    ready_ms: u64,
    dir: PathBuf,
    pg: Option<String>,
    keep_dir: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Db {
    SqliteFull,
    SqliteNormal,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::SqliteFull => "SQLite (WAL, synchronous=FULL)",
            Db::SqliteNormal => "SQLite (WAL, synchronous=NORMAL)",
            Db::Postgres => "PostgreSQL 15",
        }
    }
}

fn start(db: Db, tag: &str, extra: &[(&str, &str)]) -> Result<Daemon> {
    start_on(db, tag, extra, true)
}

/// Starts the daemon on a scratch database (`fresh`: made anew, else the one `tag` names).
fn start_on(db: Db, tag: &str, extra: &[(&str, &str)], fresh: bool) -> Result<Daemon> {
    start_named(db, tag, &format!("{tag}_{}", fresh as u8), extra, fresh)
}

/// `start_on`, with its own scratch directory `dir_tag` (several daemons on one database).
fn start_named(db: Db, tag: &str, dir_tag: &str, extra: &[(&str, &str)], fresh: bool) -> Result<Daemon> {
    let dir = std::env::temp_dir().join(format!("ld_bench_{dir_tag}_{}", std::process::id()));
    if fresh {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir)?;
    let (url, pg) = match db {
        Db::Postgres => {
            let name = format!("ld_bench_{tag}_{}", std::process::id());
            if fresh {
                psql("postgres", &format!("DROP DATABASE IF EXISTS {name}"))?;
                psql("postgres", &format!("CREATE DATABASE {name}"))?;
            }
            (format!("{PG}/{name}"), Some(name))
        }
        _ => (format!("sqlite://{}/liandong.sqlite?mode=rwc", dir.display()), None),
    };
    // the release build of `main`, in the target directory cargo uses
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let exe = target.join(profile()).join("liandong");
    let mut cmd = Command::new(&exe);
    cmd.arg("serve")
        .current_dir(root())
        .env("LIANDONG__DATABASE__URL", &url)
        .env("LIANDONG__DATABASE__SQLITE_SYNCHRONOUS", if db == Db::SqliteNormal { "NORMAL" } else { "FULL" })
        .env("LIANDONG__SERVER__LISTEN", "127.0.0.1:0")
        .env("LIANDONG__MAIL__TRANSPORT", "file")
        .env("LIANDONG__MAIL__OUTBOX_DIR", dir.join("outbox"))
        .env("LIANDONG__JOBS__DUTIES", "false")
        .env("LIANDONG__LOG__LEVEL", "error")
        .stdout(Stdio::piped());
    // Mail goes to the run's loopback SMTP sink, as it would to a real relay.
    if let Some(port) = SMTP_PORT.get() {
        cmd.env("LIANDONG__MAIL__TRANSPORT", "smtp")
            .env("LIANDONG__MAIL__SMTP_HOST", "127.0.0.1")
            .env("LIANDONG__MAIL__SMTP_PORT", port.to_string())
            .env("LIANDONG__MAIL__SMTP_SECURITY", "none");
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().with_context(|| format!("starting {}", exe.display()))?;
    let mut out = std::io::BufReader::new(child.stdout.take().context("stdout")?);
    let (mut admin, mut base, mut ready_ms) = (String::new(), String::new(), 0);
    let mut line = String::new();
    while out.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(t) = line.split_whitespace().find(|w| w.starts_with("ld_")) {
            admin = t.to_string();
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            base = rest.split_whitespace().next().unwrap_or_default().to_string();
            ready_ms = line
                .split("ready in ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            break;
        }
        line.clear();
    }
    if base.is_empty() {
        bail!("the daemon did not start");
    }
    // keep draining its stdout
    std::thread::spawn(move || for _ in out.lines() {});
    Ok(Daemon { child, base, admin, ready_ms, dir, pg, keep_dir: false })
}

impl Daemon {
    /// CPU seconds (user + system) the daemon has used so far.
    fn cpu_s(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // fields after the command name, which ends with the last ')'
        let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
        (ticks(11) + ticks(12)) / 100.0
    }

    fn rss_kb(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        if let Some(name) = &self.pg {
            let _ = psql("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Result<(u16, Value)> {
    let r = http.post(url).bearer_auth(token).json(&body).send().await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

async fn token(http: &reqwest::Client, d: &Daemon, person: &str) -> Result<String> {
    let (_, v) = post(http, format!("{}/api/v1/tokens", d.base), &d.admin, json!({ "person": person })).await?;
    v["token"].as_str().map(String::from).context("a token")
}

/// Publishes a benchmark workflow.
async fn publish(http: &reqwest::Client, d: &Daemon, yaml: &str) -> Result<()> {
    let (s, v) =
        post(http, format!("{}/api/v1/definitions", d.base), &d.admin, json!({ "yaml": yaml, "publish": true }))
            .await?;
    if s != 201 {
        bail!("publishing a benchmark workflow: {s} {v}");
    }
    Ok(())
}

/// A connection to a PostgreSQL daemon's scratch database.
async fn connect_pg(d: &Daemon) -> Result<entities::sea_orm::DatabaseConnection> {
    let name = d.pg.as_ref().context("a PostgreSQL daemon")?;
    Ok(store::connect(&DbOptions::new(format!("{PG}/{name}"))).await?)
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

// ---------------------------------------------------------------- B1 / B3 / B8

struct Throughput {
    decisions: usize,
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    rss_max_kb: u64,
    /// CPU the daemon spent per decision (user + system), in ms: its mail work included.
    cpu_ms: f64,
    /// The daemon's CPU use over the run, in cores.
    cores: f64,
}

/// 8 closed-loop clients decide pre-submitted two-step requests for `seconds`.
async fn decisions(d: &Daemon, seconds: u64) -> Result<Throughput> {
    let p = prepare_decisions(d, seconds).await?;
    run_decisions(d, p, seconds).await
}

/// What B1's clients decide: requests submitted beforehand (not timed), split among the clients.
struct Prepared {
    http: reqwest::Client,
    first: String,
    second: String,
    per_client: Vec<Vec<(String, u64)>>,
}

/// Publishes the two-step workflow and submits enough requests for `seconds` of B1.
async fn prepare_decisions(d: &Daemon, seconds: u64) -> Result<Prepared> {
    let http = reqwest::Client::new();
    publish(&http, d, TWO_STEP).await?;
    let submitter = token(&http, d, "2023010201").await?;
    let first = token(&http, d, "T0102").await?;
    let second = token(&http, d, "T0101").await?;
    // submit (not timed): enough for the run, bounded
    let want = 600 * seconds as usize;
    let queue: Arc<std::sync::Mutex<Vec<(String, u64)>>> = Arc::default();
    let setup_deadline = Instant::now() + Duration::from_secs(30);
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let (http, base, tok, q) = (http.clone(), d.base.clone(), submitter.clone(), queue.clone());
        handles.push(tokio::spawn(async move {
            let mut i = 0;
            while i < want / CLIENTS && Instant::now() < setup_deadline {
                let body = json!({ "workflow": "bench_two_step", "form": { "title": format!("基准 {c}-{i}") } });
                if let Ok((201, v)) = post(&http, format!("{base}/api/v1/requests"), &tok, body).await
                    && let (Some(id), Some(task)) = (v["id"].as_str(), v["open_tasks"][0]["task"].as_u64())
                {
                    q.lock().unwrap().push((id.to_string(), task));
                }
                i += 1;
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    let requests: Vec<(String, u64)> = std::mem::take(&mut *queue.lock().unwrap());
    let per_client: Vec<Vec<(String, u64)>> =
        (0..CLIENTS).map(|c| requests.iter().skip(c).step_by(CLIENTS).cloned().collect()).collect();
    Ok(Prepared { http, first, second, per_client })
}

/// Runs B1's closed loop on prepared requests for `seconds`.
async fn run_decisions(d: &Daemon, p: Prepared, seconds: u64) -> Result<Throughput> {
    let Prepared { http, first, second, per_client } = p;
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let latencies: Arc<std::sync::Mutex<Vec<f64>>> = Arc::default();
    let cpu0 = d.cpu_s();
    let start = Instant::now();
    let mut handles = Vec::new();
    for mine in per_client {
        let (http, base) = (http.clone(), d.base.clone());
        let (first, second, stop, count, lat) =
            (first.clone(), second.clone(), stop.clone(), count.clone(), latencies.clone());
        handles.push(tokio::spawn(async move {
            for (id, task) in mine {
                let mut next = Some((task, first.clone()));
                while let Some((task, tok)) = next.take() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let t0 = Instant::now();
                    let url = format!("{base}/api/v1/requests/{id}/tasks/{task}/decision");
                    if let Ok((200, v)) = post(&http, url, &tok, json!({ "decision": "approve" })).await {
                        lat.lock().unwrap().push(t0.elapsed().as_secs_f64() * 1e3);
                        count.fetch_add(1, Ordering::Relaxed);
                        if tok == first {
                            next = v["open_tasks"][0]["task"].as_u64().map(|t| (t, second.clone()));
                        }
                    }
                }
            }
        }));
    }
    let mut rss_max = 0;
    while start.elapsed() < Duration::from_secs(seconds) && !handles.iter().all(|h| h.is_finished()) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rss_max = rss_max.max(d.rss_kb());
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = d.cpu_s() - cpu0;
    for h in handles {
        h.await?;
    }
    let n = count.load(Ordering::Relaxed);
    let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
    Ok(Throughput {
        decisions: n,
        per_s: n as f64 / elapsed,
        p50_ms: quantile(&mut lat, 0.5),
        p99_ms: quantile(&mut lat, 0.99),
        rss_max_kb: rss_max,
        cpu_ms: cpu * 1e3 / n.max(1) as f64,
        cores: cpu / elapsed,
    })
}

// ---------------------------------------------------------------- B2

/// One client: submit the M1 dual report and decide every step, `n` times.
async fn full_request(d: &Daemon, n: usize) -> Result<(f64, f64, usize)> {
    let http = reqwest::Client::new();
    let president = token(&http, d, "2023010201").await?;
    let mut tokens = std::collections::HashMap::new();
    let mut times = Vec::new();
    let mut commands = 0;
    for i in 0..n {
        let t0 = Instant::now();
        let form =
            json!({ "kind": "report", "matter_type": "reform_progress", "title": format!("报告 {i}"), "body": "……" });
        let (s, mut v) = post(
            &http,
            format!("{}/api/v1/requests", d.base),
            &president,
            json!({ "workflow": "major_matter_report", "form": form }),
        )
        .await?;
        if s != 201 {
            bail!("submit: {s} {v}");
        }
        let mut steps = 1;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        while let Some(t) = v["open_tasks"].as_array().and_then(|a| a.first()).cloned() {
            let who = t["assignee"].as_str().unwrap_or_default().to_string();
            if !tokens.contains_key(&who) {
                let tk = token(&http, d, &who).await?;
                tokens.insert(who.clone(), tk);
            }
            let (path, body) = if t["kind"] == "acknowledge" {
                (format!("{}/api/v1/requests/{id}/tasks/{}/acknowledge", d.base, t["task"]), json!({}))
            } else {
                (
                    format!("{}/api/v1/requests/{id}/tasks/{}/decision", d.base, t["task"]),
                    json!({ "decision": "approve" }),
                )
            };
            let (s, nv) = post(&http, path, &tokens[&who], body).await?;
            if s != 200 {
                bail!("decide: {s} {nv}");
            }
            v = nv;
            steps += 1;
        }
        if i > 0 {
            // the first one pays for tokens and caches
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        commands = steps;
    }
    Ok((quantile(&mut times.clone(), 0.5), quantile(&mut times, 0.99), commands))
}

// ---------------------------------------------------------------- B4

/// Drains `n` queued notifications to a loopback SMTP sink: the seconds from start to the last.
async fn drain(n: usize) -> Result<(f64, usize)> {
    let sink = liandong_tests::smtp::start().await;
    // set up the schema and the demo org with jobs off, then queue the notices (not timed)
    let setup = start(Db::Postgres, "drain", &[("LIANDONG__JOBS__ENABLED", "false")])?;
    let db = connect_pg(&setup).await?;
    let people: Vec<String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM org_people".to_string()))
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String>("", "id").ok())
        .collect();
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..n {
        let notice = workflows::duties::Notice {
            duty: workflows::duties::Duty::AnnualReport,
            period: format!("bench-{i}"),
            person: people[i % people.len()].clone(),
            title: workflows::catalog::Label { zh: "基准测试".into(), en: "Benchmark".into() },
            detail: workflows::catalog::Label { zh: "基准测试邮件".into(), en: "Benchmark mail".into() },
        };
        store::jobs::record_duty(&db, &notice, "zh", now).await?;
    }
    let port = sink.port.to_string();
    setup.stop_keep();
    let d2 = start_on(
        Db::Postgres,
        "drain",
        &[
            ("LIANDONG__MAIL__TRANSPORT", "smtp"),
            ("LIANDONG__MAIL__SMTP_HOST", "127.0.0.1"),
            ("LIANDONG__MAIL__SMTP_PORT", &port),
            ("LIANDONG__MAIL__SMTP_SECURITY", "none"),
            ("LIANDONG__JOBS__POLL_INTERVAL_MS", "100"),
        ],
        false,
    )?;
    let t0 = Instant::now();
    let cpu0 = d2.cpu_s();
    let deadline = t0 + Duration::from_secs(300);
    while sink.received.lock().map(|r| r.len()).unwrap_or(0) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!("   daemon CPU while draining: {:.2} cores", (d2.cpu_s() - cpu0) / secs);
    let got = sink.received.lock().map(|r| r.len()).unwrap_or(0);
    db.close().await?;
    d2.stop();
    Ok((secs, got))
}

impl Daemon {
    /// Stops the daemon but keeps its database (for the next one).
    fn stop_keep(mut self) {
        self.pg = None;
        self.keep_dir = true;
        self.stop();
    }
}

// ---------------------------------------------------------------- peers

fn peer(cmd: &str, args: &[&str]) -> Option<Value> {
    let out = Command::new(cmd).args(args).current_dir(root()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok())
}

// ---------------------------------------------------------------- report

struct Row {
    id: &'static str,
    what: String,
    figure: String,
    limit: String,
    ratio: String,
    target: String,
    verdict: &'static str,
    db: String,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let a = args();
    let run = |id: &str| a.only.as_ref().is_none_or(|o| o.iter().any(|x| x == id));
    let started = Instant::now();
    eprintln!("== building the release daemon");
    let mut build = Command::new("cargo");
    build.args(["build", "-p", "daemon", "--bin", "liandong"]).current_dir(root());
    if profile() == "release" {
        build.arg("--release");
    }
    // `cargo run` gave this process its package's CARGO_* variables; build scripts and proc
    // macros that watch them would see a change and rebuild half the dependency tree.
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_")
            && !matches!(k.as_str(), "CARGO_HOME" | "CARGO_TARGET_DIR" | "CARGO_BUILD_JOBS" | "CARGO_TERM_COLOR")
        {
            build.env_remove(k);
        }
    }
    let st = build.status()?;
    if !st.success() {
        bail!("cargo build --release -p daemon failed");
    }
    let sink = liandong_tests::smtp::start().await;
    let _ = SMTP_PORT.set(sink.port);
    eprintln!("== limits (before)");
    let before = limits(a.seconds).await?;
    eprintln!("{before:?}");
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let spiff = if run("B1") {
        eprintln!("== peer: SpiffWorkflow");
        let py = root().join("bench/peers/.venv/bin/python");
        let secs = a.seconds.to_string();
        let db = std::env::temp_dir().join(format!("ld_bench_spiff_{}.sqlite", std::process::id()));
        peer(
            py.to_str().unwrap_or("python3"),
            &[
                "bench/peers/spiff_approval.py",
                "--clients",
                "8",
                "--seconds",
                &secs,
                "--db",
                db.to_str().unwrap_or("spiff.sqlite"),
            ],
        )
    } else {
        None
    };
    let mut b1_full = None;
    for db in [Db::SqliteFull, Db::SqliteNormal, Db::Postgres] {
        let needed = run("B1") || (db == Db::SqliteFull && (run("B3") || run("B8")));
        if !needed {
            continue;
        }
        eprintln!("== B1 on {}", db.name());
        // B8: the first start seeds the demo university; the figures are of a restart on it
        // (how a daemon usually starts), after a second of idling
        let first = start_named(db, "b1", "b1", &[], true)?;
        let (first_ready, first_idle) = (first.ready_ms, first.rss_kb());
        let admin = first.admin.clone();
        first.stop_keep();
        let mut d = start_named(db, "b1", "b1", &[], false)?;
        d.admin = admin;
        d.keep_dir = false;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = d.rss_kb();
        let ready = d.ready_ms;
        let t = decisions(&d, a.seconds).await?;
        d.stop();
        let (limit, limit_name, target) = match db {
            Db::SqliteFull => (before.sqlite_full, "SQLite FULL commits/s", 0.5),
            Db::SqliteNormal => (before.sqlite_normal, "SQLite NORMAL commits/s", 0.15),
            Db::Postgres => (before.pg_insert_c8, "pgbench INSERT c8 tps", 0.5),
        };
        let ratio = t.per_s / limit;
        rows.push(Row {
            id: "B1",
            what: "durable decisions/s over HTTP, 8 clients".into(),
            figure: format!(
                "{:.0}/s (p50 {:.1} ms, p99 {:.1} ms, {} decisions; daemon CPU {:.2} ms per decision, {:.2} cores)",
                t.per_s, t.p50_ms, t.p99_ms, t.decisions, t.cpu_ms, t.cores
            ),
            limit: format!("{limit:.0} ({limit_name})"),
            ratio: format!("{ratio:.2}×"),
            target: format!("≥ {target}×"),
            verdict: verdict(ratio >= target),
            db: db.name().into(),
        });
        if db == Db::SqliteFull {
            b1_full = Some(t.per_s);
            if let Some(s) = spiff.as_ref().and_then(|s| s["decisions_per_s"].as_f64()) {
                let r = t.per_s / s;
                rows.push(Row {
                    id: "B1",
                    what: "vs SpiffWorkflow (same two-step approval, SQLite persistence, 8 clients)".into(),
                    figure: format!("{:.0}/s", t.per_s),
                    limit: format!(
                        "{s:.0}/s SpiffWorkflow {}",
                        spiff.as_ref().and_then(|x| x["version"].as_str()).unwrap_or("")
                    ),
                    ratio: format!("{r:.1}×"),
                    target: "≥ 3×".into(),
                    verdict: verdict(r >= 3.0),
                    db: db.name().into(),
                });
            } else if run("B1") {
                notes.push("SpiffWorkflow did not run: `bash bench/peers/install.sh` installs it.".into());
            }
            rows.push(Row {
                id: "B8",
                what: "footprint".into(),
                figure: format!(
                    "idle RSS {:.1} MB; RSS under B1 {:.1} MB; start to ready {ready} ms (first start, seeding the demo university: {first_ready} ms, {:.1} MB)",
                    idle as f64 / 1024.0,
                    t.rss_max_kb as f64 / 1024.0,
                    first_idle as f64 / 1024.0
                ),
                limit: "—".into(),
                ratio: "—".into(),
                target: "< 40 MB; < 150 MB; < 300 ms".into(),
                verdict: verdict(idle < 40 * 1024 && t.rss_max_kb < 150 * 1024 && ready < 300),
                db: db.name().into(),
            });
        }
    }
    if run("B3") {
        eprintln!("== B3: B1 with mail and timers off");
        let d = start(Db::SqliteFull, "b3", &[("LIANDONG__JOBS__ENABLED", "false")])?;
        let off = decisions(&d, a.seconds).await?;
        d.stop();
        if let Some(on) = b1_full {
            let r = on / off.per_s;
            rows.push(Row {
                id: "B3",
                what: "cost of outbox and timers: B1 with jobs on vs off".into(),
                figure: format!("{on:.0}/s on, {:.0}/s off", off.per_s),
                limit: "B1 with jobs off".into(),
                ratio: format!("{r:.2}×"),
                target: "≥ 0.8×".into(),
                verdict: verdict(r >= 0.8),
                db: Db::SqliteFull.name().into(),
            });
        }
    }
    if run("B2") {
        eprintln!("== B2: one full M1 request, one client");
        let d = start(Db::SqliteFull, "b2", &[])?;
        let (p50, p99, commands) = full_request(&d, 41).await?;
        d.stop();
        let commit_ms = 1e3 / before.sqlite_full;
        let bound = commands as f64 * commit_ms + 2.0;
        rows.push(Row {
            id: "B2",
            what: format!("one M1 request, submit → every step decided ({commands} commands), 1 client"),
            figure: format!("p50 {p50:.1} ms, p99 {p99:.1} ms"),
            limit: format!("{commands} × {commit_ms:.2} ms commit + 2 ms = {bound:.1} ms"),
            ratio: format!("p50 {:.2}× of bound; p99/p50 {:.1}", p50 / bound, p99 / p50.max(1e-9)),
            target: "p50 ≤ bound; p99 ≤ 4 × p50".into(),
            verdict: verdict(p50 <= bound && p99 <= 4.0 * p50),
            db: Db::SqliteFull.name().into(),
        });
    }
    if run("B4") {
        eprintln!("== B4: 10,000 notifications to a loopback SMTP sink");
        let (secs, got) = drain(10_000).await?;
        let ours = got as f64 / secs;
        eprintln!("== peer: graphile-worker");
        let g = peer("node", &["bench/peers/graphile/drain.mjs", "--jobs", "10000", "--pg", &format!("{PG}/postgres")]);
        let (limit, ratio, ok) = match g.as_ref().and_then(|g| g["jobs_per_s"].as_f64()) {
            Some(j) => (
                format!(
                    "{j:.0} jobs/s graphile-worker {}",
                    g.as_ref().and_then(|x| x["version"].as_str()).unwrap_or("")
                ),
                format!("{:.2}×", ours / j),
                ours / j >= 1.5,
            ),
            None => {
                notes.push("graphile-worker did not run: `bash bench/peers/install.sh` installs it.".into());
                ("graphile-worker not run".into(), "—".into(), false)
            }
        };
        rows.push(Row {
            id: "B4",
            what: format!("mail drained: {got} of 10,000 queued notifications over SMTP (pooled)"),
            figure: format!("{ours:.0}/s ({secs:.1} s)"),
            limit,
            ratio,
            target: "≥ 1.5× graphile-worker".into(),
            verdict: verdict(ok && got == 10_000),
            db: Db::Postgres.name().into(),
        });
    }
    if run("B5") {
        eprintln!("== B5: 10,000 reminders due within 10 s, two daemons, one killed with SIGKILL halfway");
        let t = more::timers(10_000).await?;
        let bound = t.poll_ms as f64 + 100.0;
        rows.push(Row {
            id: "B5",
            what: format!(
                "timers: {} reminders due within 10 s, 2 daemons, one kill -9'd halfway and restarted",
                t.timers
            ),
            figure: format!(
                "lateness p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {} fired, {} missed, {} fired twice; {} reminder mails, {} requests with more than one",
                t.p50_ms, t.p99_ms, t.max_ms, t.fired, t.missed, t.duplicates, t.mails, t.duplicate_mails
            ),
            limit: format!("due time; poll {} ms", t.poll_ms),
            ratio: format!("p99 {:.2}× of bound", t.p99_ms / bound),
            target: format!("p99 ≤ poll + 100 ms = {bound:.0} ms; 0 missed; 0 duplicates"),
            verdict: verdict(
                t.p99_ms <= bound && t.missed == 0 && t.duplicates == 0 && t.duplicate_mails == 0 && t.fired == t.timers,
            ),
            db: Db::Postgres.name().into(),
        });
    }
    if run("B6") {
        eprintln!("== B6: inbox reads with 100,000 open requests, 8 clients; then with B1 beside");
        let i = more::inbox(100_000, a.seconds).await?;
        let ratio = i.reads_per_s / before.pg_select_c8;
        rows.push(Row {
            id: "B6",
            what: format!("inbox reads `GET /api/v1/tasks?assignee=me`, {} open requests, 8 clients", i.open_requests),
            figure: format!(
                "{:.0}/s (p50 {:.1} ms, p99 {:.1} ms); with B1 beside: {:.0}/s, p99 {:.1} ms (B1 beside: {:.0} decisions/s, p99 {:.1} ms)",
                i.reads_per_s, i.p50_ms, i.p99_ms, i.beside_reads_per_s, i.beside_p99_ms, i.b1.per_s, i.b1.p99_ms
            ),
            limit: format!("{:.0} (pgbench -S c8 tps)", before.pg_select_c8),
            ratio: format!("{ratio:.2}×; p99 beside/alone {:.2}", i.beside_p99_ms / i.p99_ms.max(1e-9)),
            target: "≥ 0.3×, p99 < 10 ms, p99 beside B1 < 2× alone".into(),
            verdict: verdict(ratio >= 0.3 && i.p99_ms < 10.0 && i.beside_p99_ms < 2.0 * i.p99_ms),
            db: Db::Postgres.name().into(),
        });
    }
    if run("B7") {
        eprintln!("== B7: submit on the demo university vs the large synthetic one");
        let o = more::org_scale(300).await?;
        let ratio = o.large.0 / o.demo.0.max(1e-9);
        rows.push(Row {
            id: "B7",
            what: format!(
                "submit p50, 1 client, reviewers resolved through the submitter's department: large university ({} people) vs demo",
                o.people
            ),
            figure: format!(
                "large p50 {:.2} ms (p99 {:.2}); demo p50 {:.2} ms (p99 {:.2}); large start to ready (first start, seeding) {} ms",
                o.large.0, o.large.1, o.demo.0, o.demo.1, o.large_ready_ms
            ),
            limit: "itself on the demo university".into(),
            ratio: format!("{ratio:.2}"),
            target: "≤ 1.2".into(),
            verdict: verdict(ratio <= 1.2),
            db: Db::SqliteFull.name().into(),
        });
    }
    if run("B9") {
        eprintln!("== B9: the compliance report of the large university");
        let c = more::compliance_scale(5);
        rows.push(Row {
            id: "B9",
            what: format!(
                "compliance report (workflows::compliance::findings, every rule) of the large university: {} liaison pairs with a latest ledger entry, {} trainee attendances, {} findings",
                c.pairs, c.trainees, c.findings
            ),
            figure: format!("p50 {:.0} ms, slowest of 5 {:.0} ms", c.p50_ms, c.max_ms),
            limit: "2 s (the issue's limit)".into(),
            ratio: format!("{:.2}", c.max_ms / 2000.0),
            target: "< 2 s".into(),
            verdict: verdict(c.max_ms < 2000.0),
            db: "— (pure; the records in memory)".into(),
        });
        eprintln!(
            "== B9: the same over HTTP, with a year of ledger entries in a SQLite FULL daemon; then ledger entries added"
        );
        let c = scale::compliance_http(400_000, 5, 200).await?;
        let mut times = c.report_ms.clone();
        let (p50, max) = (quantile(&mut times.clone(), 0.5), quantile(&mut times, 1.0));
        rows.push(Row {
            id: "B9",
            what: format!(
                "compliance report `GET /api/v1/compliance` (full, every rule) of the large university: {} liaison pairs, {} ledger entries over a year, {} trainees this semester ({} attendances over three semesters; loaded through the store in {:.0} s, not timed); {} findings",
                c.pairs, c.entries, c.trainees, c.attendances, c.bulk_s, c.findings
            ),
            figure: format!(
                "p50 {p50:.0} ms, slowest of {} {max:.0} ms (first {:.0} ms; {:.0} kB of JSON); beside it on the same file: `load_set` {:.0} ms, the checks {:.0} ms",
                c.report_ms.len(),
                c.report_ms.first().copied().unwrap_or(0.0),
                c.report_bytes as f64 / 1e3,
                c.load_set_ms,
                c.checks_ms
            ),
            limit: "2 s (issue 11)".into(),
            ratio: format!("{:.2}", max / 2000.0),
            target: "< 2 s".into(),
            verdict: verdict(max < 2000.0),
            db: Db::SqliteFull.name().into(),
        });
        let commit_ms = 1e3 / before.sqlite_full;
        let bound = 2.0 * commit_ms;
        let mut add = c.add_ms.clone();
        let (a50, a99) = (quantile(&mut add.clone(), 0.5), quantile(&mut add, 0.99));
        rows.push(Row {
            id: "B9",
            what: format!(
                "one ledger entry `POST /api/v1/ledger` (one transaction) into that store ({} entries), 1 client, {} entries",
                c.entries,
                c.add_ms.len()
            ),
            figure: format!("p50 {a50:.2} ms, p99 {a99:.2} ms"),
            limit: format!("2 × {commit_ms:.2} ms (SQLite FULL commit) = {bound:.2} ms"),
            ratio: format!("p50 {:.2}× of bound", a50 / bound),
            target: "p50 ≤ 2 commits' time".into(),
            verdict: verdict(a50 <= bound),
            db: Db::SqliteFull.name().into(),
        });
    }
    eprintln!("== limits (after)");
    let after = limits(a.seconds).await?;
    eprintln!("{after:?}");
    let noisy = |x: f64, y: f64| (x / y).max(y / x) > 2.0;
    let mut md = String::new();
    md.push_str("# Benchmarks\n\n");
    md.push_str(&format!(
        "Written by `cargo run --release -p liandong-tests --bin bench -- --seconds {}` on {} (UTC), {} cores; the whole run took {:.0} s. \
         Targets and method: `../shared/docs/benchmarks.md`. Every ratio is against a limit measured in the same run.\n\n",
        a.seconds,
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        started.elapsed().as_secs_f64() + a.seconds as f64 * 3.0
    ));
    md.push_str("## Limits, before and after\n\n| probe | before | after | |\n|---|---|---|---|\n");
    for (name, x, y) in [
        ("PostgreSQL INSERT commits/s, 8 clients (pgbench)", before.pg_insert_c8, after.pg_insert_c8),
        ("PostgreSQL INSERT commits/s, 1 client (pgbench)", before.pg_insert_c1, after.pg_insert_c1),
        ("PostgreSQL read-only tps, 8 clients (pgbench -S)", before.pg_select_c8, after.pg_select_c8),
        ("SQLite WAL commits/s, synchronous=FULL", before.sqlite_full, after.sqlite_full),
        ("SQLite WAL commits/s, synchronous=NORMAL", before.sqlite_normal, after.sqlite_normal),
    ] {
        md.push_str(&format!(
            "| {name} | {x:.0} | {y:.0} | {} |\n",
            if noisy(x, y) { "noisy (> 2× apart)" } else { "" }
        ));
    }
    md.push_str("\n## Figures\n\n| id | what | figure | limit (before) | ratio | target | | database |\n|---|---|---|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.id, r.what, r.figure, r.limit, r.ratio, r.target, r.verdict, r.db
        ));
    }
    if !notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for n in &notes {
            md.push_str(&format!("- {n}\n"));
        }
    }
    // the hand-written analysis of what bounds the missed targets
    if let Ok(analysis) = std::fs::read_to_string(root().join("bench/analysis.md")) {
        md.push('\n');
        md.push_str(&analysis);
    }
    // A run of some rows (`--only`) rewrites those rows of an existing file and keeps the rest.
    if let Some(only) = &a.only
        && let Ok(old) = std::fs::read_to_string(&a.out)
    {
        let note = format!(
            "Rows {} rewritten by `cargo run --release -p liandong-tests --bin bench -- --only {} --seconds {}` on {} (UTC){}; the limits of that run: SQLite WAL FULL {:.0} commits/s before, {:.0} after.",
            only.join(", "),
            only.join(","),
            a.seconds,
            chrono::Utc::now().format("%Y-%m-%d %H:%M"),
            match (profile(), cfg!(debug_assertions)) {
                ("debug", _) =>
                    " with debug builds of the daemon and the bench (LIANDONG_BENCH_DEBUG=1): not release figures",
                (_, true) =>
                    " with the bench itself a debug build (its SQLite commit loop and its in-process parts are slower; the daemon is the release build)",
                _ => "",
            },
            before.sqlite_full,
            after.sqlite_full
        );
        if let Some(merged) = merge_partial(&old, only, &rows, &note) {
            md = merged;
        }
    }
    std::fs::write(&a.out, &md)?;
    println!("{md}");
    Ok(())
}

/// `old` (a `BENCHMARKS.md`) with the figure rows of the ids in `only` replaced by `rows`, and
/// `note` (which run wrote them) under the first paragraph, replacing an earlier note for the
/// same ids. `None` when `old` has no figures table.
fn merge_partial(old: &str, only: &[String], rows: &[Row], note: &str) -> Option<String> {
    let lines: Vec<&str> = old.lines().collect();
    let head = lines.iter().position(|l| l.starts_with("| id | what |"))?;
    let mut end = head + 2;
    while end < lines.len() && lines[end].starts_with("| ") {
        end += 1;
    }
    let prefix = format!("Rows {} rewritten by", only.join(", "));
    let mut out: Vec<String> = Vec::new();
    let mut noted = false;
    for l in &lines[..head + 2] {
        if l.starts_with(&prefix) {
            continue;
        }
        out.push(l.to_string());
        // after the first paragraph ("Written by …")
        if !noted && l.starts_with("Written by") {
            out.push(String::new());
            out.push(note.to_string());
            noted = true;
        }
    }
    // drop the doubled blank line a removed note leaves
    out.dedup_by(|a, b| a.is_empty() && b.is_empty());
    for l in &lines[head + 2..end] {
        let id = l.trim_start_matches("| ").split(' ').next().unwrap_or_default();
        if !only.iter().any(|o| o == id) {
            out.push(l.to_string());
        }
    }
    for r in rows {
        out.push(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id, r.what, r.figure, r.limit, r.ratio, r.target, r.verdict, r.db
        ));
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Some(out.join("\n") + "\n")
}
