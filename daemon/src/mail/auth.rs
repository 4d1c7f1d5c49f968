//! Authentication of inbound reviewer replies: DKIM and DMARC.
//!
//! A reviewer decides a task by replying to its notification mail. Anyone can
//! write any `From:` line, so a reply only counts when the domain in its
//! `From:` vouches for it:
//!
//! * at least one DKIM signature verifies against the key its signer published
//!   in DNS (`<selector>._domainkey.<d>`), and
//! * DMARC passes for the `From:` domain: the domain (or its organisational
//!   domain) publishes a DMARC record at `_dmarc.<domain>` and one of the
//!   verifying signatures is *aligned* with it (its `d=` is the `From:` domain,
//!   or, under relaxed alignment, shares its organisational domain as given by
//!   the Public Suffix List; with `adkim=s` only the exact domain counts).
//!
//! SPF is deliberately not evaluated: replies reach the daemon relayed by the
//! institution's MTA, so the connecting IP is never the sender's own. DKIM
//! survives the relay, so DMARC is evaluated on DKIM alignment alone.
//!
//! Beyond what DKIM and DMARC themselves demand, a message must carry exactly
//! one `From:` header with exactly one address, and a signature only counts
//! towards DMARC if it covers the `From:` header. This closes the classic
//! tricks of prepending a second `From:` to a validly signed message or
//! re-using a signature that never covered `From:`.
//!
//! DNS goes to one configured nameserver (UDP, falling back to TCP for
//! truncated answers) or, without one, to the system's `resolv.conf`.

use std::net::SocketAddr;
use std::time::Duration;

use mail_auth::dkim::Signature;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::{Alignment, Policy};
use mail_auth::hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::system_conf::read_system_conf;
use mail_auth::{
    AuthenticatedMessage, DkimOutput, DkimResult, DmarcOutput, DmarcResult, Error, MessageAuthenticator, SpfOutput,
};

/// How long to wait for one DNS answer before giving up on it.
const DNS_TIMEOUT: Duration = Duration::from_secs(3);

/// How inbound mail is authenticated.
pub struct Authenticator {
    /// The DNS resolver used for DKIM key and DMARC record lookups.
    resolver: MessageAuthenticator,
    /// Whether [`Authenticator::accepts`] demands a DMARC pass.
    require_dmarc: bool,
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// At least one DKIM signature on the message verified (whatever its signing domain).
    pub dkim_pass: bool,
    /// DMARC passed for the `From:` domain: a DMARC record exists and a verified,
    /// `From:`-covering DKIM signature is aligned with the `From:` domain.
    pub dmarc_pass: bool,
    /// The domain of the single `From:` address, lowercased; empty if there is none.
    pub from_domain: String,
    /// The single `From:` address as mail-auth read it (the reading DMARC aligned), when there is one.
    pub from: Option<String>,
    /// The header names (lowercase) covered by a verified DKIM signature that covers `From:` and is
    /// aligned with the `From:` domain under the domain's `adkim`; empty unless DMARC passed.
    pub signed: Vec<String>,
    /// Human-readable why (e.g. `"dkim=fail (d=example.org s=sel: body hash mismatch) dmarc=fail (...)"`).
    pub summary: String,
}

impl Verdict {
    /// A verdict that fails both checks for a reason found before any DNS lookup.
    fn reject(from_domain: String, why: &str) -> Self {
        Verdict {
            dkim_pass: false,
            dmarc_pass: false,
            from_domain,
            from: None,
            signed: Vec::new(),
            summary: format!("dkim=none dmarc=none ({why})"),
        }
    }
}

impl Authenticator {
    /// Builds an authenticator.
    ///
    /// `dns`: a nameserver to ask (ip:port, UDP and TCP) instead of the system's `resolv.conf`
    /// (the institution's resolver, or a test server). `require_dmarc`: whether
    /// [`Authenticator::accepts`] demands a DMARC pass.
    pub fn new(dns: Option<SocketAddr>, require_dmarc: bool) -> anyhow::Result<Self> {
        let (config, mut opts) = match dns {
            Some(addr) => {
                let servers = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
                (ResolverConfig::from_parts(None, Vec::new(), servers), ResolverOpts::default())
            }
            None => read_system_conf().map_err(|e| anyhow::anyhow!("reading the system DNS configuration: {e}"))?,
        };
        if dns.is_some() {
            // One quick try against the one server we were given; never fall back to anything else.
            opts.timeout = DNS_TIMEOUT;
            opts.attempts = 1;
        }
        // DKIM and DMARC names are never host names: /etc/hosts has nothing to say about them.
        opts.use_hosts_file = ResolveHosts::Never;
        // 2048-bit DKIM keys do not fit in 512 bytes: ask for large UDP answers (TCP remains the fallback).
        opts.edns0 = true;
        opts.try_tcp_on_error = true;
        let resolver =
            MessageAuthenticator::new(config, opts).map_err(|e| anyhow::anyhow!("building the DNS resolver: {e}"))?;
        Ok(Authenticator { resolver, require_dmarc })
    }

