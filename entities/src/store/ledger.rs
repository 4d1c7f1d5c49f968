//! The liaisons' work ledger (M2 工作台账): entries written, edited, read and listed newest
//! first with a keyset cursor; the latest entry per (liaison, target) that the M2 staleness check
//! reads (one grouped query over an index); a person's per-target summary for a period, which
//! the duty report (述职, M10) carries.
//!
//! Rows turn into [`workflows::records::LedgerEntry`]; dates are calendar days (Asia/Shanghai),
//! times milliseconds since the epoch.

use super::{StoreError, from_millis};
use crate::entity::ledger::ledger_entry as row;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use workflows::records::{ContactMode, LedgerEntry, LedgerLatest, Target, TargetKind};

/// A ledger entry as stored: the entry, the department its target belongs to, when it was last
/// edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry.
    pub entry: LedgerEntry,
    /// The department code of the target (the department itself, or the class's).
    pub department: String,
    /// When it was last edited (its `created_at` until then).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a new entry or an edit writes (the author and times aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields {
    /// The unit met.
    pub target: Target,
    /// The target's department code.
    pub department: String,
    /// The day of the contact.
    pub date: NaiveDate,
    /// How.
    pub mode: ContactMode,
    /// The problem raised ("" when none).
    pub problem: String,
    /// The help given.
    pub help: String,
    /// How it was resolved ("" while unsolved).
    pub resolution: String,
}

/// Who may read which entries: everything (admins, the oversight roles), or a person's own plus
/// those whose target lies in some departments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every entry.
    All,
    /// The entries `person` wrote, and those about `departments` (or their classes).
    Some {
        /// The reader.
        person: String,
        /// Department codes whose entries they may read.
        departments: Vec<String>,
    },
}

impl Visibility {
    fn condition(&self) -> Option<Condition> {
        match self {
            Visibility::All => None,
            Visibility::Some { person, departments } => {
                let mut c = Condition::any().add(row::Column::Liaison.eq(person.clone()));
                if !departments.is_empty() {
                    c = c.add(row::Column::Department.is_in(departments.clone()));
                }
                Some(c)
            }
        }
    }

    /// Whether the reader may read `e`.
    pub fn allows(&self, e: &StoredEntry) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Some { person, departments } => {
                &e.entry.liaison == person || departments.contains(&e.department)
            }
        }
    }
}

/// Filters of a list (all optional, combined with AND) and its cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// The author.
    pub liaison: Option<String>,
    /// The target's kind.
    pub target_kind: Option<TargetKind>,
    /// The target's code.
    pub target_id: Option<String>,
    /// The target's department.
    pub department: Option<String>,
    /// Contacts on or after this day.
    pub from: Option<NaiveDate>,
    /// Contacts on or before this day.
    pub to: Option<NaiveDate>,
    /// Entries written before this `(created_at ms, id)` (the cursor of the previous page).
    pub after: Option<(i64, String)>,
}

/// One target's line of a person's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSummary {
    /// The unit.
    pub target: Target,
    /// Entries in the period.
    pub entries: i64,
    /// Entries that raised a problem (`problem` not empty).
    pub problems: i64,
    /// Entries with a resolution (`resolution` not empty): problems solved.
    pub solved: i64,
}

fn kind_name(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Department => "department",
        TargetKind::Class => "class",
    }
}

fn kind_of(s: &str) -> Result<TargetKind, StoreError> {
    match s {
        "department" => Ok(TargetKind::Department),
        "class" => Ok(TargetKind::Class),
        other => Err(StoreError::Corrupt(format!("ledger target kind `{other}`"))),
    }
}

fn mode_name(m: ContactMode) -> &'static str {
    match m {
        ContactMode::Visit => "visit",
        ContactMode::Meeting => "meeting",
        ContactMode::Online => "online",
        ContactMode::Phone => "phone",
    }
}

fn mode_of(s: &str) -> Result<ContactMode, StoreError> {
    match s {
        "visit" => Ok(ContactMode::Visit),
        "meeting" => Ok(ContactMode::Meeting),
        "online" => Ok(ContactMode::Online),
        "phone" => Ok(ContactMode::Phone),
        other => Err(StoreError::Corrupt(format!("ledger contact mode `{other}`"))),
    }
}

