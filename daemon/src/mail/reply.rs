//! Reading a reviewer's reply to a notification mail.
//!
//! A reviewer approves (or rejects, returns, acknowledges) a task by replying to the notification. The reply carries
//! the reviewer's new text on top and, depending on the client, the quoted notification, an "original message"
//! header block and a signature below it. [`new_text`] cuts the reply down to what the reviewer wrote, and
//! [`parse_text`] reads the command from its first line:
//!
//! | first line | verdict |
//! | --- | --- |
//! | 同意 / 批准 / approve(d/s) / yes | [`Verdict::Approve`] |
//! | 不同意 / 不批准 / 驳回 / 拒绝 / reject(ed/s) / decline(d) / no | [`Verdict::Reject`] |
//! | 退回 / return(ed/s) | [`Verdict::Return`] |
//! | 已阅 / 收到 / 知悉 / ack(ed) / acknowledge(d/s) / received / noted | [`Verdict::Acknowledge`] |
//!
//! The whole grammar, with an example per keyword and separator, is the table "The first line of a reply" in
//! README.md; a unit test reads that table, row by row. English keywords are matched case-insensitively,
//! full-width forms (`ＹＥＳ`, `同意！`) like half-width ones. A keyword is followed by the end of the line or by
//! separator punctuation (`：:，,-—.。!;、`, spaces around it allowed) and a comment; a Chinese keyword also by white
//! space alone, an English one not (`No problem`, `同意吗` are never read as a verdict). A question mark is not a
//! separator: `同意？` and `yes?` are unclear. A text-only signature block at the end (contact lines with a name
//! above them) is not part of the comment ([`without_signature`]).
//!
//! The quoted part is recognised as these clients write it, in their Chinese and English interfaces: Gmail
//! (`On … wrote:`, `… 于…写道：`, `gmail_quote`), Outlook desktop and web (`________________________________`,
//! `-----Original Message-----`, `-----原始邮件-----`, `From:`/`发件人:` header blocks, `divRplyFwdMsg`,
//! `appendonsend`), QQ Mail and Foxmail (`------------------ 原始邮件 ------------------`,
//! `------------------ Original ------------------`), Apple Mail, NetEase Mail Master, mobile signatures
//! (`发自我的iPhone`, `Sent from my iPhone`, `来自网易邮箱大师`, …), the `-- ` signature delimiter and `>` quoting.

use std::borrow::Cow;

use mail_parser::{Message, PartType};

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 同意 / 批准 / approve / yes.
    Approve,
    /// 不同意 / 驳回 / reject / no.
    Reject,
    /// 退回 / return: back to the submitter for changes.
    Return,
    /// 已阅 / 收到 / ack: read, no decision.
    Acknowledge,
}

/// A reply, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// The first line of the new text is a command; the rest of the new text (trimmed, None if empty) is the comment.
    Command {
        /// The command.
        verdict: Verdict,
        /// What followed the keyword on its line, and the lines after it, joined by `'\n'`; None if empty.
        comment: Option<String>,
    },
    /// Nothing we can act on; `first_line` is what we saw (for the helpful answer mail), may be empty.
    Unclear {
        /// The first non-empty line of the new text, trimmed; empty if the new text is empty.
        first_line: String,
    },
}

/// The new text of a reply: the text part (or the HTML part converted to text when there is no text part), with
/// quoted history, the forwarded/original-message block and the signature removed, trimmed.
///
/// Foxmail writes its signature into the text part without any delimiter, while its HTML part sets it off with a
/// `<hr>`: for a message whose `X-Mailer` is Foxmail the HTML part is read when there is one.
pub fn new_text(msg: &Message<'_>) -> String {
    let is_foxmail = msg.header_raw("X-Mailer").is_some_and(|m| m.to_ascii_lowercase().contains("foxmail"));
    let text = msg.text_part(0).map(|p| &p.body);
    let html = msg.html_part(0).map(|p| &p.body);
    match (text, html) {
        (_, Some(PartType::Html(html))) if is_foxmail => html_new_text(html),
        (Some(PartType::Text(text)), _) if !text.trim().is_empty() => text_new_text(text),
        (Some(PartType::Html(html)), _) | (_, Some(PartType::Html(html))) => html_new_text(html),
        _ => String::new(),
    }
}

