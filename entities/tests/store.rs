//! The data layer against real databases: a fresh SQLite file, a fresh PostgreSQL database and a
//! fresh MariaDB database per test, dropped afterwards.

use chrono::{TimeZone, Utc};
use entities::sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use entities::store::{self, DbOptions, StoreError};
use entities::{Migrator, MigratorTrait};
use serde_json::json;
use workflows::WorkCalendar;
use workflows::engine::{self, Channel, Command, Env};
use workflows::org::generate::{demo_directory, demo_people as dp};

/// A database made for one test and dropped by `drop_db`.
struct TestDb {
    db: DatabaseConnection,
    admin_url: Option<String>,
    name: String,
    file: Option<std::path::PathBuf>,
}

async fn fresh(kind: &str, test: &str) -> TestDb {
    let name = format!("ld_{}_{}", test, std::process::id());
    match kind {
        "sqlite" => {
            let file = std::env::temp_dir().join(format!("{name}.sqlite"));
            let _ = std::fs::remove_file(&file);
            let db = store::connect(&DbOptions::new(format!("sqlite://{}?mode=rwc", file.display()))).await.unwrap();
            TestDb { db, admin_url: None, name, file: Some(file) }
        }
        "postgres" | "mysql" => {
            let admin_url = if kind == "postgres" {
                "postgres://postgres@127.0.0.1:5432/postgres"
            } else {
                "mysql://root@127.0.0.1:3306/mysql"
            };
            let admin =
                store::connect(&DbOptions::new(admin_url)).await.expect("the machine's database server is running");
            let q = |s: String| Statement::from_string(admin.get_database_backend(), s);
            admin.execute_raw(q(format!("DROP DATABASE IF EXISTS {name}"))).await.unwrap();
            admin.execute_raw(q(format!("CREATE DATABASE {name}"))).await.unwrap();
            let url = admin_url.rsplit_once('/').unwrap().0.to_string() + "/" + &name;
            let db = store::connect(&DbOptions::new(url)).await.unwrap();
            TestDb { db, admin_url: Some(admin_url.into()), name, file: None }
        }
        _ => unreachable!(),
    }
}

impl TestDb {
    async fn drop_db(self) {
        self.db.close().await.ok();
        if let Some(url) = self.admin_url {
            let admin = store::connect(&DbOptions::new(url)).await.unwrap();
            let sql = format!("DROP DATABASE IF EXISTS {}", self.name);
            admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await.unwrap();
        }
        if let Some(f) = self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

async fn migrations_and_org_round_trip(kind: &str) {
    let t = fresh(kind, "org").await;
    Migrator::up(&t.db, None).await.unwrap();
    Migrator::up(&t.db, None).await.unwrap(); // again: nothing to do
    assert!(!store::org::has_org(&t.db).await.unwrap());
    let org = demo_directory().org().clone();
    let mut seen = 0;
    store::org::replace_org(&t.db, &org, |done, _| seen = done).await.unwrap();
    assert_eq!(
        seen,
        org.departments.len()
            + org.classes.len()
            + org.bodies.len()
            + org.people.len()
            + org.posts.len()
            + org.liaisons.len()
    );
    let back = store::org::load_org(&t.db).await.unwrap();
    assert_eq!(back.people.len(), org.people.len());
    assert_eq!(back.posts.len(), org.posts.len());
    assert_eq!(back.university, org.university);
    t.drop_db().await;
}

#[tokio::test]
async fn sqlite_migrates_and_keeps_the_org() {
    migrations_and_org_round_trip("sqlite").await;
}

#[tokio::test]
async fn postgres_migrates_and_keeps_the_org() {
    migrations_and_org_round_trip("postgres").await;
}

#[tokio::test]
async fn mariadb_migrates_and_keeps_the_org() {
    migrations_and_org_round_trip("mysql").await;
}

async fn commands_are_saved_once(kind: &str) {
    let t = fresh(kind, "cmd").await;
    Migrator::up(&t.db, None).await.unwrap();
    let def = workflows::builtin::builtin("major_matter_report").unwrap();
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let now = Utc.with_ymd_and_hms(2025, 11, 24, 1, 0, 0).unwrap();
    let env = Env { def: &def, dir: &dir, cal: &cal, now };
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "改革推进情况报告", "body": "……" });
    let out =
        engine::submit(&env, "00000000-0000-0000-0000-000000000001", dp::CS_SU_PRESIDENT, Channel::Api, &form).unwrap();
    let meta = store::requests::Meta {
        address: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        idempotency_key: Some("k1".into()),
        channel: Channel::Api,
        opened_at: None,
    };
    let txn = t.db.begin().await.unwrap();
    store::requests::save(&txn, None, &out, &meta).await.unwrap();
    txn.commit().await.unwrap();
    let loaded = store::requests::load(&t.db, &out.state.id).await.unwrap().unwrap();
    assert_eq!(loaded.state, out.state);
    assert_eq!(loaded.row_version, 1);
    assert_eq!(
        store::requests::by_idempotency_key(&t.db, dp::CS_SU_PRESIDENT, "k1").await.unwrap().as_deref(),
        Some(out.state.id.as_str())
    );
    let inbox = store::requests::open_tasks_of(&t.db, dp::CS_LEAGUE_SECRETARY, 10).await.unwrap();
    assert_eq!(inbox.len(), 1);
    // two decisions computed from the same version: the second one loses
    let task = inbox[0].task_no as u32;
    let a = engine::handle(
        &env,
        &loaded.state,
        dp::CS_LEAGUE_SECRETARY,
        Channel::Api,
        Command::Approve { task, comment: None },
    )
    .unwrap();
    let b = engine::handle(
        &env,
        &loaded.state,
        dp::CS_LEAGUE_SECRETARY,
        Channel::Api,
        Command::Reject { task, comment: None },
    )
    .unwrap();
    let txn = t.db.begin().await.unwrap();
    store::requests::save(&txn, Some(1), &a, &store::requests::Meta::default()).await.unwrap();
    txn.commit().await.unwrap();
    let txn = t.db.begin().await.unwrap();
    assert!(matches!(
        store::requests::save(&txn, Some(1), &b, &store::requests::Meta::default()).await,
        Err(StoreError::Conflict)
    ));
    txn.rollback().await.unwrap();
    let events = store::requests::events(&t.db, &out.state.id).await.unwrap();
    assert_eq!(events.len(), out.events.len() + a.events.len(), "one set of events");
    assert_eq!(workflows::engine::Instance::replay(events.iter().map(|(e, _)| e)), a.state);
    assert_eq!(events[0].1.address.as_deref(), Some("127.0.0.1"));
    let (checked, breaks) = store::requests::verify_chains(&t.db).await.unwrap();
    assert_eq!((checked, breaks.len()), (events.len(), 0));
    // tampering with one event is found
    let sql = format!(
        "UPDATE events SET body = REPLACE(body, '改革', '篡改') WHERE seq = 1 AND request_id = '{}'",
        out.state.id
    );
    t.db.execute_raw(Statement::from_string(t.db.get_database_backend(), sql)).await.unwrap();
    let (_, breaks) = store::requests::verify_chains(&t.db).await.unwrap();
    assert_eq!(breaks, [store::requests::ChainBreak { request: out.state.id.clone(), seq: 1 }]);
    t.drop_db().await;
}

