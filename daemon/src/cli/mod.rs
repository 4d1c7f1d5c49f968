//! The command line: `serve`, `migrate`, `token`, `audit`, `org`, `compliance`, `check`, `simulate`, `graph`.

mod check;
mod daemon;
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
    /// A settings file laid over config/default.toml and config/$LIANDONG_ENV.toml.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon (the default): HTTP API on [server] listen, database from [database] url.
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The org chart.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Validate workflow definitions: prints `file:line:col: error[code]: message`, exits 1 on any error.
    Check {
        /// Definition files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The compliance report: the findings of the policy's checks for a day (as GET
    /// /api/v1/compliance gives admins), one per line, or as JSON.
    Compliance {
        /// The day to check (YYYY-MM-DD, Asia/Shanghai); today by default.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Print `{"day", "total", "counts", "items"}` as the API does.
        #[arg(long)]
        json: bool,
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

/// `liandong token …`.
#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a bearer token for a person of the org; it is printed once and stored only as a hash.
    Create {
        /// Person id or email.
        person: String,
        /// A name to recognise it by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The token may administer workflows and the org.
        #[arg(long)]
        admin: bool,
    },
    /// Revoke a token by its id (as `GET /api/v1/tokens` lists it): it answers 401 from then on.
    Revoke {
        /// The token's id.
        id: i64,
    },
}

/// `liandong org …`.
#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Replace the org with an org file (all-or-nothing; every problem listed with line:col).
    Import {
        /// The org file (YAML).
        file: PathBuf,
        /// Where the open tasks of people the file no longer has, or of posts it ends, go:
        /// `selector` (the step's reviewers, resolved again) or `person:<id>`. Without it such
        /// an import is refused.
        #[arg(long, value_name = "selector|person:ID")]
        move_open_tasks_to: Option<String>,
    },
    /// Write the org as an org file to standard output.
    Export,
    /// Write the large synthetic university (60 departments, 4,000 classes, 150,000 students) as an org file.
    GenerateLarge {
        /// Where to write it.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// `liandong audit …`.
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check every request's hash chain of events; exit 1 on a break.
    Verify,
}

/// Runs one command; the exit code says whether it succeeded.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Check { files } => check::run(&files),
        Command::Simulate(args) => simulate::run(args),
        Command::Graph { definition, output, lang } => graph::run(&definition, output.as_deref(), lang),
        Command::Serve => daemon::serve(config.as_deref()),
        Command::Migrate => daemon::migrate(config.as_deref()),
        Command::Token(TokenCommand::Create { person, name, admin }) => {
            daemon::token(config.as_deref(), &person, &name, admin)
        }
        Command::Token(TokenCommand::Revoke { id }) => daemon::token_revoke(config.as_deref(), id),
        Command::Audit(AuditCommand::Verify) => daemon::audit(config.as_deref()),
        Command::Org(OrgCommand::Import { file, move_open_tasks_to }) => {
            daemon::org_import(config.as_deref(), &file, move_open_tasks_to.as_deref())
        }
        Command::Org(OrgCommand::Export) => daemon::org_export(config.as_deref()),
        Command::Compliance { day, json } => daemon::compliance(config.as_deref(), day, json),
        Command::Org(OrgCommand::GenerateLarge { output }) => {
            std::fs::write(&output, workflows::org::file::dump_org(&workflows::org::generate::large(7)))
                .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!("wrote {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
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
