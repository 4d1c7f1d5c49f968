//! The records workflow outcomes write (issue 11), in the caller's transaction — the one that
//! saves the event ending the request — and the [`RecordSet`] the compliance checks read.
//!
//! Posts and liaisons go to `org_posts` / `org_liaisons` (what [`OrgChanges`] says changed);
//! every other kind to its own table, keyed by its source `<request>:<records item>` (insert or
//! nothing: the same outcome written twice writes once).

use super::StoreError;
use crate::entity::org::{org_class, org_department, org_liaison, org_post};
use crate::entity::records::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeMap;
use workflows::org::{Liaison, Post};
use workflows::records::outcome::{OrgChanges, Record};
use workflows::records::{
    OnboardingDone, RecordSet, ReportingAdoption, Semester, SemesterHalf, Symposium, TermTransition, TrainingSession,
};

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn day(s: &str) -> Result<chrono::NaiveDate, StoreError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("date `{s}`: {e}")))
}

/// Writes what a record changed in the org: new posts and liaisons inserted, ended (or marked
/// onboarded / trained) ones rewritten, replaced ones deleted (each found by its holder and its
/// stored value), departments and classes rewritten.
pub async fn write_org_changes<C: ConnectionTrait>(db: &C, ch: &OrgChanges) -> Result<(), StoreError> {
    for p in &ch.added_posts {
        org_post::Entity::insert(org_post::ActiveModel {
            person: Set(p.person.clone()),
            body: Set(p.body.clone()),
            role: Set(p.role.to_string()),
            data: Set(json(p)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    for (old, new) in &ch.ended_posts {
        let rows = org_post::Entity::find()
            .filter(org_post::Column::Person.eq(old.person.clone()))
            .filter(org_post::Column::Body.eq(old.body.clone()))
            .filter(org_post::Column::Role.eq(old.role.to_string()))
            .all(db)
            .await?;
        if let Some(row) = rows.iter().find(|r| serde_json::from_str::<Post>(&r.data).is_ok_and(|p| &p == old)) {
            org_post::Entity::update_many()
                .col_expr(org_post::Column::Data, Expr::value(json(new)))
                .filter(org_post::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
    }
    for d in &ch.departments {
        org_department::Entity::update_many()
            .col_expr(org_department::Column::Data, Expr::value(json(d)))
            .filter(org_department::Column::Code.eq(d.code.clone()))
            .exec(db)
            .await?;
    }
    for c in &ch.classes {
        org_class::Entity::update_many()
            .col_expr(org_class::Column::Data, Expr::value(json(c)))
            .filter(org_class::Column::Code.eq(c.code.clone()))
            .exec(db)
            .await?;
    }
    let liaison_row = |rows: &[org_liaison::Model], l: &Liaison| {
        rows.iter().find(|r| serde_json::from_str::<Liaison>(&r.data).is_ok_and(|x| &x == l)).map(|r| r.id)
    };
    for (old, new) in &ch.ended_liaisons {
        let rows =
            org_liaison::Entity::find().filter(org_liaison::Column::Person.eq(old.person.clone())).all(db).await?;
        if let Some(id) = liaison_row(&rows, old) {
            org_liaison::Entity::update_many()
                .col_expr(org_liaison::Column::Data, Expr::value(json(new)))
                .filter(org_liaison::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
    }
    for old in &ch.removed_liaisons {
        let rows =
            org_liaison::Entity::find().filter(org_liaison::Column::Person.eq(old.person.clone())).all(db).await?;
        if let Some(id) = liaison_row(&rows, old) {
            org_liaison::Entity::delete_by_id(id).exec(db).await?;
        }
    }
    let rows: Vec<org_liaison::ActiveModel> = ch
        .added_liaisons
        .iter()
        .map(|l| org_liaison::ActiveModel { person: Set(l.person.clone()), data: Set(json(l)), ..Default::default() })
        .collect();
    for chunk in rows.chunks(500) {
        org_liaison::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Writes a record of a kind the org does not hold (term transitions, onboarding, trainings
/// with their attendance, symposiums, reporting adoptions) from item `index` of request
/// `request`'s `records:`; appointments and liaison assignments live in the org
/// ([`write_org_changes`]) — a term transition writes both. A second write of the same source
/// does nothing. `now` in ms since the epoch.
pub async fn write_record<C: ConnectionTrait>(
    db: &C,
    request: &str,
    index: usize,
    rec: &Record,
    now: i64,
) -> Result<(), StoreError> {
    let id = format!("{request}:{index}");
    match rec {
        Record::Appointment(_) | Record::LiaisonAssignment(_) => {}
        Record::TermTransition { transition: t, .. } => {
            term_transition::Entity::insert(term_transition::ActiveModel {
                id: Set(id),
                request: Set(t.request.clone()),
                department: Set(t.department.clone()),
                date: Set(t.date.to_string()),
                term: Set(t.term),
                created_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(term_transition::Column::Id).do_nothing_on([term_transition::Column::Id]).to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        Record::OnboardingDone(o) => {
            onboarding_record::Entity::insert(onboarding_record::ActiveModel {
                id: Set(id),
                request: Set(o.request.clone()),
                person: Set(o.person.clone()),
                body: Set(o.body.clone()),
                appointed: Set(o.appointed.to_string()),
                date: Set(o.date.to_string()),
                created_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(onboarding_record::Column::Id)
                    .do_nothing_on([onboarding_record::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        Record::TrainingSession(t) => {
            let half = match t.semester.half {
                SemesterHalf::Autumn => "autumn",
                SemesterHalf::Spring => "spring",
            };
            training_session::Entity::insert(training_session::ActiveModel {
                id: Set(t.id.clone()),
                request: Set(t.request.clone()),
                organiser: Set(t.organiser.clone()),
                semester_year: Set(t.semester.year),
                semester_half: Set(half.into()),
                date: Set(t.date.to_string()),
                topic: Set(t.topic.clone()),
                audience: Set(t.audience.clone()),
                created_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(training_session::Column::Id)
                    .do_nothing_on([training_session::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
            // (MySQL counts a duplicate as a row affected: the attendance rows skip duplicates themselves.)
            let rows: Vec<training_attendance::ActiveModel> = t
                .attendees
                .iter()
                .map(|p| training_attendance::ActiveModel { session: Set(t.id.clone()), person: Set(p.clone()) })
                .collect();
            for chunk in rows.chunks(500) {
                training_attendance::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([
                            training_attendance::Column::Session,
                            training_attendance::Column::Person,
                        ])
                        .do_nothing_on([training_attendance::Column::Session])
                        .to_owned(),
                    )
                    .exec_without_returning(db)
                    .await?;
            }
        }
        Record::Symposium(s) => {
            symposium::Entity::insert(symposium::ActiveModel {
                id: Set(s.id.clone()),
                request: Set(s.request.clone()),
                department: Set(s.department.clone()),
                date: Set(s.date.to_string()),
                classes: Set(json(&s.classes)),
                created_at: Set(now),
            })
            .on_conflict(OnConflict::column(symposium::Column::Id).do_nothing_on([symposium::Column::Id]).to_owned())
            .exec_without_returning(db)
            .await?;
        }
        Record::CoHost(c) => super::participation::write_co_host(db, c, now).await?,
        Record::DutyReviewResult(d) => super::duty_review::write(db, d, now).await?,
        Record::ReportingAdoption(r) => {
            reporting_adoption::Entity::insert(reporting_adoption::ActiveModel {
                class: Set(r.class.clone()),
                date: Set(r.date.to_string()),
                request: Set(Some(request.to_string())),
                created_at: Set(now),
                term: Set(Some(Semester::of(r.date).year)),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::column(reporting_adoption::Column::Class)
                    .do_nothing_on([reporting_adoption::Column::Class])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// Every stored record the compliance checks read, oldest first within each kind.
/// `ledger_latest`, `volunteer_hours` and `participation` are left empty here (the ledger and
/// the M7/M8 entries are kept by their own APIs).
pub async fn load_set<C: ConnectionTrait>(db: &C) -> Result<RecordSet, StoreError> {
    let term_transitions = term_transition::Entity::find()
        .order_by_asc(term_transition::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Ok(TermTransition { department: r.department, date: day(&r.date)?, term: r.term, request: r.request }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let onboarding = onboarding_record::Entity::find()
        .order_by_asc(onboarding_record::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(OnboardingDone {
                person: r.person,
                body: r.body,
                appointed: day(&r.appointed)?,
                date: day(&r.date)?,
                request: r.request,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut attendees: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in training_attendance::Entity::find()
        .order_by_asc(training_attendance::Column::Session)
        .order_by_asc(training_attendance::Column::Person)
        .all(db)
        .await?
    {
        attendees.entry(a.session).or_default().push(a.person);
    }
    let trainings = training_session::Entity::find()
        .order_by_asc(training_session::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let half = if r.semester_half == "spring" { SemesterHalf::Spring } else { SemesterHalf::Autumn };
            Ok(TrainingSession {
                attendees: attendees.remove(&r.id).unwrap_or_default(),
                id: r.id,
                organiser: r.organiser,
                semester: Semester { year: r.semester_year, half },
                date: day(&r.date)?,
                topic: r.topic,
                audience: r.audience,
                request: r.request,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let symposiums = symposium::Entity::find()
        .order_by_asc(symposium::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Symposium {
                id: r.id,
                department: r.department,
                date: day(&r.date)?,
                classes: serde_json::from_str(&r.classes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                request: r.request,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let reporting_adoptions = reporting_adoption::Entity::find()
        .order_by_asc(reporting_adoption::Column::Class)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Ok(ReportingAdoption { class: r.class, date: day(&r.date)? }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(RecordSet {
        ledger_latest: super::ledger::latest(db, None).await?,
        term_transitions,
        onboarding,
        trainings,
        symposiums,
        volunteer_hours: Vec::new(),
        participation: Vec::new(),
        reporting_adoptions,
    })
}

/// Filters of a record list (each absent: any). Dates are inclusive `YYYY-MM-DD` bounds on the
/// record's day.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Department code (term transitions, symposiums).
    pub department: Option<String>,
    /// Person id (onboarding; trainings: an attendee).
    pub person: Option<String>,
    /// Organising body id (trainings).
    pub organiser: Option<String>,
    /// Class code (reporting adoptions; symposiums: a class that attended).
    pub class: Option<String>,
    /// From this day.
    pub from: Option<chrono::NaiveDate>,
    /// To this day.
    pub to: Option<chrono::NaiveDate>,
    /// The semester as written (duty review results).
    pub semester: Option<String>,
    /// Only records of these student unions (duty review results read by an SU's presidium);
    /// `None`: any.
    pub su_in: Option<Vec<String>>,
}

/// One page of a record list: JSON items ordered by (day, id), and the cursor of the next page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records, as their JSON.
    pub items: Vec<serde_json::Value>,
    /// `<day>|<id>` of the last item when there may be more.
    pub next: Option<String>,
}

/// The condition of a record list on its day column `date` and id column `id`: `f.from` /
/// `f.to` (inclusive days) and the keyset `after` (`(day, id)` of the last item of the page before).
pub(crate) fn day_keyset<C: ColumnTrait>(
    date: C,
    id: C,
    f: &ListFilter,
    after: &Option<(String, String)>,
) -> sea_orm::Condition {
    use sea_orm::Condition;
    let mut c = Condition::all();
    if let Some(d) = &f.from {
        c = c.add(date.gte(d.to_string()));
    }
    if let Some(d) = &f.to {
        c = c.add(date.lte(d.to_string()));
    }
    if let Some((d, i)) = after {
        c = c.add(
            Condition::any()
                .add(date.gt(d.clone()))
                .add(Condition::all().add(date.eq(d.clone())).add(id.gt(i.clone()))),
        );
    }
    c
}

/// The record kinds [`list`] knows, as the API names them.
pub const LIST_KINDS: &[&str] = &[
    "term_transitions",
    "onboarding",
    "trainings",
    "symposiums",
    "reporting_adoptions",
    "co_hosts",
    "duty_review_results",
];

/// The LIKE pattern that finds `value` as a member of a stored JSON list of strings (`["cs",
/// "law"]`): its JSON text, with LIKE's wildcards escaped (`!`), so that `?class=%` finds only a
/// class named `%`, and a page is not cut short by rows read back and dropped.
pub(super) fn json_member(value: &str) -> sea_orm::sea_query::LikeExpr {
    let json = serde_json::to_string(value).unwrap_or_default();
    let escaped: String =
        json.chars().flat_map(|c| if matches!(c, '!' | '%' | '_') { vec!['!', c] } else { vec![c] }).collect();
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('!')
}

/// Rows of entity `E` on the record day column `date` within `f.from`..=`f.to`, after the
/// keyset `after` (`(day, id)`), matching `extra`, ordered by (day, id), at most `limit`.
pub(super) async fn page_rows<E, C>(
    db: &C,
    f: &ListFilter,
    after: &Option<(String, String)>,
    (date, id): (E::Column, E::Column),
    extra: sea_orm::Condition,
    limit: u64,
) -> Result<Vec<E::Model>, StoreError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    use sea_orm::QuerySelect;
    let c = day_keyset(date, id, f, after).add(extra);
    Ok(E::find().filter(c).order_by_asc(date).order_by_asc(id).limit(limit).all(db).await?)
}

/// `Condition::all()` with `column = value` when `value` is given.
fn equals<Col: ColumnTrait>(column: Col, value: &Option<String>) -> sea_orm::Condition {
    let c = sea_orm::Condition::all();
    match value {
        Some(v) => c.add(column.eq(v.clone())),
        None => c,
    }
}

/// Lists records of `kind` (one of [`LIST_KINDS`]; `None` for another) matching `f`, after
/// the keyset `after` (`<day>|<id>`), at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    f: &ListFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Option<Page>, StoreError> {
    let n = limit + 1;
    let rows: Vec<(String, String, serde_json::Value)> = match kind {
        "term_transitions" => {
            use term_transition::Column as C;
            page_rows::<term_transition::Entity, _>(db, f, &after, (C::Date, C::Id), equals(C::Department, &f.department), n)
                .await?
                .into_iter()
                .map(|r| {
                    let v = serde_json::json!({ "id": r.id, "department": r.department, "date": r.date, "term": r.term, "request": r.request });
                    (r.date, r.id, v)
                })
                .collect()
        }
        "onboarding" => {
            use onboarding_record::Column as C;
            page_rows::<onboarding_record::Entity, _>(db, f, &after, (C::Date, C::Id), equals(C::Person, &f.person), n)
                .await?
                .into_iter()
                .map(|r| {
                    let v = serde_json::json!({ "id": r.id, "person": r.person, "body": r.body, "appointed": r.appointed, "date": r.date, "request": r.request });
                    (r.date, r.id, v)
                })
                .collect()
        }
        "trainings" => {
            use training_session::Column as C;
            let mut c = equals(C::Organiser, &f.organiser);
            if let Some(p) = &f.person {
                c = c.add(
                    C::Id.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(training_attendance::Column::Session)
                            .from(training_attendance::Entity)
                            .and_where(training_attendance::Column::Person.eq(p.clone()))
                            .to_owned(),
                    ),
                );
            }
            let sessions = page_rows::<training_session::Entity, _>(db, f, &after, (C::Date, C::Id), c, n).await?;
            let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
            let mut attendees: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for a in training_attendance::Entity::find()
                .filter(training_attendance::Column::Session.is_in(ids))
                .order_by_asc(training_attendance::Column::Person)
                .all(db)
                .await?
            {
                attendees.entry(a.session).or_default().push(a.person);
            }
            sessions
                .into_iter()
                .map(|r| {
                    let semester = Semester {
                        year: r.semester_year,
                        half: if r.semester_half == "spring" { SemesterHalf::Spring } else { SemesterHalf::Autumn },
                    };
                    let v = serde_json::json!({ "id": r.id, "organiser": r.organiser, "semester": semester,
                        "semester_name": semester.zh(), "date": r.date, "topic": r.topic, "audience": r.audience,
                        "attendees": attendees.remove(&r.id).unwrap_or_default(), "request": r.request });
                    (r.date, r.id, v)
                })
                .collect()
        }
        "symposiums" => {
            use symposium::Column as C;
            // The class is found among the attending classes in SQL, so that a page holds
            // `limit` matching symposiums and its cursor skips none.
            let mut c = equals(C::Department, &f.department);
            if let Some(k) = &f.class {
                c = c.add(C::Classes.like(json_member(k)));
            }
            page_rows::<symposium::Entity, _>(db, f, &after, (C::Date, C::Id), c, n)
                .await?
                .into_iter()
                .map(|r| {
                    let classes: Vec<String> = serde_json::from_str(&r.classes).unwrap_or_default();
                    let v = serde_json::json!({ "id": r.id, "department": r.department, "date": r.date, "classes": classes, "request": r.request });
                    (r.date, r.id, v)
                })
                .collect()
        }
        "reporting_adoptions" => {
            use reporting_adoption::Column as C;
            page_rows::<reporting_adoption::Entity, _>(
                db,
                f,
                &after,
                (C::Date, C::Class),
                equals(C::Class, &f.class),
                n,
            )
            .await?
            .into_iter()
            .map(|r| {
                let v = serde_json::json!({ "class": r.class, "date": r.date, "term": r.term,
                        "contact_person": r.contact_person, "counselor": r.counselor,
                        "recorded_by": r.recorded_by, "request": r.request });
                (r.date, r.class, v)
            })
            .collect()
        }
        "co_hosts" => super::participation::co_host_rows(db, f, after.clone(), n).await?,
        "duty_review_results" => super::duty_review::rows(db, f, after.clone(), n).await?,
        _ => return Ok(None),
    };
    let mut rows = rows;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|(d, id, _)| format!("{d}|{id}")) } else { None };
    Ok(Some(Page { items: rows.into_iter().map(|(_, _, v)| v).collect(), next }))
}

/// Clears the source of records written with the made-up request id `seed` (the demo's records,
/// kept before Liandong: no request recorded them). Term transitions, onboarding, trainings and
/// symposiums keep the source their record gives; reporting adoptions take the writer's.
pub async fn clear_seed_sources<C: ConnectionTrait>(db: &C, seed: &str) -> Result<(), StoreError> {
    reporting_adoption::Entity::update_many()
        .col_expr(reporting_adoption::Column::Request, Expr::value(Option::<String>::None))
        .filter(reporting_adoption::Column::Request.eq(seed))
        .exec(db)
        .await?;
    Ok(())
}
