//! Keyset paging of the lists ordered by when a row was written (`/api/v1/requests`,
//! `/api/v1/ledger`): the cursor is the hex of `<created_at ms>:<id>` of the last row of a page;
//! `limit` is 1–200, 50 by default.

use crate::app::AppError;

/// The cursor after the row written at `created_at` (ms) with `id`.
pub(super) fn encode_cursor(created_at: i64, id: &str) -> String {
    hex::encode(format!("{created_at}:{id}"))
}

/// The `cursor` query value read back; one this API did not give out is 400-class
/// `bad_cursor`.
pub(super) fn decode_cursor(c: Option<&str>) -> Result<Option<(i64, String)>, AppError> {
    let Some(c) = c else { return Ok(None) };
    let read = || {
        let raw = String::from_utf8(hex::decode(c).ok()?).ok()?;
        let (at, id) = raw.split_once(':')?;
        Some((at.parse().ok()?, id.to_string()))
    };
    read().map(Some).ok_or_else(|| AppError::Invalid {
        code: "bad_cursor",
        message: "`cursor` is not one this API gave out".into(),
        fields: vec![],
    })
}

/// The page size asked for, within 1–200 (50 when absent).
pub(super) fn page_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(50).clamp(1, 200)
}
