//! Rate limits of `POST /login` (asking for a login link by mail): per client (the peer's
//! address) and for everyone together, each a sliding window of one hour. A refused ask sends
//! no mail and answers 429 with `Retry-After`. Every recorded ask counts in the global window,
//! so the memory held is bounded by the global limit.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window both limits count in.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// The asks of the last hour.
#[derive(Debug)]
pub struct LoginLimits {
    per_client: u32,
    total: u32,
    seen: Mutex<Seen>,
    /// Held while an ask is recorded: the asks of this process are written one after another,
    /// so the one-link-a-minute check of a person sees the previous ask.
    pub recording: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Seen {
    clients: HashMap<IpAddr, VecDeque<Instant>>,
    all: VecDeque<Instant>,
}

impl LoginLimits {
    /// At most `per_client` asks per client and `total` asks together in any hour
    /// (`[server] login_asks_per_client`, `login_asks_total`).
    pub fn new(per_client: u32, total: u32) -> Self {
        Self { per_client, total, seen: Mutex::default(), recording: tokio::sync::Mutex::new(()) }
    }

    /// Records an ask from `client` at `now` if both limits allow it; otherwise how long until
    /// one would be allowed.
    pub fn ask(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let cutoff = now.checked_sub(WINDOW);
        let old = |t: &Instant| cutoff.is_some_and(|c| *t <= c);
        while seen.all.front().is_some_and(old) {
            seen.all.pop_front();
        }
        seen.clients.retain(|_, q| {
            while q.front().is_some_and(old) {
                q.pop_front();
            }
            !q.is_empty()
        });
        let wait = |q: &VecDeque<Instant>| q.front().map_or(WINDOW, |t| WINDOW.saturating_sub(now - *t));
        if seen.all.len() >= self.total as usize {
            return Err(wait(&seen.all));
        }
        let mine = seen.clients.entry(client).or_default();
        if mine.len() >= self.per_client as usize {
            let w = wait(mine);
            if mine.is_empty() {
                seen.clients.remove(&client);
            }
            return Err(w);
        }
        mine.push_back(now);
        seen.all.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_and_everyone_are_limited_per_hour() {
        let l = LoginLimits::new(2, 3);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap());
        let t0 = Instant::now();
        assert!(l.ask(a, t0).is_ok() && l.ask(a, t0).is_ok());
        let wait = l.ask(a, t0 + Duration::from_secs(60)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(3540), "until the first ask leaves the window");
        assert!(l.ask(b, t0).is_ok());
        assert!(l.ask(c, t0).is_err(), "the global limit holds for a new client");
        assert!(l.ask(a, t0 + WINDOW + Duration::from_secs(1)).is_ok(), "an hour later it is allowed again");
    }

    #[test]
    fn a_zero_limit_refuses_without_keeping_anything() {
        let l = LoginLimits::new(0, 10);
        assert!(l.ask("10.0.0.1".parse().unwrap(), Instant::now()).is_err());
        assert!(l.seen.lock().unwrap().clients.is_empty());
    }
}
