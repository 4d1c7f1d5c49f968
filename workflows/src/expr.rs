//! (being written) The expression language of conditions.
use crate::diag::Pos;
/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// Source text.
    pub source: String,
    /// Position.
    pub pos: Pos,
}
impl Expr {
    /// Eval.
    pub fn eval_bool(
        &self,
        _form: &serde_json::Map<String, serde_json::Value>,
        _s: &crate::org::SubmitterInfo,
    ) -> bool {
        false
    }
}
