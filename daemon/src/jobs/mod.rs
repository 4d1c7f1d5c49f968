//! Background workers in the daemon's process: deliver the outbox (mail, with retries and
//! exponential backoff) and fire due timers (reminders, escalation rungs, auto-actions). Both
//! claim their work with a conditional update, so several daemons on one database share it.

pub mod delivery;
pub mod timers;

use crate::app::App;
use crate::mail::transport::Transport;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What the workers need besides the app.
#[derive(Clone)]
pub struct Config {
    /// The mail transport.
    pub transport: Transport,
    /// The sender.
    pub from: String,
    /// Base URL of links.
    pub public_url: String,
    /// How often to look for work.
    pub poll: Duration,
    /// Attempts before a delivery failure is final.
    pub max_attempts: i32,
    /// This worker's name (for timer claims).
    pub worker: String,
    /// Send the periodic duty reminders.
    pub duties: bool,
    /// Claims older than this (ms) are taken again.
    pub stale_after_ms: i64,
}

/// Starts both workers; they stop when `stop` turns true.
pub fn spawn(app: Arc<App>, cfg: Config, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let d = tokio::spawn(delivery::run(app.clone(), cfg.clone(), stop.clone()));
    let t = tokio::spawn(timers::run(app, cfg, stop));
    vec![d, t]
}

/// Waits one poll interval, or less when stopping.
async fn pause(poll: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(poll) => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}
