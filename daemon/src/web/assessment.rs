//! The public results page of the annual assessment (M10 年度考核, issue 12 item 2):
//! `GET /public/assessments/{year}[?lang=en]`, no login. It shows what may be shown — department,
//! grade, total, rank — of the newest published version, with every correction noted; never a
//! comment, an assessor or any personal data. Before publication it answers 200 with a page
//! saying so. zh-CN first, printable (a print stylesheet), one column on a phone. The first
//! askama page: the template (`templates/web/assessment.html`) is checked at compile time.

use crate::app::App;
use crate::app::assessment::YEARS;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::TimeZone;
use entities::store::assessment::Publication;
use serde::Deserialize;
use std::sync::Arc;
use workflows::catalog::Lang;
use workflows::org::{Directory, OrgDirectory};

/// The route.
pub fn router() -> Router<Arc<App>> {
    Router::new().route("/public/assessments/{year}", get(page))
}

/// One row of the table.
struct Row {
    rank: u32,
    department: String,
    grade: &'static str,
    grade_id: &'static str,
    total: String,
}

/// The page.
#[derive(Template)]
#[template(path = "web/assessment.html")]
struct ResultsPage {
    html_lang: &'static str,
    title: String,
    heading: String,
    not_published: String,
    version_line: String,
    notes: Vec<String>,
    caption: String,
    th_rank: &'static str,
    th_department: &'static str,
    th_grade: &'static str,
    th_total: &'static str,
    rows: Vec<Row>,
    other_lang: &'static str,
    other_lang_label: &'static str,
    other_lang_href: String,
    footer: String,
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

fn date(ms: i64, lang: Lang) -> String {
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| workflows::calendar::format_date(t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(), lang))
        .unwrap_or_default()
}

/// The page of `year` in `lang` from its published versions (oldest first).
fn build(org: &OrgDirectory, year: i32, pubs: &[Publication], lang: Lang) -> ResultsPage {
    let zh = lang == Lang::Zh;
    let name = |code: &str| {
        org.department(code)
            .map_or_else(|| code.to_string(), |d| if zh { d.name.zh.clone() } else { d.name.en.clone() })
    };
    let last = pubs.last();
    let rows = last
        .map(|p| {
            p.results
                .iter()
                .map(|r| Row {
                    rank: r.rank,
                    department: name(&r.department),
                    grade: if zh { r.grade.zh() } else { r.grade.en() },
                    grade_id: match r.grade {
                        workflows::assessment::Grade::Good => "good",
                        workflows::assessment::Grade::Poor => "poor",
                        _ => "mid",
                    },
                    total: format!("{:.1}", r.total),
                })
                .collect()
        })
        .unwrap_or_default();
    let notes = pubs
        .iter()
        .skip(1)
        .map(|p| {
            let on = date(p.published_at, lang);
            if zh {
                format!("版本 {}，更正：{}（{on}）", p.version, p.note)
            } else {
                format!("Version {}, correction: {} ({on})", p.version, p.note)
            }
        })
        .collect();
    let university = if zh { org.org().university.name.zh.clone() } else { org.org().university.name.en.clone() };
    let (heading, title) = if zh {
        (format!("{year}年度院系学生会组织考核结果"), format!("{year}年度院系学生会组织考核结果 · {university}"))
    } else {
        (
            format!("Annual assessment of department SUs, {year}"),
            format!("Annual assessment of department SUs, {year} · {university}"),
        )
    };
    ResultsPage {
        html_lang: if zh { "zh-CN" } else { "en" },
        title,
        heading,
        not_published: if zh {
            format!("{year}年度考核结果尚未公布。校团委确认并公布后，结果将在此页公开。")
        } else {
            format!(
                "The results of {year} are not published yet. They appear here once the school League committee publishes them."
            )
        },
        version_line: last
            .map(|p| {
                let on = date(p.published_at, lang);
                if zh {
                    format!("版本 {}，{on}公布", p.version)
                } else {
                    format!("Version {}, published {on}", p.version)
                }
            })
            .unwrap_or_default(),
        notes,
        caption: if zh {
            format!("{university}学生会 · 按加权总分排名")
        } else {
            format!("{university} student union · ranked by weighted total")
        },
        th_rank: if zh { "名次" } else { "Rank" },
        th_department: if zh { "院系" } else { "Department" },
        th_grade: if zh { "等次" } else { "Grade" },
        th_total: if zh { "加权总分" } else { "Total" },
        rows,
        other_lang: if zh { "en" } else { "zh-CN" },
        other_lang_label: if zh { "English" } else { "中文" },
        other_lang_href: if zh {
            format!("/public/assessments/{year}?lang=en")
        } else {
            format!("/public/assessments/{year}")
        },
        footer: if zh {
            "依据《关于加强和改进广东高校学生会组织“学校、院系、班级”三级联动工作机制的若干举措》第十条，年度考核结果全校公开。".into()
        } else {
            "Published school-wide under measure 10 of the Guangdong three-level linkage measures.".into()
        },
    }
}

async fn page(State(app): State<Arc<App>>, Path(year): Path<String>, Query(q): Query<LangQuery>) -> Response {
    let lang = if q.lang.as_deref() == Some("en") { Lang::En } else { Lang::Zh };
    let Some(year) = year.parse::<i32>().ok().filter(|y| YEARS.contains(y)) else {
        return (StatusCode::NOT_FOUND, Html("<!doctype html><title>404</title><p>没有该年度 / no such year</p>"))
            .into_response();
    };
    let pubs = match app.assessment_publications(year).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "assessment results page");
            return (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><p>服务暂不可用 / unavailable</p>"))
                .into_response();
        }
    };
    let html = build(&app.org(), year, &pubs, lang).render().unwrap_or_else(|e| format!("{e}"));
    let mut resp = (StatusCode::OK, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use workflows::assessment::{Grade, Ranked};

    #[test]
    fn a_correction_is_noted_and_the_newest_version_shown() {
        // given
        let org = workflows::org::generate::demo_directory();
        let r = |d: &str, total, grade, rank| Ranked { department: d.into(), total, grade, rank };
        let v1 = Publication {
            version: 1,
            results: vec![r("cs", 90.0, Grade::Good, 1)],
            note: String::new(),
            published_by: None,
            published_at: 1_766_000_000_000,
        };
        let v2 = Publication {
            version: 2,
            results: vec![r("cs", 84.0, Grade::FairlyGood, 1)],
            note: "计算机学院得分录入有误".into(),
            ..v1.clone()
        };
        // when
        let html = build(&org, 2025, &[v1, v2], Lang::Zh).render().unwrap();
        // then
        assert!(html.contains("版本 2，更正：计算机学院得分录入有误"), "{html}");
        assert!(html.contains("84.0") && !html.contains("90.0"), "{html}");
    }
}
