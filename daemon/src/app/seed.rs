//! The demo university's records on first start (issue 11 item 5): what
//! `workflows::compliance::demo::demo_records_on` says the demo keeps on the day the daemon is
//! first started — term transitions, onboarding educations, trainings with their attendance,
//! symposiums, reporting adoptions and a recent ledger entry for every liaison pair — with the
//! planted defects of domain.md §4 left out, so that a fresh daemon's compliance report shows
//! those defects and nobody is reminded of what the demo has done.

use super::{App, AppError};
use chrono::NaiveDate;
use entities::sea_orm::TransactionTrait;
use entities::store;
use workflows::org::Directory;
use workflows::records::outcome::Record;
use workflows::records::{ContactMode, RecordSet, TargetKind};

/// The request id the seeded records name as their source (none: they were kept on paper before
/// Liandong, so `request` is empty where the table allows it).
const SEED: &str = "demo-seed";

impl App {
    /// Writes the demo university's records as they stand on `day`, in one transaction. Only on
    /// a first start with the demo org; a second call writes nothing twice (the rows are keyed).
    pub async fn seed_demo_records(&self, day: NaiveDate) -> Result<usize, AppError> {
        let dir = self.org();
        let set: RecordSet = workflows::compliance::demo::demo_records_on(&dir, day);
        let now = chrono::Utc::now().timestamp_millis();
        let txn = self.db.begin().await?;
        let mut n = 0usize;
        let mut records: Vec<Record> = Vec::new();
        records.extend(
            set.term_transitions.iter().map(|t| Record::TermTransition { transition: t.clone(), cohort: Vec::new() }),
        );
        records.extend(set.onboarding.iter().cloned().map(Record::OnboardingDone));
        records.extend(set.trainings.iter().cloned().map(Record::TrainingSession));
        records.extend(set.symposiums.iter().cloned().map(Record::Symposium));
        records.extend(set.reporting_adoptions.iter().cloned().map(Record::ReportingAdoption));
        for (i, rec) in records.iter().enumerate() {
            store::records::write_record(&txn, SEED, i, rec, now).await?;
            n += 1;
        }
        for (i, l) in set.ledger_latest.iter().enumerate() {
            let department = match l.target.kind {
                TargetKind::Department => l.target.id.clone(),
                TargetKind::Class => {
                    dir.class(&l.target.id).map(|c| c.department.clone()).unwrap_or_else(|| l.target.id.clone())
                }
            };
            let fields = store::ledger::EntryFields {
                target: l.target.clone(),
                department,
                date: l.date,
                mode: ContactMode::Visit,
                problem: String::new(),
                help: "走访了解近期工作情况".into(),
                resolution: String::new(),
            };
            store::ledger::insert(&txn, &format!("{SEED}-ledger-{i:06}"), &l.liaison, &fields, now, None).await?;
            n += 1;
        }
        store::records::clear_seed_sources(&txn, SEED).await?;
        txn.commit().await?;
        Ok(n)
    }
}
