//! The command line as a user runs it: `liandong check`, `simulate` and `graph`.

use std::process::Command;

fn liandong(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_liandong")).args(args).output().expect("run liandong");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("liandong-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn builtin(name: &str) -> String {
    format!("{}/../workflows/definitions/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_accepts_every_builtin_definition() {
    // given every shipped definition
    let dir = format!("{}/../workflows/definitions", env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    assert!(files.len() >= 14, "expected the built-in definitions, found {files:?}");
    let args: Vec<&str> = std::iter::once("check").chain(files.iter().map(String::as_str)).collect();
    // when
    let (code, stdout, stderr) = liandong(&args);
    // then
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains(&format!("{} file(s) checked: 0 error(s)", files.len())), "{stderr}");
}

#[test]
fn check_prints_file_line_col_and_exits_1() {
    // given a definition with a typo'd step target and an unknown key
    let path = temp_file(
        "bad.yaml",
        "key: bad_flow\nversion: 1\nname: { zh: 坏流程, en: Bad }\nstart: review\nsteps:\n  review:\n    approve: { who: { body: school_su, roles: [president] } }\n    next: { approve: approvd }\n    colour: red\n  approved: { end: approved }\n",
    );
    let file = path.display().to_string();
    // when
    let (code, stdout, _) = liandong(&["check", &file]);
    // then
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("{file}:8:22: error[unknown_step]")), "{stdout}");
    assert!(stdout.contains(&format!("{file}:9:5: error[unknown_key]")), "{stdout}");
}

#[test]
fn check_reports_malformed_yaml_with_position() {
    let path = temp_file("broken.yaml", "key: x\nsteps: [a, b\n");
    let file = path.display().to_string();
    let (code, stdout, _) = liandong(&["check", &file]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with(&format!("{file}:")), "{stdout}");
    assert!(stdout.contains("error[yaml_syntax]"), "{stdout}");
}

#[test]
fn graph_writes_an_svg_with_the_steps() {
    let out = std::env::temp_dir().join(format!("liandong-m1-{}.svg", std::process::id()));
    let (code, _, stderr) = liandong(&["graph", &builtin("major_matter_report"), "-o", &out.display().to_string()]);
    assert_eq!(code, 0, "{stderr}");
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains("</svg>"));
}

