//! Diagnostics: what the parser and the validator say about a definition, with `line:column`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A 1-based position in a YAML source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub col: u32,
}

impl Pos {
    /// A position from its line and column.
    pub fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The definition cannot be used.
    Error,
    /// The definition works but probably not as meant.
    Warning,
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code, e.g. `unknown_step`.
    pub code: &'static str,
    /// A plain message an admin can act on.
    pub message: String,
    /// Where in the YAML.
    pub pos: Pos,
}

impl Diagnostic {
    /// An error at `pos`.
    pub fn error(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, message: message.into(), pos }
    }
    /// A warning at `pos`.
    pub fn warning(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code, message: message.into(), pos }
    }
    /// `file:line:col: error[code]: message`, the format of `liandong check`.
    pub fn render(&self, file: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{file}:{}: {sev}[{}]: {}", self.pos, self.code, self.message)
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