#[tokio::test]
async fn sqlite_saves_each_command_once() {
    commands_are_saved_once("sqlite").await;
}

#[tokio::test]
async fn postgres_saves_each_command_once() {
    commands_are_saved_once("postgres").await;
}

/// Outcome records (issue 11): written in the caller's transaction, once per source, read back
/// as the `RecordSet`; what they change in the org is in the org tables.
async fn outcome_records_round_trip(kind: &str) {
    use workflows::records::outcome::{apply_to_org, build};
    let t = fresh(kind, "records").await;
    Migrator::up(&t.db, None).await.unwrap();
    let mut org = demo_directory().org().clone();
    store::org::replace_org(&t.db, &org, |_, _| {}).await.unwrap();
    let records = [
        (
            "term_transition",
            json!({ "department": "cs", "date": "2026-12-01",
                                     "cohort": [{ "person": "2023010215", "role": "president" }] }),
        ),
        (
            "training_session",
            json!({ "organiser": "department_su@cs", "date": "2026-12-02", "topic": "履职培训",
                                      "attendees": ["2023010215", dp::CS_SU_VICE_PRESIDENT] }),
        ),
        (
            "onboarding_done",
            json!({ "person": "2023010215", "body": "department_su@cs", "appointed": "2026-12-01", "date": "2026-12-03" }),
        ),
        ("symposium", json!({ "department": "cs", "date": "2026-11-20", "classes": ["cs-2023-1"] })),
        ("reporting_adoption", json!({ "class": "cs-2023-1", "date": "2026-10-01" })),
    ];
    for pass in 0..2 {
        let txn = t.db.begin().await.unwrap();
        for (i, (k, v)) in records.iter().enumerate() {
            let rec = build(k, v.as_object().unwrap(), "R1", i).unwrap();
            let ch = apply_to_org(&mut org, &rec);
            store::records::write_org_changes(&txn, &ch).await.unwrap();
            store::records::write_record(&txn, "R1", i, &rec, 1).await.unwrap();
            if pass == 1 {
                assert!(ch.is_empty(), "{k} changes nothing the second time: {ch:?}");
            }
        }
        txn.commit().await.unwrap();
    }
    let set = store::records::load_set(&t.db).await.unwrap();
    assert_eq!(set.term_transitions.len(), 1);
    assert_eq!((set.term_transitions[0].term, set.term_transitions[0].request.as_deref()), (2026, Some("R1")));
    assert_eq!(set.trainings.len(), 1);
    assert_eq!(set.trainings[0].attendees, [dp::CS_SU_VICE_PRESIDENT, "2023010215"]);
    assert_eq!(set.onboarding.len(), 1);
    assert_eq!(set.symposiums[0].classes, ["cs-2023-1"]);
    assert_eq!(set.reporting_adoptions.len(), 1);
    // the org tables say the same as the org the records were applied to
    let back = store::org::load_org(&t.db).await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let cs: Vec<&workflows::org::Post> =
        back.posts.iter().filter(|p| p.body == "department_su@cs" && p.current_on(day)).collect();
    assert_eq!(cs.len(), 1);
    assert_eq!(
        (cs[0].person.as_str(), cs[0].onboarded, cs[0].trained),
        ("2023010215", Some(day - chrono::Days::new(2)), Some(day - chrono::Days::new(3)))
    );
    assert!(back.departments.iter().find(|d| d.code == "cs").unwrap().term_transition_done);
    assert_eq!(back.posts.len(), org.posts.len());
    let page = store::records::list(&t.db, "trainings", &Default::default(), None, 10).await.unwrap().unwrap();
    assert_eq!((page.items.len(), page.next), (1, None));
    t.drop_db().await;
}

