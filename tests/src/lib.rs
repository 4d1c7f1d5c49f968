//! End-to-end tests of Liandong live in this crate (see `tests/`).