/// Reads the command from a text already reduced to its new part.
pub fn parse_text(new_text: &str) -> Parsed {
    let mut lines = new_text.lines().map(|l| l.trim_end_matches('\r'));
    let Some(first) = lines.by_ref().map(clean_line).find(|l| !l.is_empty()) else {
        return Parsed::Unclear { first_line: String::new() };
    };
    let Some((verdict, inline)) = read_command(&first) else {
        return Parsed::Unclear { first_line: first };
    };
    let rest = without_signature(&lines.collect::<Vec<_>>()).join("\n");
    let comment = [inline.as_str(), rest.trim()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
    let comment = (!comment.is_empty()).then(|| comment.join("\n"));
    Parsed::Command { verdict, comment }
}

/// new_text + parse_text.
pub fn parse_reply(msg: &Message<'_>) -> Parsed {
    parse_text(&new_text(msg))
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the command.

/// The keywords of a first line, by verdict (matched after [`fold`]: case-insensitive, full-width like half-width).
/// The grammar and its examples are the table under "Deciding from the mail" in README.md, which the tests read.
const KEYWORDS: &[(&str, Verdict)] = &[
    ("不同意", Verdict::Reject),
    ("不批准", Verdict::Reject),
    ("同意", Verdict::Approve),
    ("批准", Verdict::Approve),
    ("驳回", Verdict::Reject),
    ("拒绝", Verdict::Reject),
    ("退回", Verdict::Return),
    ("已阅", Verdict::Acknowledge),
    ("收到", Verdict::Acknowledge),
    ("知悉", Verdict::Acknowledge),
    ("已知悉", Verdict::Acknowledge),
    ("approve", Verdict::Approve),
    ("approved", Verdict::Approve),
    ("approves", Verdict::Approve),
    ("yes", Verdict::Approve),
    ("reject", Verdict::Reject),
    ("rejected", Verdict::Reject),
    ("rejects", Verdict::Reject),
    ("decline", Verdict::Reject),
    ("declined", Verdict::Reject),
    ("no", Verdict::Reject),
    ("return", Verdict::Return),
    ("returned", Verdict::Return),
    ("returns", Verdict::Return),
    ("ack", Verdict::Acknowledge),
    ("acked", Verdict::Acknowledge),
    ("acknowledge", Verdict::Acknowledge),
    ("acknowledged", Verdict::Acknowledge),
    ("acknowledges", Verdict::Acknowledge),
    ("received", Verdict::Acknowledge),
    ("noted", Verdict::Acknowledge),
];

/// Punctuation that may end a keyword (after full-width forms are folded to half-width).
fn is_separator_punct(c: char) -> bool {
    matches!(c, '.' | '!' | ',' | ';' | ':' | '。' | '、' | '~' | '～' | '…' | '-' | '—' | '–')
}

/// Full-width ASCII forms and the ideographic space folded to their half-width forms, ASCII lowercased: one char
/// for one char, so that positions carry over to the original.
fn fold(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// A line trimmed, without zero-width characters and byte order marks.
fn clean_line(line: &str) -> String {
    line.chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The verdict of a first line and the comment that follows the keyword on it.
///
/// A keyword ends the line, or is followed by separator punctuation (spaces around it allowed), or — a Chinese
/// keyword only — by white space; anything else (`同意吗`, `No problem`, `yes?`) is no command. The longest keyword
/// that fits wins (`noted` before `no`, `不同意` before `同意`).
fn read_command(line: &str) -> Option<(Verdict, String)> {
    let original: Vec<char> = line.chars().collect();
    let folded: Vec<char> = original.iter().copied().map(fold).collect();
    let mut best: Option<(usize, Verdict, String)> = None;
    for &(keyword, verdict) in KEYWORDS {
        let keyword: Vec<char> = keyword.chars().collect();
        if !folded.starts_with(&keyword) || best.as_ref().is_some_and(|(len, ..)| *len >= keyword.len()) {
            continue;
        }
        let is_english = keyword[0].is_ascii();
        let after = &folded[keyword.len()..];
        let spaces = after.iter().take_while(|c| c.is_whitespace()).count();
        let ok = match after.get(spaces) {
            None => true,
            Some(&c) if is_separator_punct(c) => true,
            Some(_) => !is_english && spaces > 0,
        };
        if !ok {
            continue;
        }
        let skip = after.iter().take_while(|&&c| is_separator_punct(c) || c.is_whitespace()).count();
        let comment: String = original[keyword.len() + skip..].iter().collect();
        best = Some((keyword.len(), verdict, comment.trim().to_string()));
    }
    best.map(|(_, verdict, comment)| (verdict, comment))
}

// ---------------------------------------------------------------------------------------------------------------
// A text-only signature after the decision.

/// The lines after the first, without a text-only signature block at their end.
///
/// The block is the run of last lines (blank lines between them allowed) made of *contact lines* — an email
/// address, a phone number (7 to 15 digits, with `+ - ( )` and spaces; not a date like `2026-12-15`), or a URL, each alone on its line or
/// after a label such as `电话：`, `Tel:`, `Email:` — with at most two *name lines* directly above them: a
/// personal name (2 to 4 Han characters, or one to four capitalised Latin words) or an affiliation (Han
/// characters ending in 学院, 学生会, 处, 部, 办公室, 中心, 委员会, 团委, 系, …). It is dropped only when it
/// holds at least one contact line, so a comment that merely ends with a short line stays whole.
fn without_signature<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut end = lines.len();
    let mut contacts = 0;
    while end > 0 {
        let l = clean_line(lines[end - 1]);
        if l.is_empty() {
            end -= 1;
        } else if is_contact_line(&l) {
            contacts += 1;
            end -= 1;
        } else {
            break;
        }
    }
    if contacts == 0 {
        return lines.to_vec();
    }
    for _ in 0..2 {
        match end.checked_sub(1).map(|i| clean_line(lines[i])) {
            Some(l) if is_name_line(&l) => end -= 1,
            _ => break,
        }
    }
    lines[..end].to_vec()
}

/// `zhangsan@example.edu.cn`, `13800138000`, `+86 (20) 8523-1234`, `https://example.edu.cn`, `电话：…`, `Tel: …`.
fn is_contact_line(line: &str) -> bool {
    const LABELS: &[&str] = &[
        "电话",
        "手机",
        "座机",
        "办公电话",
        "联系电话",
        "传真",
        "邮箱",
        "电子邮箱",
        "电子邮件",
        "网址",
        "主页",
        "tel",
        "phone",
        "mobile",
        "mob",
        "cell",
        "fax",
        "email",
        "e-mail",
        "mail",
        "web",
        "website",
        "m",
        "t",
        "e",
        "p",
    ];
    let folded: String = line.chars().map(fold).collect();
    let mut rest = folded.trim();
    for label in LABELS {
        if let Some(r) = rest.strip_prefix(label).map(str::trim_start).and_then(|r| r.strip_prefix(':')) {
            rest = r.trim();
            break;
        }
    }
    let rest = rest.trim_matches(['<', '>']);
    let rest = rest.strip_prefix("mailto:").unwrap_or(rest);
    if rest.is_empty() || rest.chars().count() > 80 {
        return false;
    }
    let one_word = !rest.contains(char::is_whitespace);
    let email = one_word
        && rest.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.contains('@')
        });
    let url = one_word && (rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www."));
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let date = rest.split(['-', '/']).map(str::len).collect::<Vec<_>>() == [4, 2, 2];
    let phone = (7..=15).contains(&digits)
        && !date
        && rest.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ' | '（' | '）'));
    email || url || phone
}

/// A personal name (`张三`, `Zhang San`) or an affiliation (`计算机学院学生会`) line of a signature.
fn is_name_line(line: &str) -> bool {
    const UNITS: &[&str] =
        &["学院", "学生会", "研究生会", "处", "部", "办公室", "办", "中心", "委员会", "团委", "系", "科", "室", "大学"];
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '·';
    let n = line.chars().count();
    if line.chars().all(han) {
        return (2..=4).contains(&n) || (n <= 20 && UNITS.iter().any(|u| line.ends_with(u)));
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && w.chars().all(|c| c.is_ascii_alphabetic() || matches!(c, '.' | '-' | '\''))
        })
}

// ---------------------------------------------------------------------------------------------------------------
// Cutting the text.

/// The new text of a text/plain body.
fn text_new_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len()).find_map(|i| cut_at(&lines, i)).unwrap_or(lines.len());
    let kept: Vec<&str> = lines[..cut].iter().copied().filter(|l| !l.trim_start().starts_with('>')).collect();
    kept.join("\n").trim().to_string()
}