    /// Checks DKIM and DMARC of a raw RFC 5322 message.
    ///
    /// DMARC is evaluated with DKIM alignment only (SPF is not checked: replies reach us relayed by the
    /// institution's MTA, so the connecting IP is not the sender's; DKIM survives the relay). `mail_from`
    /// is the envelope MAIL FROM (an address or a bare domain), passed on for completeness; it does not
    /// influence the verdict.
    pub async fn check(&self, raw: &[u8], mail_from: &str) -> Verdict {
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return Verdict::reject(String::new(), "unparseable message");
        };

        let (from, from_domain) = match single_from(&message) {
            Ok(address) => {
                let domain = address.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase());
                (address.clone(), domain.unwrap_or_default())
            }
            Err(why) => return Verdict::reject(String::new(), why),
        };

        let dkim = self.resolver.verify_dkim(&message).await;
        let dkim_pass = dkim.iter().any(|o| o.result() == &DkimResult::Pass);

        // Only signatures that cover From: may vouch for it (RFC 6376 §5.4 requires From: to be signed).
        let for_dmarc: Vec<DkimOutput<'_>> = dkim
            .iter()
            .map(|o| match o.signature() {
                Some(sig) if o.result() == &DkimResult::Pass && !signs_from(sig) => {
                    DkimOutput::perm_err(Error::MissingParameters).with_signature(sig)
                }
                _ => o.clone(),
            })
            .collect();

        let mail_from_domain = envelope_domain(mail_from);
        let spf = SpfOutput::default(); // SPF "none": alignment is judged on DKIM alone.
        let dmarc = self
            .resolver
            .verify_dmarc(
                DmarcParameters::new(&message, &for_dmarc, &mail_from_domain, &spf)
                    .with_domain_suffix_fn(organizational_domain),
            )
            .await;
        let dmarc_pass = dmarc.dmarc_record().is_some() && dmarc.dkim_result() == &DmarcResult::Pass;

        let summary = format!("{} {}", describe_dkim(&dkim), describe_dmarc(&dmarc, &from_domain));
        let strict = dmarc.dmarc_record().is_some_and(|r| r.adkim == Alignment::Strict);
        let aligned = |d: &str| {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == from_domain || !strict && organizational_domain(&d) == organizational_domain(&from_domain)
        };
        let mut signed: Vec<String> = if dmarc_pass {
            dkim.iter()
                .filter(|o| o.result() == &DkimResult::Pass)
                .filter_map(|o| o.signature())
                .filter(|sig| signs_from(sig) && aligned(&sig.d))
                .flat_map(|sig| sig.h.iter().map(|h| h.trim().to_ascii_lowercase()))
                .collect()
        } else {
            Vec::new()
        };
        signed.sort();
        signed.dedup();
        Verdict { dkim_pass, dmarc_pass, from_domain, from: Some(from), signed, summary }
    }

    /// Whether a message with this verdict may decide: when `require_dmarc` is on, `dmarc_pass`;
    /// otherwise always true.
    pub fn accepts(&self, v: &Verdict) -> bool {
        !self.require_dmarc || v.dmarc_pass
    }

    /// Whether the header `name` (lowercase) may be believed: covered by the aligned DKIM signature
    /// when `require_dmarc` is on; always otherwise (nothing is authenticated then).
    pub fn vouches_for(&self, v: &Verdict, name: &str) -> bool {
        !self.require_dmarc || v.signed.iter().any(|h| h == name)
    }
}

/// The sender of a raw message as DMARC reads it (mail-auth's parse of `From:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The one `From:` address, when there is exactly one.
    pub address: Option<String>,
    /// Every `From:` address mail-auth found, in order (for the log when there is not exactly one).
    pub all: Vec<String>,
    /// Why it cannot be the sender: no, or several `From:` headers, or not exactly one address with a domain.
    pub problem: Option<&'static str>,
}

/// Reads the sender the way [`Authenticator::check`] does, without any DNS lookup.
pub fn sender(raw: &[u8]) -> Sender {
    let Some(message) = AuthenticatedMessage::parse(raw) else {
        return Sender { address: None, all: Vec::new(), problem: Some("unparseable message") };
    };
    let all = message.froms().to_vec();
    match single_from(&message) {
        Ok(a) => Sender { address: Some(a), all, problem: None },
        Err(why) => Sender { address: None, all, problem: Some(why) },
    }
}

