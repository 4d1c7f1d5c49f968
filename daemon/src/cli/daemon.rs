//! `liandong serve | migrate | token create | audit verify | org | compliance`: the commands that use the database.

use anyhow::{Context, Result};
use daemon::settings::{LogFormat, Settings};
use std::path::Path;
use std::process::ExitCode;

fn settings(config: Option<&Path>) -> Result<Settings> {
    Settings::from_process(config)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

fn init_logs(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&s.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match s.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the daemon until SIGTERM or Ctrl-C.
pub fn serve(config: Option<&Path>) -> Result<ExitCode> {
    let s = settings(config)?;
    init_logs(&s);
    runtime()?.block_on(async {
        let started = std::time::Instant::now();
        let app = daemon::startup::Application::build(&s).await?;
        let shutdown = daemon::startup::shutdown_signal();
        let addr = app.local_addr();
        if let Some(token) = &app.first_admin_token {
            println!("First start: the demo university (南粤示例大学) and the built-in workflows are loaded.");
            println!("Admin token (shown once, stored only as a hash):\n\n    {token}\n");
        }
        println!("Liandong listening on http://{addr} (ready in {} ms)", started.elapsed().as_millis());
        tracing::info!(%addr, "listening");
        app.serve(shutdown).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Migrates and exits.
pub fn migrate(config: Option<&Path>) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let db =
            entities::store::connect(&s.db_options()).await.context("cannot open the database (see [database] url)")?;
        <entities::Migrator as entities::MigratorTrait>::up(&db, None).await.context("migrating the database")?;
        println!("database is up to date");
        Ok(ExitCode::SUCCESS)
    })
}

/// Creates a token and prints it once.
pub fn token(config: Option<&Path>, person: &str, name: &str, admin: bool) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let (app, first) = daemon::startup::open(&s).await?;
        if let Some(t) = first {
            eprintln!("First start: the demo university is loaded; its admin token (shown once): {t}");
        }
        let token = app.create_token(person, name, admin).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{token}");
        Ok(ExitCode::SUCCESS)
    })
}

/// Revokes a token by id.
pub fn token_revoke(config: Option<&Path>, id: i64) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let (app, _) = daemon::startup::open(&s).await?;
        let admin = daemon::app::Principal { person: "cli".into(), admin: true };
        match app.revoke_token(&admin, id).await {
            Ok(()) => {
                println!("token {id} is revoked");
                Ok(ExitCode::SUCCESS)
            }
            Err(daemon::app::AppError::NotFound(m)) => {
                eprintln!("{m}");
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    })
}

/// Verifies every hash chain.
pub fn audit(config: Option<&Path>) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let (app, _) = daemon::startup::open(&s).await?;
        let (n, breaks) = entities::store::requests::verify_chains(&app.db).await?;
        for b in &breaks {
            println!("request {}: the hash chain breaks at event {}", b.request, b.seq);
        }
        println!("{n} events checked, {} broken chain(s)", breaks.len());
        Ok(if breaks.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// Imports an org file, showing progress.
pub fn org_import(config: Option<&Path>, file: &Path, move_open_tasks_to: Option<&str>) -> Result<ExitCode> {
    let s = settings(config)?;
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let to = move_open_tasks_to
        .map(daemon::app::App::parse_move_open_tasks)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--move-open-tasks-to: {e}"))?;
    runtime()?.block_on(async {
        let (app, _) = daemon::startup::open(&s).await?;
        let admin = daemon::app::Principal { person: "cli".into(), admin: true };
        let mut last = 0;
        let result = app
            .import_org(&admin, &text, to, |done, total| {
                let pct = done * 100 / total.max(1);
                if pct >= last + 5 || done == total {
                    last = pct;
                    eprint!("\rimporting: {done}/{total} rows ({pct}%)");
                }
            })
            .await;
        eprintln!();
        match result {
            Ok(i) => {
                println!(
                    "imported {} departments, {} classes, {} people, {} posts, {} liaisons; kept {} posts and {} \
                     liaisons that approved requests wrote or ended",
                    i.departments, i.classes, i.people, i.posts, i.liaisons, i.outcome_posts, i.outcome_liaisons
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(daemon::app::AppError::Invalid { message, fields, .. }) => {
                for f in fields {
                    println!("{}:{}: error: {}", file.display(), f.field, f.message);
                }
                println!("{message}");
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    })
}

/// Prints the org file.
pub fn org_export(config: Option<&Path>) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let (app, _) = daemon::startup::open(&s).await?;
        let admin = daemon::app::Principal { person: "cli".into(), admin: true };
        print!("{}", app.export_org(&admin).map_err(|e| anyhow::anyhow!("{e}"))?);
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints the compliance report of `day` (today by default): one finding per line (severity,
/// measure, code, subject, message in zh-CN, who must act), then the counts; or the API's JSON.
pub fn compliance(config: Option<&Path>, day: Option<chrono::NaiveDate>, json: bool) -> Result<ExitCode> {
    let s = settings(config)?;
    runtime()?.block_on(async {
        let (app, _) = daemon::startup::open(&s).await?;
        let admin = daemon::app::Principal { person: "cli".into(), admin: true };
        let filter = daemon::app::compliance::ComplianceFilter { day, ..Default::default() };
        let (day, items) = app.compliance(&admin, &filter).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        use workflows::compliance::Severity;
        let count = |s: Severity| items.iter().filter(|f| f.severity == s).count();
        let (w, e, b) = (count(Severity::Warning), count(Severity::Error), count(Severity::Block));
        if json {
            let out = serde_json::json!({
                "day": day, "total": items.len(),
                "counts": { "warning": w, "error": e, "block": b },
                "items": items,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            let date = workflows::calendar::format_date(day, workflows::catalog::Lang::Zh);
            println!("{date} 合规检查（{}）", day);
            for f in &items {
                println!(
                    "{:<7} {:<3} {:<30} {}（{}）：{} → {}",
                    f.severity.as_str(),
                    f.measure,
                    f.code,
                    f.subject.name,
                    f.subject.id,
                    f.message.zh,
                    f.people.join(", ")
                );
            }
            println!("{} finding(s): {b} block, {e} error, {w} warning", items.len());
        }
        Ok(ExitCode::SUCCESS)
    })
}
