//! (placeholder until the parse branch lands)
use crate::model::Definition;
use serde::Serialize;
/// A field error.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    /// Field.
    pub field: String,
    /// Code.
    pub code: &'static str,
    /// Message.
    pub message: String,
}
/// Check.
pub fn check_form(
    _def: &Definition,
    input: &serde_json::Value,
    _dir: Option<&dyn crate::org::Directory>,
) -> Result<serde_json::Map<String, serde_json::Value>, Vec<FieldError>> {
    Ok(input.as_object().cloned().unwrap_or_default())
}
