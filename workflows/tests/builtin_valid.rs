//! Every built-in definition is valid: no error, no warning.

#[test]
fn every_builtin_definition_checks_clean() {
    assert!(workflows::builtin::BUILTIN.len() >= 15);
    let mut problems = Vec::new();
    for (file, text) in workflows::builtin::BUILTIN {
        for d in workflows::validate::check_source(text).diagnostics {
            problems.push(d.render(&format!("workflows/definitions/{file}")));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