/// The one address of the one `From:` header, as mail-auth read it.
fn single_from(message: &AuthenticatedMessage<'_>) -> Result<String, &'static str> {
    let from_headers = message.raw_parsed_headers().iter().filter(|(name, _)| is_from(name)).count();
    match (from_headers, message.froms()) {
        (0, _) => Err("no From: header"),
        (1, [address]) => match address.rsplit_once('@') {
            Some((local, domain)) if !domain.is_empty() && !local.is_empty() => Ok(address.clone()),
            _ => Err("From: address has no domain"),
        },
        (1, []) => Err("no address in From:"),
        (1, _) => Err("several addresses in From:"),
        _ => Err("several From: headers"),
    }
}

/// Whether a raw header name is `From`.
fn is_from(name: &[u8]) -> bool {
    name.trim_ascii().eq_ignore_ascii_case(b"from")
}

/// Whether a DKIM signature's `h=` list covers the `From:` header.
fn signs_from(sig: &Signature) -> bool {
    sig.h.iter().any(|h| h.trim().eq_ignore_ascii_case("from"))
}

/// The domain part of an envelope MAIL FROM (`<user@example.org>`, `user@example.org` or `example.org`).
fn envelope_domain(mail_from: &str) -> String {
    let addr = mail_from.trim().trim_start_matches('<').trim_end_matches('>');
    addr.rsplit_once('@').map_or(addr, |(_, domain)| domain).trim_end_matches('.').to_ascii_lowercase()
}

/// The organisational domain (registrable domain per the Public Suffix List) of a lowercase domain.
fn organizational_domain(domain: &str) -> &str {
    psl::domain_str(domain).unwrap_or(domain)
}

/// Renders the DKIM results, one `dkim=` clause per signature.
fn describe_dkim(outputs: &[DkimOutput<'_>]) -> String {
    if outputs.is_empty() {
        return "dkim=none (no signature)".to_string();
    }
    let clauses: Vec<String> = outputs
        .iter()
        .map(|o| {
            let (word, why) = match o.result() {
                DkimResult::Pass => ("pass", None),
                DkimResult::Fail(e) => ("fail", Some(error_text(e))),
                // mail-auth reports a body hash mismatch as "neutral"; it is a plain failure.
                DkimResult::Neutral(e @ Error::FailedBodyHashMatch) => ("fail", Some(error_text(e))),
                DkimResult::Neutral(e) => ("neutral", Some(error_text(e))),
                DkimResult::PermError(e) => ("permerror", Some(error_text(e))),
                DkimResult::TempError(e) => ("temperror", Some(error_text(e))),
                DkimResult::None => ("none", None),
            };
            let mut detail = match o.signature() {
                Some(sig) => format!("d={} s={}", sig.d, sig.s),
                None => "malformed signature".to_string(),
            };
            if let Some(why) = why {
                detail.push_str(": ");
                detail.push_str(&why);
            }
            if let Some(sig) = o.signature().filter(|s| o.result() == &DkimResult::Pass && !signs_from(s)) {
                detail.push_str(&format!(", h= lacks From so it cannot count for {}", sig.d));
            }
            format!("dkim={word} ({detail})")
        })
        .collect();
    clauses.join(" ")
}

/// Renders the DMARC result.
fn describe_dmarc(out: &DmarcOutput, from_domain: &str) -> String {
    let Some(record) = out.dmarc_record() else {
        return match out.dkim_result() {
            DmarcResult::TempError(e) => format!("dmarc=temperror (from={from_domain}: {})", error_text(e)),
            DmarcResult::PermError(e) => format!("dmarc=permerror (from={from_domain}: {})", error_text(e)),
            _ => format!("dmarc=none (no DMARC record for {from_domain})"),
        };
    };
    let policy = match record.p {
        Policy::None => "none",
        Policy::Quarantine => "quarantine",
        Policy::Reject => "reject",
        Policy::Unspecified => "unspecified",
    };
    let alignment = if record.adkim == Alignment::Strict { "strict" } else { "relaxed" };
    let context = format!("from={from_domain} p={policy} adkim={alignment}");
    match out.dkim_result() {
        DmarcResult::Pass => format!("dmarc=pass ({context})"),
        DmarcResult::Fail(Error::NotAligned) => format!("dmarc=fail ({context}: no passing DKIM signature aligned)"),
        DmarcResult::Fail(e) => format!("dmarc=fail ({context}: {})", error_text(e)),
        DmarcResult::TempError(e) => format!("dmarc=temperror ({context}: {})", error_text(e)),
        DmarcResult::PermError(e) => format!("dmarc=permerror ({context}: {})", error_text(e)),
        DmarcResult::None => format!("dmarc=fail ({context}: no passing DKIM signature)"),
    }
}

/// A short, lowercase reason for a mail-auth error.
fn error_text(e: &Error) -> String {
    match e {
        Error::FailedBodyHashMatch => "body hash mismatch".to_string(),
        Error::FailedVerification => "signature does not verify".to_string(),
        Error::SignatureExpired => "signature expired".to_string(),
        Error::SignatureLength => "l= tag not accepted".to_string(),
        Error::RevokedPublicKey => "key revoked".to_string(),
        Error::DnsRecordNotFound(code) => format!("no DNS record ({code})"),
        Error::InvalidRecordType => "no usable DNS record".to_string(),
        Error::DnsError(msg) => format!("DNS error: {msg}"),
        Error::NotAligned => "not aligned".to_string(),
        other => other.to_string(),
    }
}