#[test]
fn simulate_walks_m1_with_working_day_times_and_escalation() {
    // the README's example, with the school SU acknowledging only after two escalations
    let form = r#"{"kind":"report","matter_type":"major_meeting","title":"计算机学院学生会关于召开第五次学生代表大会的报告","body":"拟于11月召开。","event_date":"2025-11-20"}"#;
    let (code, out, err) = liandong(&[
        "simulate",
        "major_matter_report",
        "--as",
        "2023010201",
        "--at",
        "2025-09-26T17:00:00+08:00",
        "--form",
        form,
        "--decide",
        "school_su_ack=wait,wait,approve",
    ]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "[2025年9月26日 17:00] ▶ league_review (学院团组织审核) 截止 2025年9月30日 17:00",
        "[2025年9月28日 17:00]   ⇧ 升级 1 → ",
        "[2025年9月30日 17:00]   ⇧ 升级 2 → ",
        "[2025年9月30日 17:00] ■ 结果: 已通过",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[test]
fn simulate_reports_form_errors_and_refused_submitters() {
    let (code, out, _) =
        liandong(&["simulate", "major_matter_report", "--as", "2023010201", "--form", r#"{"kind":"requst"}"#]);
    assert_eq!(code, 1);
    assert!(out.contains("form.kind: error[not_allowed]: `kind`: `requst` is not one of request, report"), "{out}");
    assert!(out.contains("form.title: error[required]"), "{out}");
    let (code, out, _) = liandong(&[
        "simulate",
        "major_matter_report",
        "--as",
        "T0102",
        "--form",
        r#"{"kind":"report","matter_type":"major_meeting","title":"x","body":"y"}"#,
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("error[not_a_submitter]"), "{out}");
}

#[test]
fn migrate_token_and_audit_on_a_fresh_database() {
    let file = std::env::temp_dir().join(format!("liandong-cli-audit-{}.sqlite", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_liandong"))
            .args(args)
            .env("LIANDONG__DATABASE__URL", &url)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert_eq!(run(&["migrate"]), (0, "database is up to date\n".into()));
    let (code, token) = run(&["token", "create", "T0102"]);
    assert_eq!(code, 0);
    assert!(token.trim().starts_with("ld_") && token.trim().len() == 67, "{token}");
    let (code, out) = run(&["token", "create", "nobody"]);
    assert_ne!(code, 0, "{out}");
    // the first start's admin token is 1, T0102's is 2
    assert_eq!(run(&["token", "revoke", "2"]), (0, "token 2 is revoked\n".into()));
    assert_eq!(run(&["token", "revoke", "2"]), (0, "token 2 is revoked\n".into()), "again: nothing changes");
    assert_eq!(run(&["token", "revoke", "999"]).0, 1, "no such token");
    // an import says where the open tasks of removed people go: `selector` or `person:<id>`
    let org = temp_file("cli-org-move.yaml", "university: {}\n");
    let (code, _) = run(&["org", "import", org.to_str().unwrap(), "--move-open-tasks-to", "elsewhere"]);
    assert_ne!(code, 0);
    // the demo's planted requests (seeded on first start) are chained like any other
    let (code, out) = run(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    let checked: u64 = out.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{out}"));
    assert!(checked > 0 && out.ends_with(" events checked, 0 broken chain(s)\n"), "{out}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("liandong-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/l.sqlite?mode=rwc", dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_liandong"))
        .arg("serve")
        .env("LIANDONG__DATABASE__URL", &url)
        .env("LIANDONG__SERVER__LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut printed = String::new();
    while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
        printed.push_str(&line);
        if line.contains("listening on") {
            break;
        }
        line.clear();
    }
    assert!(printed.contains("Admin token"), "{printed}");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "a SIGTERM ends the daemon cleanly: {exit:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `liandong` against the database at `url` with the test settings.
fn liandong_on(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_liandong"))
        .args(args)
        .env("LIANDONG_ENV", "test")
        .env("LIANDONG__DATABASE__URL", url)
        .output()
        .expect("run liandong");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `liandong compliance --day D --json` prints the API's report; without `--json`, a line per
/// finding in zh-CN and the counts.
fn compliance_on(url: &str) {
    let (code, stdout, stderr) = liandong_on(url, &["compliance", "--day", "2025-11-24", "--json"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["day"], "2025-11-24");
    let items = report["items"].as_array().unwrap();
    assert_eq!(report["total"].as_u64().unwrap() as usize, items.len());
    let art = items
        .iter()
        .find(|f| f["code"] == "m3_term_transition_missing" && f["subject"]["id"] == "art")
        .unwrap_or_else(|| panic!("art blocks the congress: {stdout}"));
    assert_eq!((art["severity"].as_str(), art["measure"].as_str()), (Some("block"), Some("M3")));
    let (code, text, stderr) = liandong_on(url, &["compliance", "--day", "2025-11-24"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.starts_with("2025年11月24日 合规检查"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("block") && l.contains("艺术学院学生会（art）")), "{text}");
    assert!(text.trim_end().ends_with(&format!(
        "{} finding(s): {} block, {} error, {} warning",
        items.len(),
        report["counts"]["block"],
        report["counts"]["error"],
        report["counts"]["warning"]
    )));
    // a day that is not a date: clap's usage error, exit 2
    let (code, _, stderr) = liandong_on(url, &["compliance", "--day", "24.11.2025"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn compliance_prints_the_report_sqlite() {
    let dir = std::env::temp_dir().join(format!("liandong-compliance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    compliance_on(&url);
}

#[test]
fn compliance_prints_the_report_postgres() {
    let name = format!("ld_cli_compliance_{}", std::process::id());
    let psql = |sql: &str| {
        use entities::sea_orm::{ConnectionTrait, Statement};
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let admin = entities::store::connect(&entities::store::DbOptions::new(
                "postgres://postgres@127.0.0.1:5432/postgres",
            ))
            .await
            .expect("PostgreSQL is running on 127.0.0.1:5432");
            admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql.to_string())).await.unwrap();
        });
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    compliance_on(&format!("postgres://postgres@127.0.0.1:5432/{name}"));
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
}
