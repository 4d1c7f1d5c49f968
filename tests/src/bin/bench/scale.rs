//! B9 over HTTP: the large synthetic university (domain.md §4: about 32k liaison pairs, 400k
//! ledger entries a year, 16k trainees a semester) in a SQLite (WAL, synchronous=FULL) daemon;
//! the full compliance report `GET /api/v1/compliance`, and one ledger entry
//! `POST /api/v1/ledger` (one transaction) into that store.
//!
//! How the data gets there (not timed): the daemon's first start seeds the large org
//! (`[seed] org = "large"`); the daemon is stopped and the bench writes, through the store, in
//! one transaction on the daemon's database file: the records of
//! `workflows::compliance::demo::records_for` (term transitions, onboarding, symposiums,
//! reporting adoptions; `entities::store::records::write_record`), the trainings with their
//! attendance of this semester and of the two before it (the attendance of a year and a half,
//! as a deployment keeps it), and the ledger: every liaison pair (the org's liaison
//! assignments, and every department SU presidium member with every class of their department:
//! "every class is covered by its department SU's leaders") gets its share of a year of
//! entries, spread evenly over the 365 days up to today, through the entity
//! `ledger_entries` in multi-row inserts of 1,000 rows. The daemon is then started again on it.

use super::*;
use chrono::{NaiveDate, TimeZone};
use entities::entity::ledger::ledger_entry;
use entities::sea_orm::{EntityTrait, Set, TransactionTrait};
use std::collections::BTreeSet;
use workflows::catalog::Role;
use workflows::org::{Directory, OrgDirectory};
use workflows::records::outcome::Record;
use workflows::records::{Semester, TargetKind};

/// What B9 over HTTP found.
pub struct ComplianceHttp {
    /// Distinct (liaison, target) pairs with entries, and the entries loaded.
    pub pairs: usize,
    pub entries: usize,
    /// Training attendances this semester (trainees), and in all semesters loaded.
    pub trainees: usize,
    pub attendances: usize,
    /// Findings of the report (its `total`), and its size in bytes.
    pub findings: u64,
    pub report_bytes: usize,
    /// `GET /api/v1/compliance` times, ms, in the order run.
    pub report_ms: Vec<f64>,
    /// The parts, measured beside the daemon on the same file: `load_set` (p50 of 3, ms) and the
    /// pure checks on what it loaded (p50 of 3, ms).
    pub load_set_ms: f64,
    pub checks_ms: f64,
    /// `POST /api/v1/ledger` times, ms (after 10 not counted).
    pub add_ms: Vec<f64>,
    /// Seconds the bulk load took (not part of any figure).
    pub bulk_s: f64,
}

/// Today in Asia/Shanghai (the day the daemon checks and dates entries against).
fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// 10:00 Asia/Shanghai of `day` in ms since the epoch.
fn ms_at10(day: NaiveDate) -> i64 {
    chrono::Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default()).timestamp_millis()
}

/// A day of the semester before `s` (mid-term), to build that semester's trainings.
fn mid_of(s: Semester) -> NaiveDate {
    let (y, m) = match s.half {
        workflows::records::SemesterHalf::Autumn => (s.year, 11),
        workflows::records::SemesterHalf::Spring => (s.year + 1, 4),
    };
    NaiveDate::from_ymd_opt(y, m, 20).unwrap_or_default()
}

fn previous(s: Semester) -> Semester {
    use workflows::records::SemesterHalf::*;
    match s.half {
        Autumn => Semester { year: s.year - 1, half: Spring },
        Spring => Semester { year: s.year, half: Autumn },
    }
}

/// Liaison pairs `(liaison, kind, target, department)`, each once, with the count per class.
#[derive(Default)]
struct Pairs {
    seen: BTreeSet<(String, bool, String)>,
    per_class: std::collections::HashMap<String, usize>,
    out: Vec<(String, TargetKind, String, String)>,
}

