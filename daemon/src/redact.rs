//! Secrets kept out of the logs, at every level: the token of `/a/<token>` and
//! `/login/<token>` paths, query values, and the token of `reply+<token>@…` addresses.
//! (Bearer tokens and cookies are headers, which no span or event records.)

/// The path with its secret segments replaced by `…`; the query string's values likewise
/// (`/a/abc?x=1` → `/a/…?x=…`).
pub fn path(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut out = String::with_capacity(path.len().min(256) + 8);
    let mut secret_next = false;
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if secret_next && !seg.is_empty() {
            out.push('…');
        } else {
            // an overlong path is cut: it says nothing more and costs log space
            out.extend(seg.chars().take(128));
        }
        secret_next = i == 1 && (seg == "a" || seg == "login");
    }
    if let Some(q) = query {
        out.push('?');
        let keys: Vec<String> = q
            .split('&')
            .take(16)
            .map(|kv| {
                let k: String = kv.split('=').next().unwrap_or_default().chars().take(32).collect();
                format!("{k}=…")
            })
            .collect();
        out.push_str(&keys.join("&"));
    }
    out
}

/// A mail address with the token of a reply address hidden: `reply+abc@d` → `reply+…@d`.
/// Other addresses are kept (a sender's address is what an operator looks for), cut to 254
/// characters (RFC 5321 §4.5.3.1.3).
pub fn address(a: &str) -> String {
    let a: String = a.chars().take(254).collect();
    match a.split_once('+') {
        Some((local, rest)) if local.trim_start_matches('<').eq_ignore_ascii_case("reply") => {
            let domain = rest.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            format!("{local}+…@{domain}")
        }
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_cut_from_paths_and_addresses() {
        assert_eq!(super::path("/a/s3cret"), "/a/…");
        assert_eq!(super::path("/login/s3cret?next=/requests/1"), "/login/…?next=…");
        assert_eq!(super::path("/api/v1/requests/r1"), "/api/v1/requests/r1");
        assert_eq!(super::path("/login"), "/login");
        assert_eq!(super::path("/a/"), "/a/");
        assert_eq!(super::address("reply+s3cret@reply.example"), "reply+…@reply.example");
        assert_eq!(super::address("<REPLY+s3cret@reply.example>"), "<REPLY+…@reply.example>");
        assert_eq!(super::address("zhang@example.edu.cn"), "zhang@example.edu.cn");
    }
}
