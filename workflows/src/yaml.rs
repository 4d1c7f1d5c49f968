//! Reading YAML with positions: loading (syntax and duplicate keys reported at `line:col`), and a
//! small cursor over mappings that reports unknown keys and wrong types instead of panicking.

use crate::diag::{Diagnostic, Pos};
use marked_yaml::{LoaderOptions, Node, types::MarkedMappingNode, types::MarkedScalarNode};

/// The deepest nesting of YAML mappings and lists accepted, block and flow style alike
/// (`yaml_too_deep`). A definition nests about 8 levels, an org file 4. marked-yaml, its parser
/// and the `Node` tree it builds all recurse once per level (loading, `Drop`, the readers here),
/// so deeper input is refused before marked-yaml sees it.
pub const MAX_DEPTH: usize = 64;

/// Refuses text whose mappings and lists nest deeper than [`MAX_DEPTH`], with a `yaml_too_deep`
/// diagnostic at the `line:col` of the first mapping or list too deep.
///
/// Reads the events of yaml-rust2's parser (the one under marked-yaml), which keeps its state on
/// the heap: nothing here recurses. Text that is not valid YAML passes, so that the loader
/// reports the syntax error with its own message.
pub fn check_depth(text: &str) -> Result<(), Diagnostic> {
    use yaml_rust2::Event;
    let too_deep = |mark: &yaml_rust2::scanner::Marker| {
        Diagnostic::error(
            "yaml_too_deep",
            Pos::new(u32::try_from(mark.line()).unwrap_or(u32::MAX), u32::try_from(mark.col() + 1).unwrap_or(u32::MAX)),
            format!("mappings and lists are nested more than {MAX_DEPTH} levels deep here"),
        )
    };
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), mark)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep(&mark));
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            // The scanner reads ahead, and stops at 255 open flow brackets by itself.
            Err(e) if e.info() == "recursion limit exceeded" => return Err(too_deep(e.marker())),
            Ok((Event::StreamEnd, _)) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Loads a YAML document whose top level is a mapping; nesting is bounded by [`check_depth`].
pub fn load(text: &str) -> Result<Node, Diagnostic> {
    check_depth(text)?;
    let opts = LoaderOptions::default().error_on_duplicate_keys(true).prevent_coercion(true);
    marked_yaml::parse_yaml_with_options(0, text, opts).map_err(|e| load_error(&e))
}

fn load_error(e: &marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError::*;
    let at = |m: &marked_yaml::Marker| Pos::new(m.line() as u32, m.column() as u32);
    match e {
        DuplicateKey(inner) => {
            let first = span_pos(inner.prev_key.span());
            Diagnostic::error(
                "duplicate_key",
                span_pos(inner.key.span()),
                format!(
                    "the key `{}` appears twice in this mapping (first at line {})",
                    inner.key.as_str(),
                    first.line
                ),
            )
        }
        TopLevelMustBeMapping(m) => {
            Diagnostic::error("wrong_type", at(m), "the file must be a YAML mapping (`key: value` lines)")
        }
        TopLevelMustBeSequence(m) => Diagnostic::error("wrong_type", at(m), "expected a YAML list"),
        UnexpectedAnchor(m) => Diagnostic::error("yaml_syntax", at(m), "YAML anchors (&name) are not supported"),
        MappingKeyMustBeScalar(m) => Diagnostic::error("yaml_syntax", at(m), "a key must be a plain word"),
        UnexpectedTag(m) => Diagnostic::error("yaml_syntax", at(m), "YAML tags (!tag) are not supported"),
        ScanError(m, se) => Diagnostic::error("yaml_syntax", at(m), format!("this is not valid YAML: {}", se.info())),
    }
}

/// The start of a span as a [`Pos`] (1:1 when unknown).
pub fn span_pos(span: &marked_yaml::Span) -> Pos {
    span.start().map_or(Pos::new(1, 1), |m| Pos::new(m.line() as u32, m.column() as u32))
}

/// Where a node starts.
pub fn pos(node: &Node) -> Pos {
    span_pos(node.span())
}

