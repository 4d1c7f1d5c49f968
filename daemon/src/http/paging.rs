//! Keyset paging of the lists ordered by when a row was written (`/api/v1/requests`,
//! `/api/v1/ledger`, `/api/v1/volunteer-hours`): the cursor is the hex of `<list>:<created_at
//! ms>:<id>` of the last row of a page, so that a cursor of one list is refused by another;
//! `limit` is 1–200, 50 by default.

use crate::app::AppError;
use serde_json::{Value, json};

/// The cursor of list `list` after the row written at `created_at` (ms) with `id`.
fn encode_cursor(list: &str, created_at: i64, id: &str) -> String {
    hex::encode(format!("{list}:{created_at}:{id}"))
}

/// The `cursor` query value of list `list` read back; one this list did not give out (forged,
/// or another list's) is 400-class `bad_cursor`, field `cursor`.
pub(super) fn decode_cursor(list: &str, c: Option<&str>) -> Result<Option<(i64, String)>, AppError> {
    let Some(c) = c else { return Ok(None) };
    let read = || {
        let raw = String::from_utf8(hex::decode(c).ok()?).ok()?;
        let rest = raw.strip_prefix(list)?.strip_prefix(':')?;
        let (at, id) = rest.split_once(':')?;
        Some((at.parse().ok()?, id.to_string())).filter(|(_, id)| !id.is_empty())
    };
    read().map(Some).ok_or_else(|| AppError::Invalid {
        code: "bad_cursor",
        message: format!("`cursor` is not one this list ({list}) gave out"),
        fields: vec![workflows::form::FieldError {
            field: "cursor".into(),
            code: "bad_cursor",
            message: "use the `next` of the previous page of the same list".into(),
        }],
    })
}

/// The page size asked for, within 1–200 (50 when absent).
pub(super) fn page_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(50).clamp(1, 200)
}

/// The answer of a list read with [`page_limit`]` + 1` rows: `{"items": [the first `limit` rows
/// as `view` shows them], "next": the cursor after the last of them, or null when no row is left}`.
/// `key`: a row's (written at, ms; id).
pub(super) fn page<T>(
    list: &str,
    rows: &[T],
    limit: u64,
    key: impl Fn(&T) -> (i64, &str),
    view: impl FnMut(&T) -> Value,
) -> Value {
    let shown = &rows[..rows.len().min(limit as usize)];
    let next = (rows.len() > shown.len()).then(|| {
        shown.last().map(|r| {
            let (at, id) = key(r);
            encode_cursor(list, at, id)
        })
    });
    json!({ "items": shown.iter().map(view).collect::<Vec<_>>(), "next": next.flatten() })
}
