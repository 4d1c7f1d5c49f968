//! The HTTP connection loop: hyper's HTTP/1 server with the limits the faces need under abuse.
//!
//! - a cap on open connections (`[server] max_connections`): a connection beyond it is closed at
//!   once, so a flood of idle sockets cannot hold the accept queue;
//! - a header-read timeout (`[server] header_read_timeout_ms`): hyper closes a connection whose
//!   request head (request line and headers) is not complete in time, including an idle
//!   keep-alive connection waiting for its next request (slow-loris, half a request line);
//! - a whole-request timeout (`[server] request_timeout_ms`, `request_timeout`: 408 as
//!   problem+json), which also bounds a body trickled in slowly;
//! - every connection carries its peer address (`ConnectInfo`) for `client::ClientAddr`.
//!
//! axum's own `serve` offers none of these knobs (it sets no timer, so hyper's header timeout
//! never runs), hence this small loop after axum's.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// The limits of the loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most; one more is closed on accept.
    pub max_connections: usize,
    /// Time to receive a complete request head.
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // out of descriptors and the like: wait a little instead of spinning
                    tracing::warn!(error = %e, "accepting an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(peer = %peer, "too many HTTP connections: closing a new one");
            drop(tcp);
            continue;
        };
        // Small answers go out at once: without TCP_NODELAY, Nagle's algorithm can hold the last
        // segment of a response until the client's delayed ACK (up to 40 ms on Linux).
        let _ = tcp.set_nodelay(true);
        let svc = router.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.map(axum::body::Body::new)
        });
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(svc)).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let r = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = r {
                tracing::trace!(error = %e, peer = %peer, "HTTP connection ended");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // every connection holds a permit until it ends
    let _ = permits.acquire_many(limits.max_connections.max(1) as u32).await;
    Ok(())
}

/// The span of one request in the trace layer: method and path with secrets cut (`redact`);
/// no headers (bearer tokens, cookies).
pub fn span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let path = req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    tracing::info_span!("request", method = %req.method(), path = %crate::redact::path(&path))
}

/// Bounds a whole request, body included (a body trickled in slowly): past `limit` the handler
/// is dropped (its transaction rolls back) and the client gets 408 as problem+json
/// (`code: request_timeout`, RFC 9110 §15.5.9) and the connection is closed.
pub async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            let detail = format!("the request took longer than {} ms", limit.as_millis());
            let body = serde_json::json!({
                "type": "about:blank", "title": "Request Timeout", "status": 408,
                "code": "request_timeout", "detail": detail, "errors": [],
            });
            let headers = [
                (axum::http::header::CONTENT_TYPE, "application/problem+json"),
                (axum::http::header::CONNECTION, "close"),
            ];
            (axum::http::StatusCode::REQUEST_TIMEOUT, headers, body.to_string()).into_response()
        }
    }
}
