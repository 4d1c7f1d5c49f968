//! `liandong simulate DEFINITION --as PERSON --form JSON`: a dry run against an org.

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::process::ExitCode;
use workflows::WorkCalendar;
use workflows::catalog::Lang;
use workflows::org::{Directory, OrgDirectory};
use workflows::simulate::{Script, simulate};

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A definition file, or the key of a built-in definition (e.g. major_matter_report).
    definition: String,
    /// The submitter: a person id or email of the org.
    #[arg(long = "as")]
    submitter: String,
    /// The form as JSON, or @FILE to read it from a file.
    #[arg(long, default_value = "{}")]
    form: String,
    /// An org file (YAML); the demo university when absent.
    #[arg(long)]
    org: Option<PathBuf>,
    /// When the request is submitted (RFC 3339, e.g. 2025-09-26T17:00:00+08:00); now when absent.
    #[arg(long)]
    at: Option<DateTime<chrono::FixedOffset>>,
    /// Scripted choices, e.g. --decide league_review=return,approve --decide school_su_ack=wait.
    /// Steps not named approve (or acknowledge); `wait` lets the timers run.
    #[arg(long = "decide")]
    decide: Vec<String>,
    /// Fields a step's reviewer fills (its `fields:`), as step=JSON, e.g.
    /// --fill 'classify={"lead_office":"library"}'; name a step twice for its second visit.
    #[arg(long = "fill")]
    fill: Vec<String>,
    /// Language of the transcript: zh (default) or en.
    #[arg(long, default_value = "zh", value_parser = super::parse_lang)]
    lang: Lang,
}

/// Runs the simulation and prints the transcript; exit 1 if the engine refused the submission.
pub fn run(args: Args) -> Result<ExitCode> {
    let def = super::load_definition(&args.definition)?;
    let dir = match &args.org {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let org = workflows::org::file::load_org(&text).map_err(|errs| {
                anyhow!(
                    "{} has {} problem(s):\n{}",
                    path.display(),
                    errs.len(),
                    errs.iter().map(|e| format!("{}:{e}", path.display())).collect::<Vec<_>>().join("\n")
                )
            })?;
            OrgDirectory::new(org)
        }
        None => workflows::org::generate::demo_directory(),
    };
    let form_text = match args.form.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        None => args.form.clone(),
    };
    let form: serde_json::Value =
        serde_json::from_str(&form_text).with_context(|| "--form is not valid JSON".to_string())?;
    let submitter = dir
        .person(&args.submitter)
        .or_else(|| dir.person_by_email(&args.submitter))
        .map(|p| p.id.clone())
        .ok_or_else(|| anyhow!("`{}` is not a person of this org", args.submitter))?;
    let script = Script::parse(&args.decide).and_then(|s| s.parse_fills(&args.fill)).map_err(|e| anyhow!(e))?;
    let start = args.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let cal = WorkCalendar::builtin();
    match simulate(&def, &dir, &cal, &submitter, &form, start, &script) {
        Ok(t) => {
            print!("{}", t.render(&def, &dir, args.lang));
            Ok(ExitCode::SUCCESS)
        }
        Err(workflows::engine::EngineError::InvalidForm(errs)) => {
            for e in errs {
                println!("form.{}: error[{}]: {}", e.field, e.code, e.message);
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            println!("error[{}]: {e}", e.code());
            Ok(ExitCode::from(1))
        }
    }
}
