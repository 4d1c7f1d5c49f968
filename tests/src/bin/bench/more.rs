//! B5 (timers under a kill -9), B6 (inbox reads with 100,000 open requests, B1 beside) and B7
//! (submit on the large synthetic university vs the demo one).

use super::*;
use std::collections::HashMap;

/// A one-step workflow whose step reminds its reviewer halfway to the due time: every request
/// has one reminder timer.
const REMINDER: &str = r#"
key: bench_reminder
version: 1
name: { zh: 提醒（基准测试）, en: Reminder (benchmark) }
form:
  title: { type: text, max: 200, required: true, label: { zh: 标题, en: Title } }
start: first
steps:
  first:
    label: { zh: 审批, en: Approval }
    approve: { who: { person: T0102 } }
    due: 3wd
    remind: [50%]
    next: { approve: approved, reject: rejected }
  approved: { label: { zh: 已通过, en: Approved }, end: approved }
  rejected: { label: { zh: 未通过, en: Rejected }, end: rejected }
"#;

/// A one-step workflow whose reviewer is found in the org through the submitter's department
/// (the selectors M1 uses), so submit time shows what assignee resolution costs.
const RESOLVED: &str = r#"
key: bench_resolved
version: 1
name: { zh: 院系审批（基准测试）, en: Department approval (benchmark) }
form:
  title: { type: text, max: 200, required: true, label: { zh: 标题, en: Title } }
start: league
steps:
  league:
    label: { zh: 院系团委审批, en: Department League approval }
    approve: { who: { body: department_league_org, of: submitter.department, roles: [secretary] }, mode: any }
    next: { approve: party, reject: rejected }
  party:
    label: { zh: 院系党组织审批, en: Department Party approval }
    approve: { who: { body: department_party_org, of: submitter.department, roles: [deputy_secretary] } }
    next: { approve: approved, reject: rejected }
  approved: { label: { zh: 已通过, en: Approved }, end: approved }
  rejected: { label: { zh: 未通过, en: Rejected }, end: rejected }
"#;

