//! The OpenAPI 3.1 document of the API (`/api/v1/openapi.json`) and a page that reads it
//! (`/api/docs`), served from the binary: no network needed.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The OpenAPI document, kept beside the code and checked against the routes by the tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// The routes.
pub fn router() -> Router<super::State> {
    Router::new()
        .route("/api/v1/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }))
        .route("/api/docs", get(page))
}

async fn page() -> impl IntoResponse {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_default();
    let mut rows = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                let codes: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                    method.to_uppercase(),
                    esc(path),
                    esc(op["summary"].as_str().unwrap_or_default()),
                    codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>联动 API 文档</title>\
         <style>body{{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;}}td{{padding:4px 10px;border-bottom:1px solid #ddd}}</style></head>\
         <body><h1>联动 API v1</h1><p>OpenAPI 3.1：<a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>。认证：<code>Authorization: Bearer &lt;token&gt;</code>；错误为 <code>application/problem+json</code>。</p>\
         <table><tr><th>方法</th><th>路径</th><th>说明</th><th>状态码</th></tr>{rows}</table></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