fn stored(m: row::Model) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        entry: LedgerEntry {
            id: m.id,
            liaison: m.liaison,
            target: Target { kind: kind_of(&m.target_kind)?, id: m.target_id },
            date: m.date,
            mode: mode_of(&m.mode)?,
            problem: m.problem,
            help: m.help,
            resolution: m.resolution,
            created_at: from_millis(m.created_at),
        },
        department: m.department,
        updated_at: from_millis(m.updated_at),
    })
}

/// Writes a new entry `id` by `liaison` at `now_ms`, with the `Idempotency-Key` and the hash of
/// the body it came with, if any. A second entry with the same key by the same liaison fails on
/// the unique index (`StoreError::Db`): look it up with [`by_idempotency_key`].
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    id: &str,
    liaison: &str,
    f: &EntryFields,
    now_ms: i64,
    idempotency: Option<(&str, &str)>,
) -> Result<StoredEntry, StoreError> {
    let m = row::Model {
        id: id.to_string(),
        liaison: liaison.to_string(),
        target_kind: kind_name(f.target.kind).into(),
        target_id: f.target.id.clone(),
        department: f.department.clone(),
        date: f.date,
        mode: mode_name(f.mode).into(),
        problem: f.problem.clone(),
        help: f.help.clone(),
        resolution: f.resolution.clone(),
        created_at: now_ms,
        updated_at: now_ms,
        idempotency_key: idempotency.map(|(k, _)| k.to_string()),
        idempotency_hash: idempotency.map(|(_, h)| h.to_string()),
    };
    let active = row::ActiveModel {
        id: Set(m.id.clone()),
        liaison: Set(m.liaison.clone()),
        target_kind: Set(m.target_kind.clone()),
        target_id: Set(m.target_id.clone()),
        department: Set(m.department.clone()),
        date: Set(m.date),
        mode: Set(m.mode.clone()),
        problem: Set(m.problem.clone()),
        help: Set(m.help.clone()),
        resolution: Set(m.resolution.clone()),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
        idempotency_key: Set(m.idempotency_key.clone()),
        idempotency_hash: Set(m.idempotency_hash.clone()),
    };
    row::Entity::insert(active).exec_without_returning(db).await?;
    stored(m)
}

/// Rewrites entry `id`'s fields at `now_ms` if it was written at or after `written_since_ms`
/// (the edit window, checked in the same statement so a late edit cannot slip in). `false`: no
/// such entry, or it is locked.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: &str,
    f: &EntryFields,
    now_ms: i64,
    written_since_ms: i64,
) -> Result<bool, StoreError> {
    let res = row::Entity::update_many()
        .col_expr(row::Column::TargetKind, Expr::value(kind_name(f.target.kind)))
        .col_expr(row::Column::TargetId, Expr::value(f.target.id.clone()))
        .col_expr(row::Column::Department, Expr::value(f.department.clone()))
        .col_expr(row::Column::Date, Expr::value(f.date))
        .col_expr(row::Column::Mode, Expr::value(mode_name(f.mode)))
        .col_expr(row::Column::Problem, Expr::value(f.problem.clone()))
        .col_expr(row::Column::Help, Expr::value(f.help.clone()))
        .col_expr(row::Column::Resolution, Expr::value(f.resolution.clone()))
        .col_expr(row::Column::UpdatedAt, Expr::value(now_ms))
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::CreatedAt.gte(written_since_ms))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Entry `id`, if there is one.
pub async fn get<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<StoredEntry>, StoreError> {
    row::Entity::find_by_id(id.to_string()).one(db).await?.map(stored).transpose()
}

