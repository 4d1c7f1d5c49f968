//! Who is asking: the address recorded in the audit trail (decisions, `mail-actions`, login).
//!
//! The address is the TCP peer's. `X-Forwarded-For` is read only when the peer is one of
//! `[server] trusted_proxies`: then the rightmost hop that is not itself a trusted proxy is the
//! client (each proxy appends the address it saw, so the hops to the left of an untrusted one
//! were written by the client and prove nothing; MDN, "X-Forwarded-For", security section).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The proxies whose `X-Forwarded-For` is believed (`[server] trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Parses IPs (`10.0.0.1`, `::1`) and CIDRs (`10.0.0.0/8`); errors name the bad entry.
    pub fn parse(list: &[String]) -> anyhow::Result<Self> {
        let mut nets = Vec::with_capacity(list.len());
        for s in list {
            let s = s.trim();
            let net = match s.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => match s.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => anyhow::bail!("bad setting server.trusted_proxies: `{s}` is neither an IP nor a CIDR"),
                },
            };
            nets.push(net);
        }
        Ok(Self(Arc::new(nets)))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`, a dual-stack listener) compares as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the peer's, or, behind a trusted proxy, the rightmost untrusted hop of
/// `X-Forwarded-For` (all its header lines, in order). Unparsable hops end the walk: the last
/// trusted address is then the client, as nothing further can be believed.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.trusts(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = canonical(ip);
        if !trusted.trusts(client) {
            break;
        }
    }
    client
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The caller's address as an extractor (see `client_address`); needs the connection's
/// `ConnectInfo<SocketAddr>` and the `TrustedProxies` extension (`startup` adds both).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = super::ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).ok_or_else(|| {
            super::ApiError::App(crate::app::AppError::Internal(anyhow::anyhow!(
                "the connection's peer address is unknown"
            )))
        })?;
        let trusted = parts.extensions.get::<TrustedProxies>().cloned().unwrap_or_default();
        Ok(ClientAddr(client_address(peer, &parts.headers, &trusted)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for x in v {
            h.append("x-forwarded-for", x.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // an untrusted peer cannot name another client
        assert_eq!(client_address(ip("203.0.113.9"), &xff(&["198.51.100.1"]), &trusted), ip("203.0.113.9"));
        // a trusted proxy's hop is believed
        assert_eq!(client_address(ip("10.1.2.3"), &xff(&["198.51.100.1"]), &trusted), ip("198.51.100.1"));
        // the rightmost untrusted hop: what the client wrote to the left is not
        assert_eq!(
            client_address(ip("10.1.2.3"), &xff(&["6.6.6.6, 198.51.100.1", "10.9.9.9"]), &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_address(ip("::ffff:10.1.2.3"), &xff(&["[2001:db8::1]:443"]), &trusted), ip("2001:db8::1"));
        // garbage ends the walk at the last trusted address
        assert_eq!(client_address(ip("10.1.2.3"), &xff(&["nonsense"]), &trusted), ip("10.1.2.3"));
        assert_eq!(client_address(ip("::1"), &HeaderMap::new(), &trusted), ip("::1"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
    }
}
