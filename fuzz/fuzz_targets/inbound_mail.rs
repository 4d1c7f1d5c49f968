//! Arbitrary bytes → an inbound reply as the daemon reads it (`mail::inbound::handle`): mail-parser, the reply
//! addresses of To/Cc/Delivered-To through `token_of`, then the new text and the verdict (`mail::reply`).
#![no_main]

use daemon::mail::{inbound, reply};
use libfuzzer_sys::fuzz_target;

const DOMAIN: &str = "reply.example.edu.cn";

fuzz_target!(|data: &[u8]| {
    let Some(msg) = daemon::mail::nesting::parse(data) else {
        return;
    };
    let header_addrs = |h: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        h.map(|a| a.iter().filter_map(|x| x.address().map(String::from)).collect()).unwrap_or_default()
    };
    let mut candidates = header_addrs(msg.to());
    candidates.extend(header_addrs(msg.cc()));
    if let Some(d) = msg.header("Delivered-To").and_then(|h| h.as_text()) {
        candidates.push(d.to_string());
    }
    for a in &candidates {
        if let Some(token) = inbound::token_of(a, DOMAIN) {
            assert!(!token.is_empty() && token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
    let _ = header_addrs(msg.from());
    let new_text = reply::new_text(&msg);
    let parsed = reply::parse_reply(&msg);
    assert_eq!(parsed, reply::parse_text(&new_text));
});