/// The entry `liaison` wrote with `Idempotency-Key` `key`, with the hash of the body it came with.
pub async fn by_idempotency_key<C: ConnectionTrait>(
    db: &C,
    liaison: &str,
    key: &str,
) -> Result<Option<(StoredEntry, Option<String>)>, StoreError> {
    let Some(m) = row::Entity::find()
        .filter(row::Column::Liaison.eq(liaison))
        .filter(row::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let hash = m.idempotency_hash.clone();
    Ok(Some((stored(m)?, hash)))
}

/// Entries the reader may see that match `f`, newest written first (`created_at`, then `id`,
/// both descending: a keyset that edits do not move), at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &ListFilter,
    visible: &Visibility,
    limit: u64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let mut q = row::Entity::find();
    if let Some(c) = visible.condition() {
        q = q.filter(c);
    }
    if let Some(p) = &f.liaison {
        q = q.filter(row::Column::Liaison.eq(p.clone()));
    }
    if let Some(k) = f.target_kind {
        q = q.filter(row::Column::TargetKind.eq(kind_name(k)));
    }
    if let Some(t) = &f.target_id {
        q = q.filter(row::Column::TargetId.eq(t.clone()));
    }
    if let Some(d) = &f.department {
        q = q.filter(row::Column::Department.eq(d.clone()));
    }
    if let Some(d) = f.from {
        q = q.filter(row::Column::Date.gte(d));
    }
    if let Some(d) = f.to {
        q = q.filter(row::Column::Date.lte(d));
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            Condition::any()
                .add(row::Column::CreatedAt.lt(*at))
                .add(Condition::all().add(row::Column::CreatedAt.eq(*at)).add(row::Column::Id.lt(id.clone()))),
        );
    }
    q.order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(stored)
        .collect()
}

/// The day of the latest entry of each liaison for each target (M2 staleness: "warn if an
/// assignment has no entry in 60 days"), counting contacts on or before `until` when given. One
/// `GROUP BY` over the `(liaison, target_kind, target_id, date)` index: a row per pair (about
/// 32k at the large university), never the year's entries.
pub async fn latest<C: ConnectionTrait>(db: &C, until: Option<NaiveDate>) -> Result<Vec<LedgerLatest>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        liaison: String,
        target_kind: String,
        target_id: String,
        latest: NaiveDate,
    }
    let mut q = row::Entity::find()
        .select_only()
        .column(row::Column::Liaison)
        .column(row::Column::TargetKind)
        .column(row::Column::TargetId)
        .column_as(row::Column::Date.max(), "latest")
        .group_by(row::Column::Liaison)
        .group_by(row::Column::TargetKind)
        .group_by(row::Column::TargetId);
    if let Some(d) = until {
        q = q.filter(row::Column::Date.lte(d));
    }
    let rows = q.into_model::<Row>().all(db).await?;
    rows.into_iter()
        .map(|r| {
            Ok(LedgerLatest {
                liaison: r.liaison,
                target: Target { kind: kind_of(&r.target_kind)?, id: r.target_id },
                date: r.latest,
            })
        })
        .collect()
}

/// `person`'s entries with a contact day in `from..=to` that the reader may see, per target
/// (departments first, then classes, each by code): entries, problems raised, problems solved.
pub async fn summary<C: ConnectionTrait>(
    db: &C,
    person: &str,
    from: NaiveDate,
    to: NaiveDate,
    visible: &Visibility,
) -> Result<Vec<TargetSummary>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        target_kind: String,
        target_id: String,
        entries: i64,
        problems: i64,
        solved: i64,
    }
    // COUNT of a CASE without ELSE counts the rows where it holds; COUNT is a BIGINT everywhere
    // (a SUM would be a DECIMAL on MySQL).
    let counted = |c: row::Column| -> Expr {
        Func::count(Expr::case(ExprTrait::ne(Expr::col(c), ""), 1).finally(Expr::null())).into()
    };
    let mut q = row::Entity::find()
        .select_only()
        .column(row::Column::TargetKind)
        .column(row::Column::TargetId)
        .column_as(row::Column::Id.count(), "entries")
        .column_as(counted(row::Column::Problem), "problems")
        .column_as(counted(row::Column::Resolution), "solved")
        .filter(row::Column::Liaison.eq(person))
        .filter(row::Column::Date.gte(from))
        .filter(row::Column::Date.lte(to));
    if let Some(c) = visible.condition() {
        q = q.filter(c);
    }
    let rows = q
        .group_by(row::Column::TargetKind)
        .group_by(row::Column::TargetId)
        .order_by_desc(row::Column::TargetKind)
        .order_by_asc(row::Column::TargetId)
        .into_model::<Row>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TargetSummary {
                target: Target { kind: kind_of(&r.target_kind)?, id: r.target_id },
                entries: r.entries,
                problems: r.problems,
                solved: r.solved,
            })
        })
        .collect()
}
