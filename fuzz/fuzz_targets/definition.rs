//! Arbitrary bytes → a workflow definition (`check_source`: YAML with positions, parse, validate) and an org chart
//! (`load_org`). Both answer with diagnostics / errors and must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let checked = workflows::validate::check_source(text);
    // A definition is only returned when there is no error.
    if checked.definition.is_some() {
        assert!(!checked.diagnostics.iter().any(workflows::validate::is_error));
    }
    let _ = workflows::org::file::load_org(text);
});