/// Where the reply must be cut if line `i` starts the quoted part or the signature (`i` or the line before it).
fn cut_at(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i].replace("&nbsp;", " ");
    let line = line.trim();
    if lines[i].trim_end() == "--" || line == "--" || is_mobile_signature(line) || is_divider(line) {
        return Some(i);
    }
    if is_header_line(line, &["from", "发件人"]) {
        let next = lines[i + 1..].iter().take(4);
        if next.map(|l| l.trim()).any(|l| is_header_line(l, &["sent", "date", "发送时间", "日期", "时间"])) {
            return Some(i);
        }
    }
    attribution_at(lines, i)
}

/// Signatures of mobile clients, e.g. `发自我的iPhone`, `Sent from my iPhone`, `来自网易邮箱大师`.
fn is_mobile_signature(line: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "发自我的",
        "发自网易邮箱",
        "来自网易邮箱",
        "来自我的",
        "从我的iphone发送",
        "从我的 iphone 发送",
        "sent from my ",
        "sent from mail for windows",
        "sent from outlook",
        "get outlook for ",
        "sent from yahoo mail",
    ];
    let lower = line.to_lowercase();
    line.chars().count() <= 40 && PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Lines that open a quoted or forwarded message: a row of underscores (Outlook) or a dashed title such as
/// `-----Original Message-----` or `------------------ 原始邮件 ------------------`.
fn is_divider(line: &str) -> bool {
    const TITLES: &[&str] = &[
        "original message",
        "original",
        "原始邮件",
        "原邮件",
        "回复的原邮件",
        "replied message",
        "forwarded message",
        "转发邮件",
        "转发的邮件",
        "邮件原文",
    ];
    if line.len() >= 10 && line.chars().all(|c| c == '_') {
        return true;
    }
    if matches!(line, "Begin forwarded message:" | "下面是被转发的邮件：") {
        return true;
    }
    if !line.starts_with("--") {
        return false;
    }
    let title = line.trim_matches(|c: char| c == '-' || c.is_whitespace()).to_lowercase();
    TITLES.contains(&title.as_str())
}

/// `From: …`, `发件人：…` and the like, also in bold (`*From:*`).
fn is_header_line(line: &str, names: &[&str]) -> bool {
    let line = line.trim_start_matches('*').to_lowercase();
    names.iter().any(|name| {
        line.strip_prefix(name)
            .map(|rest| rest.trim_start_matches(['*', ' ', '\u{a0}']))
            .is_some_and(|rest| rest.starts_with([':', '：']))
    })
}

/// The attribution line of a quote, `On Mon, Nov 24, 2025 at 10:00 AM 联动 <liandong@nanyue.edu.cn> wrote:` or
/// `联动 <liandong@nanyue.edu.cn> 于2025年11月24日周一 10:00写道：`, possibly wrapped over two lines; `i` is the line
/// that ends with `wrote:`/`写道：`.
fn attribution_at(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i].trim();
    let ends = ["wrote:", "写道：", "写道:"].iter().any(|e| line.to_lowercase().ends_with(e));
    if !ends {
        return None;
    }
    let previous = if i > 0 { lines[i - 1].trim() } else { "" };
    let starts_here = line.starts_with("On ") || line.starts_with('在') || line.contains('@');
    let wrapped = previous.starts_with("On ") && !line.starts_with("On ") || !starts_here && !previous.is_empty();
    let start = if wrapped { i - 1 } else { i };
    let whole = lines[start..=i].join(" ");
    let quote_follows =
        lines[i + 1..].iter().map(|l| l.trim()).find(|l| !l.is_empty()).is_some_and(|l| l.starts_with('>'));
    (quote_follows || whole.contains('@') || whole.chars().any(|c| c.is_ascii_digit())).then_some(start)
}

// ---------------------------------------------------------------------------------------------------------------
// HTML.

/// The new text of a text/html body: the quoted part cut off where the markup makes it plain, the rest converted to
/// text and cut like a text body.
fn html_new_text(html: &str) -> String {
    text_new_text(&html_to_text(cut_html_quote(html)))
}