impl Pairs {
    fn push(&mut self, p: &str, k: TargetKind, t: &str, d: &str) {
        if self.seen.insert((p.to_string(), k == TargetKind::Class, t.to_string())) {
            self.out.push((p.to_string(), k, t.to_string(), d.to_string()));
            if k == TargetKind::Class {
                *self.per_class.entry(t.to_string()).or_default() += 1;
            }
        }
    }
}

/// The liaison pairs of the large university on `day`: the org's liaison assignments, every
/// department SU presidium member with every class of their department, and department SU staff
/// in turn until every class has [`CONTACTS`].
fn pairs_of(dir: &OrgDirectory, day: NaiveDate) -> Vec<(String, TargetKind, String, String)> {
    let org = dir.org();
    let mut pairs = Pairs::default();
    let class_dept: std::collections::HashMap<&str, &str> =
        org.classes.iter().map(|c| (c.code.as_str(), c.department.as_str())).collect();
    for l in org.liaisons.iter().filter(|l| l.current_on(day)) {
        match (&l.department, &l.class) {
            (Some(d), _) => pairs.push(&l.person, TargetKind::Department, d, d),
            (None, Some(c)) => {
                pairs.push(&l.person, TargetKind::Class, c, class_dept.get(c.as_str()).copied().unwrap_or(""))
            }
            _ => {}
        }
    }
    for d in &org.departments {
        let su = format!("department_su@{}", d.code);
        let presidium: Vec<String> = dir
            .holders(&su, &[Role::President, Role::VicePresident, Role::ExecutivePresident], day)
            .into_iter()
            .map(|p| p.person.clone())
            .collect();
        let mut staff: Vec<String> = org
            .posts
            .iter()
            .filter(|p| p.body == su && p.current_on(day) && !p.role.is_presidium() && p.role != Role::Advisor)
            .map(|p| p.person.clone())
            .collect();
        staff.sort();
        staff.dedup();
        for (j, c) in org.classes.iter().filter(|c| c.department == d.code).enumerate() {
            for p in &presidium {
                pairs.push(p, TargetKind::Class, &c.code, &d.code);
            }
            let have = pairs.per_class.get(&c.code).copied().unwrap_or(0);
            for m in 0..staff.len().min(CONTACTS.saturating_sub(have)) {
                pairs.push(&staff[(j * 3 + m) % staff.len()], TargetKind::Class, &c.code, &d.code);
            }
        }
    }
    pairs.out
}

/// Contacts per class the load aims at: 4,000 classes × 8 ≈ domain.md §4's 32k liaison pairs.
const CONTACTS: usize = 8;

