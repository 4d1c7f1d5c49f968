//! The command line: `check`, `simulate`, `graph`.

mod check;
mod graph;
mod simulate;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use workflows::Definition;
use workflows::catalog::Lang;

/// Liandong (联动): approval workflows for the school, department and class levels of student unions.
#[derive(Debug, Parser)]
#[command(name = "liandong", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate workflow definitions: prints `file:line:col: error[code]: message`, exits 1 on any error.
    Check {
        /// Definition files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Walk a definition step by step against an org: who is asked, when timers fall, the outcome.
    Simulate(simulate::Args),
    /// Draw a definition's step graph as SVG.
    Graph {
        /// A definition file, or the key of a built-in definition.
        definition: String,
        /// Write the SVG here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Language of the labels: zh (default) or en.
        #[arg(long, default_value = "zh", value_parser = parse_lang)]
        lang: Lang,
    },
}

/// Runs one command; the exit code says whether it succeeded.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Simulate(args) => simulate::run(args),
        Command::Graph { definition, output, lang } => graph::run(&definition, output.as_deref(), lang),
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}`: choose zh or en"))
}

/// Loads a definition from a file, or a built-in one by key; refuses one with errors.
fn load_definition(arg: &str) -> Result<Definition> {
    let (name, text) = match workflows::builtin::BUILTIN.iter().find(|(f, _)| f.trim_end_matches(".yaml") == arg) {
        Some((f, t)) => (format!("workflows/definitions/{f}"), (*t).to_string()),
        None => {
            let text = std::fs::read_to_string(arg)
                .with_context(|| format!("cannot read `{arg}` (neither a file nor a built-in definition key)"))?;
            (arg.to_string(), text)
        }
    };
    let checked = workflows::validate::check_source(&text);
    for d in &checked.diagnostics {
        eprintln!("{}", d.render(&name));
    }
    match checked.definition {
        Some(def) => Ok(def),
        None => bail!("`{name}` has errors; fix them first (see above)"),
    }
}