/// The HTML before the first mark of a quote or signature: Gmail's `gmail_quote`/`gmail_signature`, Outlook's
/// `divRplyFwdMsg`/`appendonsend` and header block under a `border-top` rule, any `<hr>` (Outlook web, and
/// Foxmail's signature rule), the dashed title of QQ Mail and Foxmail. Blockquotes are dropped by
/// [`html_to_text`].
///
/// Linear in the length of `html`: each pass over the marks asks its questions ("which tag is this in", "is there a
/// `From:` within 3,000 bytes") at increasing positions and never reads a byte twice (a reply of up to `max_size`,
/// 10 MB, full of marks outside tags took minutes when every mark searched back to the start).
fn cut_html_quote(html: &str) -> &str {
    let lower = html.to_ascii_lowercase();
    let mut cut = html.len();
    for mark in ["gmail_quote", "gmail_attr", "gmail_signature", "divrplyfwdmsg", "appendonsend", "<hr"] {
        let mut tags = Tags::new(&lower);
        if let Some(pos) = lower.match_indices(mark).find_map(|(pos, _)| tags.enclosing(pos)) {
            cut = cut.min(pos);
        }
    }
    let mut tags = Tags::new(&lower);
    let mut headers = [Occurrences::new(&lower, "from:"), Occurrences::new(&lower, "发件人")];
    for (pos, _) in lower.match_indices("border-top:") {
        let end = lower.floor_char_boundary(pos + 3000);
        let Some(open) = tags.enclosing(pos) else { continue };
        if headers.iter_mut().any(|h| h.within(pos, end)) {
            cut = cut.min(open);
            break;
        }
    }
    for title in ["原始邮件", "original"] {
        let mut opens = LastBefore::new(&lower, b"<");
        for (pos, _) in lower.match_indices(title) {
            let before = lower[..pos].trim_end_matches([' ', '\u{a0}']);
            let before = before.strip_suffix("&nbsp;").unwrap_or(before).trim_end();
            if before.ends_with("--") {
                let dashes = before.trim_end_matches('-');
                cut = cut.min(tag_start(&lower, dashes.len(), &mut opens));
            }
        }
    }
    &html[..cut]
}

/// The last of some ASCII bytes before a position, for positions asked in increasing order: the bytes between two
/// questions are read once, so a pass over a text costs its length (a position below an earlier one is answered by
/// reading back, correct but not linear).
struct LastBefore<'a> {
    text: &'a [u8],
    of: &'static [u8],
    read: usize,
    last: Option<usize>,
}

impl<'a> LastBefore<'a> {
    fn new(text: &'a str, of: &'static [u8]) -> Self {
        Self { text: text.as_bytes(), of, read: 0, last: None }
    }

    /// The position of the last byte of `of` in `text[..pos]`.
    fn before(&mut self, pos: usize) -> Option<usize> {
        let is_of = |b: &u8| self.of.contains(b);
        if pos < self.read {
            return self.text[..pos].iter().rposition(is_of);
        }
        if let Some(i) = self.text[self.read..pos].iter().rposition(is_of) {
            self.last = Some(self.read + i);
        }
        self.read = pos;
        self.last
    }
}

/// Which tag a position of a lowercased HTML text is in, for positions asked in increasing order.
struct Tags<'a>(LastBefore<'a>);

impl<'a> Tags<'a> {
    fn new(lower: &'a str) -> Self {
        Self(LastBefore::new(lower, b"<>"))
    }

    /// The start of the tag `pos` is in (a `<` at `pos` starts one), if it is in a tag: the last `<` or `>` before
    /// it is a `<`.
    fn enclosing(&mut self, pos: usize) -> Option<usize> {
        if self.0.text.get(pos) == Some(&b'<') {
            return Some(pos);
        }
        self.0.before(pos).filter(|&i| self.0.text[i] == b'<')
    }
}

/// The occurrences of a needle in a text, asked in increasing order.
struct Occurrences<'a> {
    found: std::iter::Peekable<std::str::MatchIndices<'a, &'static str>>,
    len: usize,
}

impl<'a> Occurrences<'a> {
    fn new(text: &'a str, needle: &'static str) -> Self {
        Self { found: text.match_indices(needle).peekable(), len: needle.len() }
    }

    /// Whether the needle occurs whole in `text[from..end]`; `from` must not decrease from one question to the next.
    fn within(&mut self, from: usize, end: usize) -> bool {
        while self.found.next_if(|&(at, _)| at < from).is_some() {}
        self.found.peek().is_some_and(|&(at, _)| at + self.len <= end)
    }
}

/// The start of the tag right before `pos` (only white space between them), or `pos` itself if text precedes it.
fn tag_start(lower: &str, pos: usize, opens: &mut LastBefore<'_>) -> usize {
    match lower[..pos].trim_end().strip_suffix('>') {
        Some(before_close) => opens.before(before_close.len()).unwrap_or(pos),
        None => pos,
    }
}

/// A small HTML to text conversion: `<head>`, `<style>`, `<script>`, `<title>` and `<blockquote>` are dropped, block
/// elements and `<br>` break lines, white space is collapsed and entities decoded.
fn html_to_text(html: &str) -> String {
    const SKIPPED: &[&str] = &["head", "style", "script", "title", "blockquote", "template", "xml"];
    const BLOCKS: &[&str] = &[
        "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "section",
        "article", "header", "footer", "dl", "dt", "dd", "center",
    ];
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip = [0usize; SKIPPED.len()];
    let mut space = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' && tag_name(rest).is_some() {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map_or("", |end| &after[end + 3..]);
                continue;
            }
            let (tag, after) = split_tag(rest);
            rest = after;
            let (name, closing) = tag_name(tag).unwrap_or_default();
            if let Some(k) = SKIPPED.iter().position(|s| *s == name) {
                if closing {
                    skip[k] = skip[k].saturating_sub(1);
                } else if !tag.ends_with("/>") {
                    skip[k] += 1;
                }
                if SKIPPED[k] == "blockquote" {
                    break_line(&mut out);
                }
            } else if name == "br" && skip.iter().all(|&n| n == 0) {
                out.push('\n');
                space = false;
            } else if BLOCKS.contains(&name.as_str()) && skip.iter().all(|&n| n == 0) {
                break_line(&mut out);
                space = false;
            } else if name == "td" || name == "th" {
                space = true;
            }
            continue;
        }
        let len = c.len_utf8();
        if skip.iter().any(|&n| n > 0) {
            rest = &rest[len..];
            continue;
        }
        if c.is_ascii_whitespace() {
            space = true;
            rest = &rest[len..];
            continue;
        }
        let (text, after) = if c == '&' { decode_entity(rest) } else { (Cow::Borrowed(&rest[..len]), &rest[len..]) };
        rest = after;
        if space && !out.is_empty() && !out.ends_with(['\n', ' ']) {
            out.push(' ');
        }
        space = false;
        out.push_str(&text);
    }
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// Ends the current output line, unless it is empty.
fn break_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Splits `<…>` (with quoted attribute values) off the front of `s`.
fn split_tag(s: &str) -> (&str, &str) {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '>') => return (&s[..=i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

/// The lowercased name of a tag and whether it is a closing tag; None if `<` did not start a tag.
fn tag_name(tag: &str) -> Option<(String, bool)> {
    let inner = tag.strip_prefix('<')?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(inner) => (true, inner),
        None => (false, inner),
    };
    let first = inner.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '!' || first == '?') {
        return None;
    }
    let name: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == ':').collect();
    Some((name.to_ascii_lowercase(), closing))
}

