//! `liandong check FILE…`: every diagnostic of every file, exit 1 on any error.

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use workflows::diag::{Severity, has_errors};

/// Checks the files and prints `file:line:col: severity[code]: message` lines.
pub fn run(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = false;
    let (mut errors, mut warnings) = (0usize, 0usize);
    for file in files {
        let name = file.display().to_string();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                println!("{name}: error[unreadable]: {e}");
                failed = true;
                errors += 1;
                continue;
            }
        };
        let checked = workflows::validate::check_source(&text);
        for d in &checked.diagnostics {
            println!("{}", d.render(&name));
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        failed |= has_errors(&checked.diagnostics);
    }
    eprintln!("{} file(s) checked: {errors} error(s), {warnings} warning(s)", files.len());
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
