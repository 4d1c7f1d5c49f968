//! What a reply's header section must look like before anything in it is believed, and whether a
//! machine wrote it.
//!
//! * Every header line is `name: value` with a name of printable US-ASCII other than `:`
//!   (RFC 5322 §2.2, `ftext` = `%d33-57 / %d59-126`), or a folded continuation of the line above
//!   (starting with space or tab). A line like `:From: <reviewer>` or `X Y: z` is refused: two
//!   parsers would read it differently, and the sender check must read what DKIM and DMARC read.
//! * Fields RFC 5322 §3.6 allows at most once (`Date`, `From`, `Sender`, `Reply-To`, `To`, `Cc`,
//!   `Bcc`, `Message-ID`, `In-Reply-To`, `References`, `Subject`) appear at most once: a second
//!   `To:` must not carry a reply address that the DKIM signature (which covers the last one) never
//!   saw.
//! * Mail a machine wrote (RFC 3834 §5 `Auto-Submitted` other than `no`; the de-facto
//!   `X-Autoreply`, `X-Autorespond`; `Precedence: bulk/junk/list/auto_reply`; the null reverse path
//!   `Return-Path: <>`, RFC 5321 §4.5.5) decides nothing and is never answered.

/// Fields RFC 5322 §3.6 (the table in §3.6) allows at most once, lowercase.
const SINGLE: &[&str] =
    &["date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject"];

/// The header fields of a raw message, in order: (name as written, value unfolded and trimmed).
/// `Err` names the first malformed line (1-based) and why.
pub fn fields(raw: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Ok(out);
        }
        if matches!(line[0], b' ' | b'\t') {
            let Some(last) = out.last_mut() else {
                return Err(format!("header line {} continues nothing", i + 1));
            };
            last.1.push(' ');
            last.1.push_str(String::from_utf8_lossy(line).trim());
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(format!("header line {} has no name", i + 1));
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
            return Err(format!(
                "header line {} has a malformed name `{}`",
                i + 1,
                String::from_utf8_lossy(name).escape_debug()
            ));
        }
        out.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(&line[colon + 1..]).trim().to_string(),
        ));
    }
    Ok(out)
}

/// Why the header section cannot be trusted, if it cannot: a malformed line or a repeated field
/// that may appear once.
pub fn header_problem(fields: &Result<Vec<(String, String)>, String>) -> Option<String> {
    let fields = match fields {
        Ok(f) => f,
        Err(e) => return Some(e.clone()),
    };
    SINGLE.iter().find_map(|single| {
        let n = fields.iter().filter(|(name, _)| name.eq_ignore_ascii_case(single)).count();
        (n > 1).then(|| format!("{n} `{single}` headers (RFC 5322 §3.6 allows one)"))
    })
}

/// Which mark says a machine wrote the mail, if one does: the stable reason logged
/// (`Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence`, `Return-Path <>`).
/// `mail_from` is the envelope sender when the mail came over SMTP (empty for the null sender).
pub fn automatic(fields: &[(String, String)], mail_from: Option<&str>) -> Option<&'static str> {
    let value =
        |name: &'static str| fields.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let null = |v: &str| v.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "<>";
    if value("Auto-Submitted").any(|v| !v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("no")) {
        return Some("Auto-Submitted");
    }
    if value("X-Autoreply").next().is_some() {
        return Some("X-Autoreply");
    }
    if value("X-Autorespond").next().is_some() {
        return Some("X-Autorespond");
    }
    let bulk = |v: &str| ["bulk", "junk", "list", "auto_reply"].iter().any(|p| v.trim().eq_ignore_ascii_case(p));
    if value("Precedence").any(bulk) {
        return Some("Precedence");
    }
    if value("Return-Path").any(null) || mail_from.is_some_and(|m| m.trim().is_empty() || null(m)) {
        return Some("Return-Path <>");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(headers: &str) -> Option<&'static str> {
        automatic(&fields(format!("{headers}\r\n\r\nbody").as_bytes()).unwrap(), Some("a@b.c"))
    }

    #[test]
    fn malformed_names_are_refused() {
        for raw in [
            ":From: a@evil.test\r\nFrom: b@x.test\r\n\r\n",
            "From : a@x.test\r\n\r\n",
            "X Y: z\r\n\r\n",
            "X\u{1}Y: z\r\n\r\n",
            "Frôm: a@x.test\r\n\r\n",
            " folded: first\r\nFrom: a@x.test\r\n\r\n",
            "no colon here\r\n\r\n",
        ] {
            assert!(header_problem(&fields(raw.as_bytes())).is_some(), "{raw:?}");
        }
        let ok = "From: a@x.test\r\nTo: b@y.test,\r\n c@y.test\r\nX-Long:\r\n\tfolded\r\n\r\n:not a header\r\n";
        let f = fields(ok.as_bytes());
        assert_eq!(header_problem(&f), None);
        assert_eq!(f.unwrap()[1], ("To".to_string(), "b@y.test, c@y.test".to_string()));
    }

    #[test]
    fn fields_allowed_once_are_once() {
        for name in SINGLE {
            let raw = format!("{name}: a\r\nX: y\r\n{}: b\r\n\r\n", name.to_uppercase());
            assert!(header_problem(&fields(raw.as_bytes())).is_some(), "{name}");
        }
        assert_eq!(header_problem(&fields(b"Received: a\r\nReceived: b\r\n\r\n")), None);
    }

    #[test]
    fn machines_are_recognised() {
        assert_eq!(auto("Auto-Submitted: auto-replied"), Some("Auto-Submitted"));
        assert_eq!(auto("Auto-Submitted: auto-generated; owner-email=x@y.z"), Some("Auto-Submitted"));
        assert_eq!(auto("Auto-Submitted: No"), None);
        assert_eq!(auto("X-Autoreply: yes"), Some("X-Autoreply"));
        assert_eq!(auto("X-Autorespond: 1"), Some("X-Autorespond"));
        for p in ["bulk", "junk", "List", "auto_reply"] {
            assert_eq!(auto(&format!("Precedence: {p}")), Some("Precedence"), "{p}");
        }
        assert_eq!(auto("Precedence: first-class"), None);
        assert_eq!(auto("Return-Path: <>"), Some("Return-Path <>"));
        assert_eq!(auto("Return-Path: < >"), Some("Return-Path <>"));
        assert_eq!(auto("Return-Path: <t0102@nanyue.edu.cn>"), None);
        let f = fields(b"From: a@b.c\r\n\r\n").unwrap();
        assert_eq!(automatic(&f, Some("")), Some("Return-Path <>"));
        assert_eq!(automatic(&f, None), None);
    }
}