/// Decodes the entity at the front of `s` (which starts with `&`); an unknown one stays as it is.
fn decode_entity(s: &str) -> (Cow<'_, str>, &str) {
    let literal = (Cow::Borrowed("&"), &s[1..]);
    let end = s[1..].char_indices().take(12).find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '#'));
    let Some((end, ';')) = end.map(|(i, c)| (i + 1, c)) else { return literal };
    let name = &s[1..end];
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        code.map(|code| char::from_u32(code).unwrap_or('\u{FFFD}'))
    } else {
        named_entity(name)
    };
    let text = match c {
        None => return literal,
        Some('\u{a0}') => Cow::Borrowed(" "),
        Some('\u{200B}'..='\u{200D}' | '\u{FEFF}') => Cow::Borrowed(""),
        Some(c) => Cow::Owned(c.to_string()),
    };
    (text, &s[end + 1..])
}

/// The common named entities.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "nbsp" | "NBSP" => '\u{a0}',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "amp" | "AMP" => '&',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "ensp" | "emsp" | "thinsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "yen" => '¥',
        "times" => '×',
        "zwsp" | "zwnj" | "zwj" => '\u{200B}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/", $name)).as_slice()
        };
    }

    fn command(verdict: Verdict, comment: Option<&str>) -> Parsed {
        Parsed::Command { verdict, comment: comment.map(str::to_string) }
    }

    fn unclear(first_line: &str) -> Parsed {
        Parsed::Unclear { first_line: first_line.to_string() }
    }

    fn parse(raw: &[u8]) -> Parsed {
        parse_reply(&MessageParser::default().parse(raw).expect("fixture parses"))
    }

    /// The HTML part of a fixture, read on its own.
    fn parse_html_part(raw: &[u8]) -> Parsed {
        let msg = MessageParser::default().parse(raw).expect("fixture parses");
        let html = msg.body_html(0).expect("fixture has an HTML part");
        parse_text(&html_new_text(&html))
    }

    // -- Fixtures: Gmail.

    #[test]
    fn gmail_en_wrapped_attribution() {
        let raw = fixture!("gmail_en_alt_qp.eml");
        let expected = command(Verdict::Approve, Some("looks good. Please keep the receipts."));
        assert_eq!(parse(raw), expected);
        assert_eq!(parse_html_part(raw), expected);
    }

    #[test]
    fn gmail_zh_attribution_and_signature() {
        let raw = fixture!("gmail_zh_alt_base64.eml");
        let expected = command(Verdict::Reject, Some("预算超出年度额度，请拆分后重新提交。"));
        assert_eq!(parse(raw), expected);
        assert_eq!(parse_html_part(raw), expected);
    }

    #[test]
    fn gmail_zh_wrapped_attribution_question_is_unclear() {
        let raw = fixture!("gmail_zh_unclear.eml");
        let msg = MessageParser::default().parse(raw).unwrap();
        assert_eq!(new_text(&msg), "同意吗？我还想确认一下供应商资质。");
        assert_eq!(parse(raw), unclear("同意吗？我还想确认一下供应商资质。"));
        assert_eq!(parse_html_part(raw), unclear("同意吗？我还想确认一下供应商资质。"));
    }

    #[test]
    fn gmail_en_nothing_typed() {
        let raw = fixture!("gmail_en_empty.eml");
        assert_eq!(parse(raw), unclear(""));
        assert_eq!(parse_html_part(raw), unclear(""));
    }

    // -- Fixtures: Outlook.

    #[test]
    fn outlook_desktop_en_header_block_without_divider() {
        let raw = fixture!("outlook_desktop_en_alt.eml");
        let expected = command(Verdict::Return, Some("Please attach the supplier’s quotation."));
        let msg = MessageParser::default().parse(raw).unwrap();
        assert_eq!(new_text(&msg), "Return. Please attach the supplier’s quotation.");
        assert_eq!(parse(raw), expected);
        assert_eq!(parse_html_part(raw), expected);
    }

    #[test]
    fn outlook_desktop_zh_original_message() {
        assert_eq!(parse(fixture!("outlook_desktop_zh_text.eml")), command(Verdict::Acknowledge, None));
    }

    #[test]
    fn outlook_desktop_en_original_message() {
        assert_eq!(parse(fixture!("outlook_desktop_en_original_message.eml")), command(Verdict::Reject, None));
    }

    #[test]
    fn outlook_desktop_en_no_problem_is_unclear() {
        let raw = fixture!("outlook_desktop_en_unclear.eml");
        assert_eq!(parse(raw), unclear("No problem, but let me check with finance first."));
    }

    #[test]
    fn outlook_web_en_underscores_and_div_rply_fwd_msg() {
        let raw = fixture!("outlook_web_en_alt.eml");
        let expected = command(Verdict::Reject, Some("Budget is over the limit for this quarter."));
        assert_eq!(parse(raw), expected);
        assert_eq!(parse_html_part(raw), expected);
    }

    #[test]
    fn outlook_web_zh_underscores_and_div_rply_fwd_msg() {
        let raw = fixture!("outlook_web_zh_alt.eml");
        let expected = command(Verdict::Return, Some("请补充供应商报价单\n另需部门负责人签字"));
        assert_eq!(parse(raw), expected);
        assert_eq!(parse_html_part(raw), expected);
    }

    // -- Fixtures: QQ Mail.

    #[test]
    fn qq_zh_html_only() {
        let raw = fixture!("qq_zh_html_only.eml");
        let msg = MessageParser::default().parse(raw).unwrap();
        assert_eq!(new_text(&msg), "同意");
        assert_eq!(parse(raw), command(Verdict::Approve, None));
    }

    #[test]
    fn qq_en_html_only_quoted_printable() {
        assert_eq!(parse(fixture!("qq_en_html_only.eml")), command(Verdict::Approve, None));
    }

    #[test]
    fn qq_zh_alternative_text_divider() {
        let raw = fixture!("qq_zh_alt.eml");
        assert_eq!(parse(raw), command(Verdict::Acknowledge, None));
        assert_eq!(parse_html_part(raw), command(Verdict::Acknowledge, None));
    }

    // -- Fixtures: Foxmail.

    #[test]
    fn foxmail_zh_signature_under_rule() {
        let raw = fixture!("foxmail_zh_alt_signature.eml");
        let expected = command(Verdict::Approve, Some("请按计划执行。\n首付款不超过 30%。"));
        assert_eq!(parse(raw), expected);
    }

    #[test]
    fn foxmail_en_original() {
        assert_eq!(parse(fixture!("foxmail_en_text_original.eml")), command(Verdict::Acknowledge, None));
    }

    #[test]
    fn foxmail_zh_html_original() {
        let raw = fixture!("foxmail_zh_html_original.eml");
        assert_eq!(parse(raw), command(Verdict::Reject, Some("金额与合同不符")));
    }

    // -- Fixtures: mobile clients, Thunderbird.

    #[test]
    fn iphone_zh_signature_and_quote() {
        assert_eq!(parse(fixture!("iphone_zh_text.eml")), command(Verdict::Approve, None));
    }

    #[test]
    fn iphone_en_signature_and_quote() {
        let raw = fixture!("iphone_en_text.eml");
        assert_eq!(parse(raw), command(Verdict::Return, Some("the quotation page is missing")));
    }

    #[test]
    fn netease_mail_master_zh() {
        assert_eq!(parse(fixture!("netease_mailmaster_zh.eml")), command(Verdict::Approve, None));
    }

    #[test]
    fn android_zh_only_signature_is_unclear() {
        assert_eq!(parse(fixture!("android_zh_signature_only.eml")), unclear(""));
    }

    #[test]
    fn thunderbird_en_only_signature_is_unclear() {
        assert_eq!(parse(fixture!("thunderbird_en_signature_only.eml")), unclear(""));
    }

    #[test]
    fn thunderbird_zh_full_width_yes() {
        let raw = fixture!("thunderbird_zh_fullwidth.eml");
        assert_eq!(parse(raw), command(Verdict::Approve, Some("按合同执行")));
    }

    // -- parse_text.

    #[test]
    fn keywords() {
        for (text, verdict) in [
            ("同意", Verdict::Approve),
            ("批准", Verdict::Approve),
            ("approve", Verdict::Approve),
            ("yes", Verdict::Approve),
            ("不同意", Verdict::Reject),
            ("驳回", Verdict::Reject),
            ("reject", Verdict::Reject),
            ("no", Verdict::Reject),
            ("退回", Verdict::Return),
            ("return", Verdict::Return),
            ("已阅", Verdict::Acknowledge),
            ("收到", Verdict::Acknowledge),
            ("ack", Verdict::Acknowledge),
        ] {
            assert_eq!(parse_text(text), command(verdict, None), "{text}");
        }
    }

    #[test]
    fn case_width_whitespace_and_trailing_punctuation() {
        for text in [
            "同意。",
            "Approve!",
            "YES",
            "  Yes  ",
            "ＹＥＳ",
            "ｙｅｓ！",
            "同意！",
            "\u{3000}同意\u{3000}",
            "\u{feff}approve.",
            "同意!!!",
        ] {
            assert_eq!(parse_text(text), command(Verdict::Approve, None), "{text:?}");
        }
        assert_eq!(parse_text("NO."), command(Verdict::Reject, None));
        assert_eq!(parse_text("Ack；"), command(Verdict::Acknowledge, None));
        assert_eq!(parse_text("退回："), command(Verdict::Return, None));
    }

    #[test]
    fn not_agree_is_reject() {
        assert_eq!(parse_text("不同意"), command(Verdict::Reject, None));
        assert_eq!(parse_text("不同意，金额有误"), command(Verdict::Reject, Some("金额有误")));
    }

    #[test]
    fn chinese_keyword_needs_a_separator() {
        assert_eq!(parse_text("同意吗"), unclear("同意吗"));
        assert_eq!(parse_text("同意？"), unclear("同意？"));
        assert_eq!(parse_text("收到了吗"), unclear("收到了吗"));
        assert_eq!(parse_text("同意，请按计划执行"), command(Verdict::Approve, Some("请按计划执行")));
        assert_eq!(parse_text("同意 请按计划执行"), command(Verdict::Approve, Some("请按计划执行")));
        assert_eq!(parse_text("驳回、重新报价"), command(Verdict::Reject, Some("重新报价")));
    }

    #[test]
    fn english_keyword_needs_punctuation() {
        assert_eq!(parse_text("No problem"), unclear("No problem"));
        assert_eq!(parse_text("no"), command(Verdict::Reject, None));
        assert_eq!(parse_text("Approve. Looks good"), command(Verdict::Approve, Some("Looks good")));
        assert_eq!(parse_text("yes, go ahead"), command(Verdict::Approve, Some("go ahead")));
        assert_eq!(parse_text("yes，go ahead"), command(Verdict::Approve, Some("go ahead")));
        assert_eq!(parse_text("Yes please"), unclear("Yes please"));
        assert_eq!(parse_text("yes?"), unclear("yes?"));
        assert_eq!(parse_text("Approved"), command(Verdict::Approve, None));
        assert_eq!(parse_text("Noted"), command(Verdict::Acknowledge, None));
        assert_eq!(parse_text("Nope"), unclear("Nope"));
        assert_eq!(parse_text("Nothing to add"), unclear("Nothing to add"));
        assert_eq!(parse_text("Returning it"), unclear("Returning it"));
    }

    /// Every row of the README's table of first lines ("The first line of a reply"): the doc cannot drift.
    #[test]
    fn the_readme_grammar_table() {
        let readme = include_str!("../../../README.md");
        let begin = readme.find("<!-- reply-grammar:begin -->").expect("the table's begin mark");
        let end = readme.find("<!-- reply-grammar:end -->").expect("the table's end mark");
        let mut rows = 0;
        for row in readme[begin..end].lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.trim().trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "{row}");
            let text = cells[0].trim_matches('`').replace('⏎', "\n");
            let comment = cells[2].replace('⏎', "\n");
            let verdict = match cells[1] {
                "approve" => Some(Verdict::Approve),
                "reject" => Some(Verdict::Reject),
                "return" => Some(Verdict::Return),
                "acknowledge" => Some(Verdict::Acknowledge),
                "unclear" => None,
                other => panic!("unknown verdict {other} in {row}"),
            };
            let got = parse_text(&text);
            match verdict {
                Some(v) => assert_eq!(got, command(v, (!comment.is_empty()).then_some(comment.as_str())), "{row}"),
                None => assert!(matches!(got, Parsed::Unclear { .. }), "{row}: {got:?}"),
            }
            rows += 1;
        }
        assert!(rows >= 50, "the table has its rows ({rows})");
    }

    #[test]
    fn signature_blocks() {
        let sig = |t: &str| parse_text(t);
        assert_eq!(sig("同意\n张三\n13800138000\nzhangsan@example.edu.cn"), command(Verdict::Approve, None));
        assert_eq!(sig("同意\n<zhangsan@example.edu.cn>"), command(Verdict::Approve, None));
        assert_eq!(sig("同意\nmailto:zhangsan@example.edu.cn"), command(Verdict::Approve, None));
        assert_eq!(sig("同意\n手机：138 0013 8000"), command(Verdict::Approve, None));
        assert_eq!(sig("同意\n(020) 8523-1234"), command(Verdict::Approve, None));
        assert_eq!(sig("同意\nwww.example.edu.cn"), command(Verdict::Approve, None));
        // a comment that only looks short stays; three name-like lines are too many to be a signature
        assert_eq!(sig("同意\n请按计划执行\n张三\n13800138000"), command(Verdict::Approve, Some("请按计划执行")));
        assert_eq!(sig("同意\n请尽快\n张三\n财务处\n13800138000"), command(Verdict::Approve, Some("请尽快")));
        assert_eq!(sig("同意\n金额 13800138000 元有误"), command(Verdict::Approve, Some("金额 13800138000 元有误")));
        assert_eq!(
            sig("同意\n详见 https://example.edu.cn/x 第3条"),
            command(Verdict::Approve, Some("详见 https://example.edu.cn/x 第3条"))
        );
        assert_eq!(sig("同意\n123456"), command(Verdict::Approve, Some("123456")));
    }

    #[test]
    fn following_lines_join_the_comment() {
        let text = "\n\n同意，请按计划执行\n首付款不超过 30%\n\n尾款验收后支付\n";
        let comment = "请按计划执行\n首付款不超过 30%\n\n尾款验收后支付";
        assert_eq!(parse_text(text), command(Verdict::Approve, Some(comment)));
        assert_eq!(parse_text("approve\n\nlooks good"), command(Verdict::Approve, Some("looks good")));
    }

    #[test]
    fn empty_is_unclear() {
        assert_eq!(parse_text(""), unclear(""));
        assert_eq!(parse_text(" \n\u{3000}\n"), unclear(""));
        assert_eq!(parse_text("请问这是什么？"), unclear("请问这是什么？"));
    }

    // -- Text rules on their own.

    #[test]
    fn only_a_signature_is_empty() {
        assert_eq!(text_new_text("-- \nZhang San\nFinance"), "");
        assert_eq!(text_new_text("\n发自我的iPhone\n"), "");
        assert_eq!(text_new_text("Sent from my iPhone"), "");
        assert_eq!(text_new_text("来自网易邮箱大师"), "");
        assert_eq!(parse_text(&text_new_text("--\nZhang San")), unclear(""));
    }

    #[test]
    fn text_cuts() {
        let cases = [
            "同意\n\n联动 <liandong@nanyue.edu.cn> 于2025年11月24日周一 10:00写道：\n\n> 原文",
            "同意\nOn Mon, Nov 24, 2025 at 10:00 AM 联动 <liandong@nanyue.edu.cn> wrote:\n> x",
            "同意\n________________________________\nFrom: 联动\nSent: Monday\n原文",
            "同意\n-----Original Message-----\n原文",
            "同意\n-----原始邮件-----\n原文",
            "同意\n------------------&nbsp;原始邮件&nbsp;------------------\n发件人: x",
            "同意\n------------------ 原始邮件 ------------------\n发件人: x",
            "同意\n------------------ Original ------------------\nFrom: x",
            "同意\n发件人: 联动 <liandong@nanyue.edu.cn>\n发送时间: 2025年11月24日 10:00\n收件人: 张三",
            "同意\n发件人：联动\n日期：2025年11月24日\n原文",
            "同意\n-- \n张三",
            "同意\n发自我的 iPhone\n> 原文",
            "> 原文\n同意\n> 原文",
        ];
        for text in cases {
            assert_eq!(text_new_text(text), "同意", "{text:?}");
        }
        assert_eq!(
            text_new_text(
                "同意\r\n\r\nOn Mon, Nov 24, 2025 at 10:00 AM 联动 <\r\nliandong@nanyue.edu.cn> wrote:\r\n> x"
            ),
            "同意"
        );
    }

    #[test]
    fn text_keeps_ordinary_lines() {
        let text = "同意\nFrom now on, please attach the quotation.\nAs Li Si wrote: fine";
        assert_eq!(text_new_text(text), text);
    }

    // -- HTML.

    #[test]
    fn html_to_text_blocks_and_entities() {
        let html = "<html><head><title>t</title><style>p{color:red}</style></head><body><script>x()</script>\
                    <p>同意&nbsp;&amp;&nbsp;a&lt;b&gt;c &quot;q&quot; &#21516;&#x610F; &unknown; a & b</p>\
                    <div>line<br>two</div><div><br></div><blockquote><div>quoted</div></blockquote><div>end</div>\
                    <!-- comment <div>no</div> --></body></html>";
        assert_eq!(html_to_text(html), "同意 & a<b>c \"q\" 同意 &unknown; a & b\nline\ntwo\n\nend");
    }

    #[test]
    fn html_cuts_before_conversion() {
        let cases = [
            "<div>同意</div><div class=\"gmail_quote\">On … wrote:<blockquote>x</blockquote></div>",
            "<div>同意</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">From: x</div>",
            "<div>同意</div><div id=\"divRplyFwdMsg\"><b>From:</b> x</div><div>原文</div>",
            "<p>同意</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'><p><b>From:</b> x</p></div><p>原文</p>",
            "<div>同意</div><div style=\"font-size: 12px\">------------------&nbsp;原始邮件&nbsp;------------------</div>\
             <div>原文</div>",
            "<div>同意</div><div><div>------------------&nbsp;Original&nbsp;------------------</div></div><div>原文</div>",
            "<div>同意</div><blockquote type=\"cite\">原文</blockquote>",
        ];
        for html in cases {
            assert_eq!(html_new_text(html), "同意", "{html:?}");
        }
    }

    #[test]
    fn malformed_html_does_not_panic() {
        for html in [
            "<",
            "<div",
            "&",
            "&#;",
            "&#x110000;",
            "a < b & c > d",
            "<a href=\"x>y\">同意</a",
            "<!--",
            "同意&nbsp",
            "<p>é&é;</p>",
            "------",
        ] {
            let _ = html_new_text(html);
        }
        assert_eq!(html_new_text("a < b &amp; c"), "a < b & c");
    }

    #[test]
    fn a_reply_in_gbk_is_read() {
        // QQ Mail and Foxmail still send GBK/GB18030: "同意" + a comment, encoded in GBK
        let mut raw = b"From: a@qq.com\r\nTo: reply+x@reply.example.edu.cn\r\nSubject: Re: x\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"gbk\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            .to_vec();
        raw.extend_from_slice(&[0xCD, 0xAC, 0xD2, 0xE2, b'\r', b'\n', 0xBA, 0xC3, b'\r', b'\n']); // 同意 / 好
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(parse_reply(&msg), Parsed::Command { verdict: Verdict::Approve, comment: Some("好".into()) });
    }

    #[test]
    fn a_long_quote_header_with_wide_characters_does_not_panic() {
        // found by the fuzzer: a byte offset 3000 past `border-top:` inside a multi-byte character
        let html = format!("<div style='border-top:{}é'>From: x</div>", "a".repeat(2988));
        let _ = html_new_text(&html);
        let _ = html_new_text(&format!("<p>同意</p><div style='border-top:{}'>", "同".repeat(1100)));
    }

    /// A reply may be as large as `max_size` (10 MB). Before, each mark of a quote outside a tag (or each dashed
    /// title) searched back to the start of the text for its tag: a 2 MB reply full of them took 8 to 19 s, a
    /// 10 MB one minutes, in the one task that reads replies. Each case here is 4 MB; linear, they take well under
    /// a second each (debug build); quadratic, they took more than half a minute each.
    #[test]
    fn quote_marks_outside_tags_in_a_large_reply_take_linear_time() {
        let fill = |s: &str| s.repeat((4 << 20) / s.len());
        let marks = fill(" gmail_quote gmail_signature divRplyFwdMsg appendonsend");
        let rules = fill(" border-top: From: 发件人");
        let cases = [
            (
                format!(
                    "<p>同意</p><p>{marks}</p><div class=\"gmail_quote\">On … wrote:<blockquote>原文</blockquote></div>"
                ),
                format!("同意\n{}", marks.trim()),
            ),
            (
                format!(
                    "<p>同意</p><p>{rules}</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'>\
                     <p><b>From:</b> x</p></div><p>原文</p>"
                ),
                format!("同意\n{}", rules.trim()),
            ),
            (format!("<p>同意</p><div>------ Original ------</div><p>{}</p>", fill(" --original")), "同意".into()),
            (format!("<p>同意</p><p>------ 原始邮件 ------</p><p>{}</p>", fill("> --原始邮件")), "同意".into()),
        ];
        for (i, (html, expected)) in cases.iter().enumerate() {
            let start = std::time::Instant::now();
            let text = html_new_text(html);
            let took = start.elapsed();
            assert!(text == *expected, "case {i}: the new text starts {:?}", text.chars().take(80).collect::<String>());
            assert!(took < std::time::Duration::from_secs(4), "case {i} took {took:?}");
        }
    }
}