/// Submits `n` requests of `workflow` as `token` with 8 clients; returns how many were accepted.
async fn submit_many(d: &Daemon, token: &str, workflow: &str, n: usize, limit: Duration) -> Result<usize> {
    let http = reqwest::Client::new();
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + limit;
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let (http, base, tok, wf, done) =
            (http.clone(), d.base.clone(), token.to_string(), workflow.to_string(), done.clone());
        handles.push(tokio::spawn(async move {
            for i in 0..n / CLIENTS {
                if Instant::now() > deadline {
                    break;
                }
                let body = json!({ "workflow": wf, "form": { "title": format!("基准 {c}-{i}") } });
                if let Ok((201, _)) = post(&http, format!("{base}/api/v1/requests"), &tok, body).await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    Ok(done.load(Ordering::Relaxed))
}

async fn exec(db: &entities::sea_orm::DatabaseConnection, sql: &str) -> Result<u64> {
    Ok(db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await?.rows_affected())
}

async fn scalar(db: &entities::sea_orm::DatabaseConnection, sql: &str) -> Result<i64> {
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await?.context("a row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

// ---------------------------------------------------------------- B5

/// What B5 found.
pub struct TimerRun {
    pub timers: usize,
    pub fired: usize,
    pub missed: usize,
    pub duplicates: usize,
    pub mails: usize,
    pub duplicate_mails: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub poll_ms: u64,
}

/// 10,000 reminders due within 10 s, fired by two daemons on one PostgreSQL; one is killed
/// with SIGKILL halfway and started again.
pub async fn timers(n: usize) -> Result<TimerRun> {
    let poll_ms: u64 = 100;
    let setup = start(Db::Postgres, "b5", &[("LIANDONG__JOBS__ENABLED", "false")])?;
    let http = reqwest::Client::new();
    publish(&http, &setup, REMINDER).await?;
    let submitter = token(&http, &setup, "2023010201").await?;
    eprintln!("   submitting {n} requests (not timed)");
    let made = submit_many(&setup, &submitter, "bench_reminder", n, Duration::from_secs(120)).await?;
    if made == 0 {
        bail!("no request was accepted");
    }
    let db = connect_pg(&setup).await?;
    // the task mails of the setup are not what this measures
    exec(&db, "UPDATE outbox SET status = 'sent'").await?;
    setup.stop_keep();
    let poll = poll_ms.to_string();
    let extra = [
        ("LIANDONG__JOBS__POLL_INTERVAL_MS", poll.as_str()),
        ("LIANDONG__JOBS__STALE_AFTER_MS", "2000"),
        ("LIANDONG__JOBS__HEARTBEAT_MS", "1000"),
    ];
    let mut a = start_named(Db::Postgres, "b5", "b5a", &extra, false)?;
    let b = start_named(Db::Postgres, "b5", "b5b", &extra, false)?;
    // every request's reminder falls due within the next 10 s, evenly
    let t0 = chrono::Utc::now().timestamp_millis() + 1500;
    let spread = 10_000i64;
    let picked = exec(
        &db,
        &format!(
            "WITH picked AS (SELECT request_id, timer_id, row_number() OVER (ORDER BY request_id) - 1 AS i \
             FROM timers WHERE status = 'pending') \
             UPDATE timers t SET due_at = {t0} + picked.i * {spread} / {made} FROM picked \
             WHERE t.request_id = picked.request_id AND t.timer_id = picked.timer_id"
        ),
    )
    .await? as usize;
    // halfway, kill -9 one daemon and start it again
    tokio::time::sleep(Duration::from_millis((t0 - chrono::Utc::now().timestamp_millis()).max(0) as u64 + 5000)).await;
    eprintln!("   kill -9 one of the two daemons, and start it again");
    a.child.kill()?;
    a.child.wait()?;
    let a2 = start_named(Db::Postgres, "b5", "b5c", &extra, false)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let window = format!("due_at >= {t0} AND due_at < {}", t0 + spread);
    while Instant::now() < deadline {
        let open = scalar(&db, &format!("SELECT count(*) FROM timers WHERE {window} AND status <> 'done'")).await?;
        let unsent = scalar(&db, "SELECT count(*) FROM outbox WHERE status <> 'sent' AND status <> 'failed'").await?;
        if open == 0 && unsent == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // lateness: when each timer's `timer_cleared` event was written vs when it was due
    let due: HashMap<(String, String), i64> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT request_id, timer_id, due_at FROM timers WHERE {window}"),
        ))
        .await?
        .iter()
        .filter_map(|r| {
            Some((
                (r.try_get::<String>("", "request_id").ok()?, r.try_get::<String>("", "timer_id").ok()?),
                r.try_get::<i64>("", "due_at").ok()?,
            ))
        })
        .collect();
    let mut cleared: HashMap<(String, String), Vec<i64>> = HashMap::new();
    for r in db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT request_id, at, body FROM events WHERE kind = 'timer_cleared'".to_string(),
        ))
        .await?
    {
        let (Ok(req), Ok(at), Ok(body)) =
            (r.try_get::<String>("", "request_id"), r.try_get::<i64>("", "at"), r.try_get::<String>("", "body"))
        else {
            continue;
        };
        let timer =
            serde_json::from_str::<Value>(&body).ok().and_then(|v| v["kind"]["timer"].as_str().map(String::from));
        if let Some(t) = timer {
            cleared.entry((req, t)).or_default().push(at);
        }
    }
    let mut late = Vec::new();
    let (mut missed, mut duplicates) = (0, 0);
    for (k, at) in &due {
        match cleared.get(k).map(|v| v.as_slice()) {
            None | Some([]) => missed += 1,
            Some(v) => {
                duplicates += v.len() - 1;
                late.push((v[0] - at).max(0) as f64);
            }
        }
    }
    // side effects: one reminder mail per timer, delivered once
    let reminders = scalar(&db, "SELECT count(*) FROM outbox WHERE template = 'reminder'").await? as usize;
    let dup_rows = scalar(
        &db,
        "SELECT count(*) FROM (SELECT request_id FROM outbox WHERE template = 'reminder' \
         GROUP BY request_id HAVING count(*) > 1) d",
    )
    .await? as usize;
    db.close().await?;
    let fired = late.len();
    let run = TimerRun {
        timers: picked,
        fired,
        missed,
        duplicates,
        mails: reminders,
        duplicate_mails: dup_rows,
        p50_ms: quantile(&mut late.clone(), 0.5),
        p99_ms: quantile(&mut late.clone(), 0.99),
        max_ms: quantile(&mut late, 1.0),
        poll_ms,
    };
    b.stop_keep();
    a2.stop();
    Ok(run)
}

// ---------------------------------------------------------------- B6

/// What B6 found.
pub struct InboxRun {
    pub open_requests: i64,
    pub reads_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub beside_reads_per_s: f64,
    pub beside_p99_ms: f64,
    pub b1: Throughput,
}

/// 8 clients read one reviewer's inbox for `seconds` (each with its own token).
async fn read_inbox(d: &Daemon, tokens: &[String], seconds: u64) -> Result<(f64, f64, f64)> {
    let http = reqwest::Client::new();
    let lat: Arc<std::sync::Mutex<Vec<f64>>> = Arc::default();
    let end = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let (http, url, tok, lat) = (
            http.clone(),
            format!("{}/api/v1/tasks?assignee=me", d.base),
            tokens[c % tokens.len()].clone(),
            lat.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < end {
                let t0 = Instant::now();
                let ok = match http.get(&url).bearer_auth(&tok).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                };
                if ok {
                    mine.push(t0.elapsed().as_secs_f64() * 1e3);
                }
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    for h in handles {
        h.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut v = std::mem::take(&mut *lat.lock().unwrap());
    let per_s = v.len() as f64 / elapsed;
    Ok((per_s, quantile(&mut v.clone(), 0.5), quantile(&mut v, 0.99)))
}

/// 100,000 open requests (one submitted, the rest copied in SQL with reviewers spread over the
/// org), then the inbox read alone and with B1 beside it.
pub async fn inbox(open: i64, seconds: u64) -> Result<InboxRun> {
    let d = start(Db::Postgres, "b6", &[])?;
    let prepared = prepare_decisions(&d, seconds).await?;
    let db = connect_pg(&d).await?;
    let template = prepared.per_client.iter().flatten().next().map(|(id, _)| id.clone()).context("a request")?;
    eprintln!("   copying {open} open requests (not timed)");
    exec(
        &db,
        &format!(
            "INSERT INTO requests (id, key, version, submitter, title, status, need_to_know, state, row_version, \
             idempotency_key, created_at, updated_at) \
             SELECT substr(id, 1, 24) || lpad(g::text, 12, '0'), key, version, submitter, title, status, need_to_know, state, row_version, NULL, \
             created_at, updated_at FROM requests, generate_series(1, {open}) g WHERE id = '{template}'"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "WITH people AS (SELECT array_agg(id ORDER BY id) AS a, count(*) AS n FROM org_people) \
             INSERT INTO tasks (request_id, task_no, assignee, on_behalf_of, step, kind, state, round, created_at, due_at) \
             SELECT substr(t.request_id, 1, 24) || lpad(g::text, 12, '0'), t.task_no, people.a[(1 + (g % people.n))::int], NULL, t.step, t.kind, t.state, \
             t.round, t.created_at + g, t.due_at FROM tasks t, people, generate_series(1, {open}) g \
             WHERE t.request_id = '{template}' AND t.state = 'open'"
        ),
    )
    .await?;
    exec(&db, "ANALYZE").await?;
    let open_requests = scalar(&db, "SELECT count(*) FROM requests WHERE status = 'running'").await?;
    db.close().await?;
    // eight reviewers, each with their share of the open tasks
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for p in ["T0102", "T0101", "T0103", "T0201", "T0202", "T0301", "T0302", "T0401"] {
        if let Ok(t) = token(&http, &d, p).await {
            tokens.push(t);
        }
    }
    if tokens.is_empty() {
        bail!("no reviewer tokens");
    }
    eprintln!("   inbox reads alone");
    let (reads_per_s, p50_ms, p99_ms) = read_inbox(&d, &tokens, seconds).await?;
    eprintln!("   inbox reads with B1 beside");
    let (reads, b1) = tokio::join!(read_inbox(&d, &tokens, seconds), run_decisions(&d, prepared, seconds));
    let (beside_reads_per_s, _, beside_p99_ms) = reads?;
    d.stop();
    Ok(InboxRun { open_requests, reads_per_s, p50_ms, p99_ms, beside_reads_per_s, beside_p99_ms, b1: b1? })
}

// ---------------------------------------------------------------- B7

/// Submit latency (p50, p99) of `n` requests by one client, after 10 not counted.
async fn submit_latency(d: &Daemon, submitter: &str, n: usize) -> Result<(f64, f64)> {
    let http = reqwest::Client::new();
    publish(&http, d, RESOLVED).await?;
    let tok = token(&http, d, submitter).await?;
    let mut times = Vec::new();
    for i in 0..n + 10 {
        let t0 = Instant::now();
        let body = json!({ "workflow": "bench_resolved", "form": { "title": format!("规模 {i}") } });
        let (s, v) = post(&http, format!("{}/api/v1/requests", d.base), &tok, body).await?;
        if s != 201 {
            bail!("submit as {submitter}: {s} {v}");
        }
        if v["open_tasks"].as_array().is_none_or(|a| a.is_empty()) {
            bail!("the resolved step has no reviewer: {v}");
        }
        if i >= 10 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok((quantile(&mut times.clone(), 0.5), quantile(&mut times, 0.99)))
}

/// What B7 found: p50/p99 on the demo university, then on the large one, and the large one's size.
pub struct OrgScale {
    pub demo: (f64, f64),
    pub large: (f64, f64),
    pub people: usize,
    pub large_ready_ms: u64,
}

/// Submit on the demo university and on the large synthetic one (same workflow, same selectors).
pub async fn org_scale(n: usize) -> Result<OrgScale> {
    let d = start(Db::SqliteFull, "b7demo", &[])?;
    let demo = submit_latency(&d, "2023010201", n).await;
    d.stop();
    let large_org = workflows::org::generate::large(workflows::org::generate::LARGE_SEED);
    let people = large_org.people.len();
    // a student of the last department (the one furthest into every list)
    let submitter = large_org
        .people
        .iter()
        .rev()
        .find(|p| p.class.is_some())
        .map(|p| p.id.clone())
        .context("a student in the large org")?;
    drop(large_org);
    eprintln!("   starting on the large university ({people} people)");
    let l = start(Db::SqliteFull, "b7large", &[("LIANDONG__SEED__ORG", "large")])?;
    let large_ready_ms = l.ready_ms;
    let large = submit_latency(&l, &submitter, n).await;
    l.stop();
    Ok(OrgScale { demo: demo?, large: large?, people, large_ready_ms })
}

// ---------------------------------------------------------------- B9

/// What B9 found for the compliance report of the large university.
pub struct ComplianceScale {
    /// Median and slowest of the runs, in ms.
    pub p50_ms: f64,
    pub max_ms: f64,
    /// Liaison pairs (ledger_latest rows), trainees (attendances) and findings.
    pub pairs: usize,
    pub trainees: usize,
    pub findings: usize,
}

/// The full compliance report (`workflows::compliance::findings`) of the large synthetic
/// university with its compliant records (`compliance::demo::records_for`), `runs` times.
pub fn compliance_scale(runs: usize) -> ComplianceScale {
    use workflows::compliance::{demo::records_for, findings};
    let dir = workflows::org::OrgDirectory::new(workflows::org::generate::large(workflows::org::generate::LARGE_SEED));
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap_or_default();
    let records = records_for(&dir, day);
    let cfg = workflows::org::checks::CheckSettings::default();
    let cal = workflows::WorkCalendar::builtin();
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        n = findings(&dir, &records, &[], day, &cfg, &cal).len();
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let max_ms = times.iter().copied().fold(0.0, f64::max);
    ComplianceScale {
        p50_ms: quantile(&mut times, 0.5),
        max_ms,
        pairs: records.ledger_latest.len(),
        trainees: records.trainings.iter().map(|t| t.attendees.len()).sum(),
        findings: n,
    }
}
