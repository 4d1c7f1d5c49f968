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
