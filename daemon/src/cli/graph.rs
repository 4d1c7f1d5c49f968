//! `liandong graph DEFINITION`: the step graph as SVG.

use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;
use workflows::catalog::Lang;

/// Renders the definition's graph to `output` or standard output.
pub fn run(definition: &str, output: Option<&Path>, lang: Lang) -> Result<ExitCode> {
    let def = super::load_definition(definition)?;
    let svg = workflows::graph::render_svg(&def, lang);
    match output {
        Some(path) => {
            std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{svg}"),
    }
    Ok(ExitCode::SUCCESS)
}
