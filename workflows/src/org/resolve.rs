//! (placeholder until the org branch lands) Selector resolution.
use super::{Directory, PersonId, SubmitterInfo};
use crate::model::Selector;
use chrono::NaiveDate;
/// Context.
pub struct ResolveCtx<'a> {
    /// Submitter.
    pub submitter: &'a SubmitterInfo,
    /// Form.
    pub form: &'a serde_json::Map<String, serde_json::Value>,
    /// Day.
    pub day: NaiveDate,
}
/// Resolve all.
pub fn resolve_all(_sels: &[Selector], _ctx: &ResolveCtx, _dir: &dyn Directory) -> Vec<PersonId> {
    Vec::new()
}
