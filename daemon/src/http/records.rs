//! `GET /api/v1/records/{kind}`: the records workflow outcomes wrote (issue 11), with filters and
//! keyset paging. `kind`: `term_transitions` (M3), `onboarding` (M4), `trainings` (M4, with
//! attendees), `symposiums` (M9), `reporting_adoptions` (M1), `co_hosts` (M6: activities
//! co-hosted by department SUs, with the classes that co-undertook them), `duty_review_results`
//! (M10: the semester duty reviews' results, `?person=&semester=`).
//!
//! Who may read: admins and the oversight roles (the school SU presidium and secretary-general,
//! the school League committee). Need-to-know: anyone else may read only their own onboarding
//! records (`?person=` is theirs) and the co-hosted activities (no personal data); every other
//! list answers 403 `forbidden`. Duty review results are read by the reviewed person (their own),
//! the presidium of their student union, the school League committee and admins.
//!
//! Query: `department`, `person`, `organiser`, `class` (each only on the kinds it filters, 400
//! `bad_query` elsewhere), `from` / `to` (inclusive days,
//! `YYYY-MM-DD`), `limit` (1–500, default 100), `cursor` (the `next` of the previous page).
//! Answer: `{"items": […], "next": "<day>|<id>" | null}`, ordered by day then id.

use super::{ApiError, Caller, Path, Query, State};
use crate::app::{AppError, Principal};
use axum::routing::get;
use axum::{Router, extract};
use entities::store::records::{LIST_KINDS, ListFilter};
use serde_json::{Value, json};
use workflows::catalog::{BodyKind, Role};
use workflows::form::FieldError;
use workflows::org::Directory;

/// The routes.
pub fn router() -> Router<State> {
    Router::new().route("/api/v1/records/{kind}", get(list).post(super::reporting::create_record))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    organiser: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    semester: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    cursor: Option<String>,
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::Invalid {
        code: "bad_query",
        message: message.clone(),
        fields: vec![FieldError { field: field.into(), code: "bad_query", message }],
    }
}

fn day(field: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    v.as_deref()
        .map(|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| invalid(field, format!("`{field}`: `{s}` is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

/// The filters a record kind takes besides `from`/`to`.
fn filters_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "term_transitions" => &["department"],
        "onboarding" => &["person"],
        "trainings" => &["organiser", "person"],
        "symposiums" | "co_hosts" => &["department", "class"],
        "reporting_adoptions" => &["class"],
        "duty_review_results" => &["person", "semester"],
        _ => &[],
    }
}

/// Whether `who` oversees the records: an admin, the school SU presidium or secretary-general,
/// or a member of the school League committee (today).
fn oversees(app: &State, who: &Principal) -> bool {
    if who.admin {
        return true;
    }
    let org = app.org();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    org.posts_of(&who.person, today).iter().any(|p| {
        (p.body == BodyKind::SchoolSu.as_str() && (p.role.is_presidium() || p.role == Role::SecretaryGeneral))
            || p.body == BodyKind::SchoolLeagueCommittee.as_str()
    })
}

/// Who may read duty review results: admins and the school League committee all of them; the
/// reviewed person their own (`?person=` theirs); a presidium member of a student union those of
/// that union (`Some(bodies)`). Anyone else: 403.
fn duty_review_readers(app: &State, who: &Principal, person: Option<&str>) -> Result<Option<Vec<String>>, AppError> {
    if who.admin {
        return Ok(None);
    }
    let org = app.org();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let posts = org.posts_of(&who.person, today);
    if posts.iter().any(|p| p.body == BodyKind::SchoolLeagueCommittee.as_str()) || person == Some(who.person.as_str()) {
        return Ok(None);
    }
    let sus: Vec<String> = posts
        .iter()
        .filter(|p| {
            p.role.is_presidium()
                && (p.body == BodyKind::SchoolSu.as_str()
                    || p.body.starts_with(&format!("{}@", BodyKind::DepartmentSu.as_str())))
        })
        .map(|p| p.body.clone())
        .collect();
    if sus.is_empty() {
        return Err(AppError::Forbidden(
            "duty review results are read by the reviewed person, their student union's presidium, the school League committee and admins".into(),
        ));
    }
    Ok(Some(sus))
}

async fn list(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(kind): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    if !LIST_KINDS.contains(&kind.as_str()) {
        return Err(AppError::NotFound(format!("no record kind `{kind}` (kinds: {})", LIST_KINDS.join(", "))).into());
    }
    // A filter the kind has not got would give the whole list as if it were the filtered one.
    let given = [
        ("department", q.department.is_some()),
        ("person", q.person.is_some()),
        ("organiser", q.organiser.is_some()),
        ("class", q.class.is_some()),
        ("semester", q.semester.is_some()),
    ];
    let takes = filters_of(&kind);
    if let Some((name, _)) = given.iter().find(|(name, on)| *on && !takes.contains(name)) {
        let list = takes.iter().chain(["from", "to"].iter()).copied().collect::<Vec<_>>().join(", ");
        return Err(invalid(name, format!("`{name}` does not filter {kind} (its filters: {list})")).into());
    }
    let mut person = q.person.clone();
    let mut su_in = None;
    if kind == "duty_review_results" {
        // The person, the presidium of their SU, the school League committee and admins.
        su_in = duty_review_readers(&app, &who, person.as_deref())?;
    } else if !oversees(&app, &who) {
        // need-to-know: one's own onboarding only
        match (kind.as_str(), &person) {
            // which SUs co-hosted an activity is no personal data
            ("co_hosts", _) => {}
            ("onboarding", None) => person = Some(who.person.clone()),
            ("onboarding", Some(p)) if *p == who.person => {}
            _ => {
                return Err(AppError::Forbidden(
                    "only admins, the school SU presidium and secretary-general and the school League committee may read these records".into(),
                )
                .into());
            }
        }
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit", format!("`limit` is 1 to 500, not {limit}")).into());
    }
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => match c.split_once('|') {
            Some((d, id)) if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() && !id.is_empty() => {
                Some((d.to_string(), id.to_string()))
            }
            _ => return Err(invalid("cursor", format!("`{c}` is not a cursor this list gave")).into()),
        },
    };
    let filter = ListFilter {
        department: q.department,
        person,
        organiser: q.organiser,
        class: q.class,
        from: day("from", &q.from)?,
        to: day("to", &q.to)?,
        semester: q.semester,
        su_in,
    };
    let page = entities::store::records::list(&app.db, &kind, &filter, after, limit)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::NotFound(format!("no record kind `{kind}`")))?;
    Ok(axum::Json(json!({ "items": page.items, "next": page.next })))
}