/// The characters of a source text by index (marked-yaml's markers count characters, not bytes): the byte offset
/// of every 64th character is kept, so finding one reads at most 63 characters. Reading from the start each time
/// (`chars().nth`) made a file of many quoted conditions quadratic: 40,000 `switch` cases in 1 MB took seconds.
pub struct Chars<'s> {
    text: &'s str,
    every_64th: Vec<usize>,
}

impl<'s> Chars<'s> {
    /// Indexes `text` (one pass).
    pub fn new(text: &'s str) -> Self {
        Self { text, every_64th: text.char_indices().step_by(64).map(|(at, _)| at).collect() }
    }

    /// The character at character index `n`, if the text is that long.
    pub fn nth(&self, n: usize) -> Option<char> {
        let from = *self.every_64th.get(n / 64)?;
        self.text[from..].chars().nth(n % 64)
    }
}

/// The position of the first character *inside* a scalar (after an opening quote); `source` is the text the
/// scalar was loaded from.
pub fn inner_pos(source: &Chars<'_>, node: &MarkedScalarNode) -> Pos {
    let p = span_pos(node.span());
    let quoted = node.span().start().and_then(|m| source.nth(m.character())).is_some_and(|c| c == '"' || c == '\'');
    if quoted { Pos::new(p.line, p.col + 1) } else { p }
}

/// What a node is, in words, for "expected X, found Y" messages.
pub fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a single value",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

/// A cursor over one mapping: take keys by name; what is left over is unknown.
pub struct Map<'a> {
    /// The mapping.
    pub node: &'a MarkedMappingNode,
    taken: Vec<&'static str>,
}

impl<'a> Map<'a> {
    /// A cursor over `node`, or a `wrong_type` diagnostic.
    pub fn of(node: &'a Node, what: &str) -> Result<Self, Diagnostic> {
        match node {
            Node::Mapping(m) => Ok(Map { node: m, taken: Vec::new() }),
            other => Err(Diagnostic::error(
                "wrong_type",
                pos(other),
                format!("{what} must be a mapping (`key: value`), found {}", kind_name(other)),
            )),
        }
    }

    /// Where the mapping starts.
    pub fn pos(&self) -> Pos {
        span_pos(self.node.span())
    }

    /// The value under `key`, if present.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        self.taken.push(key);
        self.node.get_node(key)
    }

    /// The position of the key `key` itself.
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.node.keys().find(|k| k.as_str() == key).map(|k| span_pos(k.span()))
    }

    /// Entries in file order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a MarkedScalarNode, &'a Node)> {
        self.node.iter()
    }

    /// `unknown_key` diagnostics for every key not in `allowed`, suggesting the closest one.
    pub fn unknown_keys(&self, allowed: &[&str], out: &mut Vec<Diagnostic>) {
        for k in self.node.keys() {
            if !allowed.contains(&k.as_str()) {
                out.push(unknown_key(k, allowed));
            }
        }
    }
}

/// An `unknown_key` diagnostic for key `k`.
pub fn unknown_key(k: &MarkedScalarNode, allowed: &[&str]) -> Diagnostic {
    let suggestion = closest(k.as_str(), allowed)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_else(|| format!("; allowed here: {}", allowed.join(", ")));
    Diagnostic::error("unknown_key", span_pos(k.span()), format!("unknown key `{}`{suggestion}", k.as_str()))
}

/// The longest word [`closest`] looks for a close name for, in characters.
const MAX_HINT_LEN: usize = 64;

/// The allowed word closest to `word`, if close enough to be a typo; None for a word over 64 characters.
pub fn closest<'s>(word: &str, allowed: &[&'s str]) -> Option<&'s str> {
    // The edit distance costs the product of the lengths: only words of the length of a name typed
    // by hand are looked at, and only against names of about their length (the distance is at
    // least the difference in length, so the others could not be close enough).
    let n = word.chars().count();
    if n > MAX_HINT_LEN {
        return None;
    }
    allowed
        .iter()
        .filter(|a| n.abs_diff(a.chars().count()) <= 2.max(a.len() / 4))
        .map(|a| (levenshtein(word, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4) && *d < a.len())
        .min()
        .map(|(_, a)| a)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A scalar's text, or a `wrong_type` diagnostic.
pub fn scalar<'a>(node: &'a Node, what: &str) -> Result<&'a MarkedScalarNode, Diagnostic> {
    node.as_scalar().ok_or_else(|| {
        Diagnostic::error("wrong_type", pos(node), format!("{what} must be a single value, found {}", kind_name(node)))
    })
}

