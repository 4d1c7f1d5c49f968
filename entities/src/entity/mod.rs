//! The sea-orm entities, one module per table.

pub mod assessment;
pub mod duty_review;
pub mod ledger;
pub mod org;
pub mod participation;
pub mod records;
pub mod reporting;
pub mod workflow;