/// Loads the large university's records and `entries` ledger entries into the daemon's stopped
/// SQLite database at `url`, in one transaction. Returns (pairs, entries, trainees this
/// semester, attendances in all, a class liaison pair for the entry test).
async fn bulk_load(
    url: &str,
    entries: usize,
    day: NaiveDate,
) -> Result<(usize, usize, usize, usize, (String, String))> {
    let db = store::connect(&DbOptions::new(url)).await?;
    let dir = OrgDirectory::new(store::org::load_org(&db).await?);
    let mut current = workflows::compliance::demo::records_for(&dir, day);
    // four class committee members of every class (the monitor and three more) attend their
    // department SU's training this semester, not only the monitors and the new members
    // (domain.md §4: about 16k trainees a semester)
    let org = dir.org();
    let class_dept: std::collections::HashMap<&str, &str> =
        org.classes.iter().map(|c| (c.code.as_str(), c.department.as_str())).collect();
    let mut committee: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut per_class: std::collections::HashMap<&str, usize> = Default::default();
    let mut posts: Vec<&workflows::org::Post> =
        org.posts.iter().filter(|p| p.current_on(day) && p.body.starts_with("class_committee@")).collect();
    posts.sort_by_key(|p| (p.body.clone(), p.role != Role::ClassMonitor, p.person.clone()));
    for p in posts {
        let class = p.body.trim_start_matches("class_committee@");
        let n = per_class.entry(class).or_default();
        if let Some(d) = class_dept.get(class)
            && *n < 4
        {
            *n += 1;
            committee.entry(format!("department_su@{d}")).or_default().push(p.person.clone());
        }
    }
    for t in &mut current.trainings {
        if let Some(more) = committee.remove(&t.organiser) {
            t.attendees.extend(more);
            t.attendees.sort();
            t.attendees.dedup();
        }
    }
    let trainees: usize = current.trainings.iter().map(|t| t.attendees.len()).sum();
    let mut records: Vec<Record> = Vec::new();
    records.extend(
        current.term_transitions.iter().map(|t| Record::TermTransition { transition: t.clone(), cohort: Vec::new() }),
    );
    records.extend(current.onboarding.iter().cloned().map(Record::OnboardingDone));
    records.extend(current.symposiums.iter().cloned().map(Record::Symposium));
    records.extend(current.reporting_adoptions.iter().cloned().map(Record::ReportingAdoption));
    records.extend(current.trainings.iter().cloned().map(Record::TrainingSession));
    // the two semesters before: their trainings and attendance (the set the store reads in full)
    let mut sem = Semester::of(day);
    for _ in 0..2 {
        sem = previous(sem);
        let past = workflows::compliance::demo::records_for(&dir, mid_of(sem));
        records.extend(past.trainings.into_iter().map(Record::TrainingSession));
    }
    let attendances: usize =
        records.iter().map(|r| if let Record::TrainingSession(t) = r { t.attendees.len() } else { 0 }).sum();
    let pairs = pairs_of(&dir, day);
    let sample = pairs
        .iter()
        .find(|(p, k, t, _)| *k == TargetKind::Class && dir.liaisons_of(t, day).iter().any(|l| &l.person == p))
        .map(|(p, _, t, _)| (p.clone(), t.clone()))
        .context("a class liaison pair")?;
    let now = chrono::Utc::now().timestamp_millis();
    let txn = db.begin().await?;
    for (i, r) in records.iter().enumerate() {
        store::records::write_record(&txn, "bench-b9", i, r, now).await?;
    }
    // the ledger: pair i gets entries/pairs (+1 for the first entries % pairs), spread over a year
    let (base, extra) = (entries / pairs.len().max(1), entries % pairs.len().max(1));
    let modes = ["visit", "meeting", "online", "phone"];
    let mut batch: Vec<ledger_entry::ActiveModel> = Vec::with_capacity(1000);
    let mut written = 0usize;
    for (i, (person, kind, target, dept)) in pairs.iter().enumerate() {
        let k_n = base + usize::from(i < extra);
        for k in 0..k_n {
            // newest first: the pair's latest is 0–6 days ago, the rest spread back over 365 days
            let back = (i % 7) + k * 358 / k_n.max(1);
            let date = day - chrono::Duration::days(back as i64);
            let created = ms_at10(date) + (i as i64 % 1000);
            let problem = if (i + k) % 5 == 0 { "班级活动场地紧张，需协调教室" } else { "" };
            let resolution = if !problem.is_empty() && (i + k) % 10 == 0 { "已协调学院借用教室" } else { "" };
            batch.push(ledger_entry::ActiveModel {
                id: Set(format!("b9-{i:06}-{k:03}")),
                liaison: Set(person.clone()),
                target_kind: Set(if *kind == TargetKind::Class { "class" } else { "department" }.into()),
                target_id: Set(target.clone()),
                department: Set(dept.clone()),
                date: Set(date),
                mode: Set(modes[(i + k) % 4].into()),
                problem: Set(problem.into()),
                help: Set("走访了解近期工作情况，传达校学生会工作安排".into()),
                resolution: Set(resolution.into()),
                created_at: Set(created),
                updated_at: Set(created),
                idempotency_key: Set(None),
                idempotency_hash: Set(None),
            });
            written += 1;
            if batch.len() == 1000 {
                ledger_entry::Entity::insert_many(std::mem::take(&mut batch)).exec_without_returning(&txn).await?;
            }
        }
    }
    if !batch.is_empty() {
        ledger_entry::Entity::insert_many(batch).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    exec(&db, "ANALYZE").await?;
    db.close().await?;
    Ok((pairs.len(), written, trainees, attendances, sample))
}

async fn exec(db: &entities::sea_orm::DatabaseConnection, sql: &str) -> Result<u64> {
    Ok(db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await?.rows_affected())
}

/// B9 over HTTP: `entries` ledger entries, the report `runs` times, `adds` ledger entries.
pub async fn compliance_http(entries: usize, runs: usize, adds: usize) -> Result<ComplianceHttp> {
    eprintln!("   seeding the large university (first start)");
    let seed = start_named(
        Db::SqliteFull,
        "b9",
        "b9",
        &[("LIANDONG__SEED__ORG", "large"), ("LIANDONG__JOBS__ENABLED", "false")],
        true,
    )?;
    let admin = seed.admin.clone();
    let url = format!("sqlite://{}/liandong.sqlite?mode=rwc", seed.dir.display());
    seed.stop_keep();
    let day = today();
    eprintln!("   loading the records and {entries} ledger entries (not timed)");
    let t0 = Instant::now();
    let (pairs, entries, trainees, attendances, (liaison, class)) = bulk_load(&url, entries, day).await?;
    let bulk_s = t0.elapsed().as_secs_f64();
    eprintln!("   {pairs} pairs, {entries} entries, {trainees} trainees ({attendances} attendances) in {bulk_s:.1} s");
    let mut d = start_named(Db::SqliteFull, "b9", "b9", &[], false)?;
    d.admin = admin;
    let http = reqwest::Client::new();
    // (a) the full report, `runs` times
    let mut report_ms = Vec::new();
    let (mut findings, mut report_bytes) = (0, 0);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let r = http.get(format!("{}/api/v1/compliance", d.base)).bearer_auth(&d.admin).send().await?;
        let status = r.status().as_u16();
        let body = r.bytes().await?;
        report_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if status != 200 {
            bail!("GET /api/v1/compliance: {status} {}", String::from_utf8_lossy(&body));
        }
        let v: Value = serde_json::from_slice(&body)?;
        findings = v["total"].as_u64().unwrap_or(0);
        report_bytes = body.len();
    }
    // the parts, beside the daemon on the same file
    let db = store::connect(&DbOptions::new(url.as_str())).await?;
    let dir = OrgDirectory::new(store::org::load_org(&db).await?);
    let (mut load, mut checks) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t = Instant::now();
        let set = store::records::load_set(&db).await?;
        load.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let cfg = workflows::org::checks::CheckSettings::default();
        let cal = workflows::WorkCalendar::builtin();
        let _ = workflows::compliance::findings(&dir, &set, &[], day, &cfg, &cal);
        checks.push(t.elapsed().as_secs_f64() * 1e3);
    }
    db.close().await?;
    // (b) one ledger entry at a time, as a liaison of a class
    let tok = token(&http, &d, &liaison).await?;
    let mut add_ms = Vec::new();
    for i in 0..adds + 10 {
        let body = json!({
            "target": { "kind": "class", "id": class },
            "date": day.to_string(),
            "mode": "visit",
            "help": format!("第{}次走访，了解班级近期工作", i + 1),
        });
        let t = Instant::now();
        let (s, v) = post(&http, format!("{}/api/v1/ledger", d.base), &tok, body).await?;
        if s != 201 {
            bail!("POST /api/v1/ledger as {liaison}: {s} {v}");
        }
        if i >= 10 {
            add_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    d.stop();
    Ok(ComplianceHttp {
        pairs,
        entries,
        trainees,
        attendances,
        findings,
        report_bytes,
        report_ms,
        load_set_ms: quantile(&mut load, 0.5),
        checks_ms: quantile(&mut checks, 0.5),
        add_ms,
        bulk_s,
    })
}