/// `store::compliance::request_facts`: the facts of every open request of the checked
/// definitions, read in pages, and of finished ones changed since the day given.
async fn request_facts_are_read_in_pages(kind: &str) {
    let t = fresh(kind, "facts").await;
    Migrator::up(&t.db, None).await.unwrap();
    let def = workflows::builtin::builtin("major_matter_report").unwrap();
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let now = Utc.with_ymd_and_hms(2025, 11, 24, 1, 0, 0).unwrap();
    let env = Env { def: &def, dir: &dir, cal: &cal, now };
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "改革推进情况报告", "body": "……" });
    // more than a page (500 rows)
    let txn = t.db.begin().await.unwrap();
    for i in 0..503 {
        let id = format!("00000000-0000-0000-0000-{i:012}");
        let out = engine::submit(&env, &id, dp::CS_SU_PRESIDENT, Channel::Api, &form).unwrap();
        store::requests::save(&txn, None, &out, &store::requests::Meta::default()).await.unwrap();
    }
    txn.commit().await.unwrap();
    let since = Utc.with_ymd_and_hms(2025, 9, 1, 0, 0, 0).unwrap();
    let facts = store::compliance::request_facts(&t.db, since).await.unwrap();
    assert_eq!(facts.len(), 503);
    let f = &facts[0];
    assert_eq!(
        (f.key.as_str(), f.department.as_deref(), f.text("kind")),
        ("major_matter_report", Some("cs"), Some("report"))
    );
    let b = f.step("school_su_ack").expect("branch B");
    assert!(b.done_at.is_none() && !b.open.is_empty());
    // a finished request last changed before `since` is not read; an open one always is
    let sql =
        "UPDATE requests SET status = 'approved', updated_at = 0 WHERE id = '00000000-0000-0000-0000-000000000007'";
    t.db.execute_raw(Statement::from_string(t.db.get_database_backend(), sql.to_string())).await.unwrap();
    let sql = "UPDATE requests SET updated_at = 0 WHERE id = '00000000-0000-0000-0000-000000000008'";
    t.db.execute_raw(Statement::from_string(t.db.get_database_backend(), sql.to_string())).await.unwrap();
    let facts = store::compliance::request_facts(&t.db, since).await.unwrap();
    assert_eq!(facts.len(), 502);
    assert!(facts.iter().all(|f| f.id != "00000000-0000-0000-0000-000000000007"));
    t.drop_db().await;
}

#[tokio::test]
async fn sqlite_keeps_outcome_records_once() {
    outcome_records_round_trip("sqlite").await;
}

#[tokio::test]
async fn postgres_keeps_outcome_records_once() {
    outcome_records_round_trip("postgres").await;
}

#[tokio::test]
async fn mariadb_keeps_outcome_records_once() {
    outcome_records_round_trip("mysql").await;
}

#[tokio::test]
async fn sqlite_reads_request_facts_in_pages() {
    request_facts_are_read_in_pages("sqlite").await;
}

#[tokio::test]
async fn postgres_reads_request_facts_in_pages() {
    request_facts_are_read_in_pages("postgres").await;
}

#[tokio::test]
async fn mariadb_reads_request_facts_in_pages() {
    request_facts_are_read_in_pages("mysql").await;
}
