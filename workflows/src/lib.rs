//! The Liandong workflow language and engine: definitions (YAML → typed model with positions),
//! the validator, the org model and its `Directory`, the working-day calendar, the pure engine and
//! the simulator. Pure: no I/O beyond reading strings it is given, no clock, no async.

pub mod assessment;
pub mod builtin;
pub mod calendar;
pub mod catalog;
pub mod compliance;
pub mod decision;
pub mod diag;
pub mod duration;
pub mod duties;
pub mod engine;
pub mod expr;
pub mod form;
pub mod graph;
pub mod guard;
pub mod model;
pub mod org;
pub mod parse;
pub mod records;
pub mod reporting_checklist;
pub mod score;
pub mod simulate;
pub mod stats;
pub mod validate;
pub mod yaml;

pub use calendar::WorkCalendar;
pub use diag::{Diagnostic, Pos, Severity};
pub use model::Definition;