/// A list's items; a single value counts as a list of one.
pub fn items(node: &Node) -> Vec<&Node> {
    match node {
        Node::Sequence(s) => s.iter().collect(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_and_duplicate_keys_have_positions() {
        let e = load("a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(e.code, "yaml_syntax");
        assert!(e.pos.line >= 2, "{e:?}");
        let e = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((e.code, e.pos), ("duplicate_key", Pos::new(3, 1)));
        assert!(e.message.contains("first at line 1"));
    }

    /// Runs `f` on a thread with a 256 KiB stack (see the expression tests).
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
    }

    /// Issue 10: `- - - …` 5,000 levels deep (10 KB) aborted the process inside marked-yaml.
    #[test]
    fn deep_block_nesting_is_refused_before_the_loader_recurses() {
        let e = on_small_stack(|| load(&format!("steps:\n  {}x\n", "- ".repeat(5000))).map(drop)).unwrap_err();
        assert_eq!((e.code, e.pos), ("yaml_too_deep", Pos::new(2, 3 + 2 * 63)), "{e:?}");
        assert!(e.message.contains("64 levels"));
        let mappings: String = (0..5000).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let e = on_small_stack(move || load(&mappings).map(drop)).unwrap_err();
        // The 65th mapping starts on line 65 (yaml-rust2 marks a block mapping one column after
        // the indentation, as marked-yaml's own spans do).
        assert_eq!((e.code, e.pos), ("yaml_too_deep", Pos::new(65, 66)), "{e:?}");
        // Flow style inside block style counts too.
        let mixed = format!("a:\n{}  - {}1{}\n", "", "[".repeat(200), "]".repeat(200));
        assert_eq!(on_small_stack(move || load(&mixed).map(drop)).unwrap_err().code, "yaml_too_deep");
        // 64 levels load.
        let ok: String = (0..64).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(on_small_stack(move || load(&ok).map(drop)).is_ok());
        // Broken YAML is left to the loader's message.
        assert_eq!(load("a: [1, 2\n").unwrap_err().code, "yaml_syntax");
    }

    /// YAML `n` levels deep, in every way YAML nests.
    fn nested(kind: usize, n: usize) -> String {
        match kind {
            0 => format!("a:\n  {}x\n", "- ".repeat(n)),
            1 => (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
            2 => format!("a: {}{}\n", "[".repeat(n), "]".repeat(n)),
            3 => format!("a: {}x{}\n", "{ k: ".repeat(n), " }".repeat(n)),
            4 => (0..n).map(|i| format!("{}- k:\n", "  ".repeat(i))).collect::<String>().replacen("- ", "a:\n- ", 1),
            _ => format!("a:\n  - {}1{}\n", "[".repeat(n), "]".repeat(n)),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

        /// Any depth of any kind loads, or is refused with a diagnostic; nothing overflows.
        #[test]
        fn any_nesting_loads_or_is_refused_cleanly(kind in 0usize..6, n in proptest::prop_oneof![0usize..70, 70usize..6000]) {
            let text = nested(kind, n);
            let got = on_small_stack(move || load(&text).map(drop));
            if let Err(e) = got {
                proptest::prop_assert!(["yaml_too_deep", "yaml_syntax", "wrong_type"].contains(&e.code), "{e:?}");
                if n > 2 * MAX_DEPTH {
                    proptest::prop_assert_eq!(e.code, "yaml_too_deep");
                }
            } else {
                proptest::prop_assert!(n < MAX_DEPTH + 2, "{kind} {n} loaded");
            }
        }
    }

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(closest("nxt", &["next", "due", "label"]), Some("next"));
        assert_eq!(closest("colour", &["next", "due"]), None);
    }
}
