//! The `liandong` binary.
fn main() {}
