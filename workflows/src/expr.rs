//! The expression language of conditions (`switch`, `need_to_know`, `lead_time.when`): a small
//! hand-written parser, a type checker against the form schema (with exact columns), and an
//! evaluator that never panics. Hand-written because we need both static types over the form and
//! positions inside the YAML, which general expression crates do not give.

use crate::diag::{Diagnostic, Pos};
use crate::model::{FieldType, FormField};
use crate::org::SubmitterInfo;
use chrono::NaiveDate;

/// The longest expression accepted, in characters (`expr_too_long`). The longest condition in the
/// built-in definitions has under 100; 1,000 leaves room for any real one and keeps a hostile one
/// cheap to read.
pub const MAX_LEN: usize = 1_000;

/// The most nodes (values, field paths, operators, calls) an expression may have
/// (`expr_too_long`).
pub const MAX_NODES: usize = 256;

/// The deepest nesting accepted (`expr_too_deep`): each parenthesis, `not`, list, call and
/// comparison counts one level; a chain of the same `and`/`or` counts one level in all. Every walk
/// over the tree (type checker, [`Expr::field_refs`], the evaluator, `Drop`) recurses once per
/// level, so this bound is what keeps them inside the stack whatever the input.
pub const MAX_DEPTH: usize = 32;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The source text.
    pub source: String,
    /// Where its first character is in the YAML.
    pub pos: Pos,
    ast: Node,
}

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent.
    Null,
    /// true / false.
    Bool(bool),
    /// A number.
    Num(f64),
    /// Text.
    Str(String),
    /// A date.
    Date(NaiveDate),
    /// A list.
    List(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    at: usize,
    /// Levels of the tree below and including this node (a leaf is 1); at most [`MAX_DEPTH`].
    depth: usize,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Lit(Value),
    Path(String),
    List(Vec<Node>),
    Not(Box<Node>),
    Bin(Op, Box<Node>, Box<Node>),
    /// A chain of one `and`/`or`, two or more operands, read left to right with short-circuit.
    Logic(Op, Vec<Node>),
    Call(String, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(Op),
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, (usize, String)> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let tok = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != c {
                    s.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err((start, "this text has no closing quote".into()));
                }
                Tok::Str(s)
            }
            _ if two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "&&" || two == "||" => {
                i += 1;
                Tok::Op(match two.as_str() {
                    "==" => Op::Eq,
                    "!=" => Op::Ne,
                    "<=" => Op::Le,
                    ">=" => Op::Ge,
                    "&&" => Op::And,
                    _ => Op::Or,
                })
            }
            '<' => Tok::Op(Op::Lt),
            '>' => Tok::Op(Op::Gt),
            '!' => Tok::Not,
            _ if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                i = j - 1;
                Tok::Num(text.parse().map_err(|_| (start, format!("`{text}` is not a number")))?)
            }
            _ if c.is_alphabetic() || c == '_' => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                i = j - 1;
                match word.as_str() {
                    "and" => Tok::Op(Op::And),
                    "or" => Tok::Op(Op::Or),
                    "not" => Tok::Not,
                    "in" => Tok::Op(Op::In),
                    "contains" => Tok::Op(Op::Contains),
                    _ => Tok::Ident(word),
                }
            }
            '=' => return Err((start, "use `==` to compare".into())),
            other => return Err((start, format!("unexpected character `{other}`"))),
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
    /// How many openings (`(`, `[`, `not`, a call, an operand) the parser is inside now.
    open: usize,
    /// Nodes made so far.
    nodes: usize,
}

/// An error from the parser: a character offset, a stable code and a message.
type PErr = (usize, &'static str, String);

fn syntax(at: usize, msg: impl Into<String>) -> PErr {
    (at, "expr_syntax", msg.into())
}

fn too_deep(at: usize) -> PErr {
    (
        at,
        "expr_too_deep",
        format!(
            "the expression is nested more than {MAX_DEPTH} levels deep (parentheses, `not`, lists and comparisons each count one): write it flatter"
        ),
    )
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.1)
    }
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.0)
    }
    fn bump(&mut self) -> Option<(usize, Tok)> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), PErr> {
        if self.peek() == Some(tok) {
            self.i += 1;
            Ok(())
        } else {
            Err(syntax(self.at(), format!("expected {what}")))
        }
    }
    /// Steps one level into the input before recursing: the parser's own recursion is bounded.
    /// `at` is the opening's offset, where a too-deep error points.
    fn enter(&mut self, at: usize) -> Result<(), PErr> {
        self.open += 1;
        if self.open > MAX_DEPTH { Err(too_deep(at)) } else { Ok(()) }
    }
    fn leave(&mut self) {
        self.open -= 1;
    }
    /// Makes a node, refusing one that would make the tree deeper than [`MAX_DEPTH`] or larger
    /// than [`MAX_NODES`].
    fn node(&mut self, at: usize, kind: Kind) -> Result<Node, PErr> {
        let below = match &kind {
            Kind::Lit(_) | Kind::Path(_) => 0,
            Kind::Not(e) => e.depth,
            Kind::Bin(_, l, r) => l.depth.max(r.depth),
            Kind::List(items) | Kind::Call(_, items) | Kind::Logic(_, items) => {
                items.iter().map(|n| n.depth).max().unwrap_or(0)
            }
        };
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err((
                at,
                "expr_too_long",
                format!("the expression has more than {MAX_NODES} parts: split the condition or use `in [...]`"),
            ));
        }
        if below + 1 > MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok(Node { at, depth: below + 1, kind })
    }
    fn expr(&mut self, min: u8) -> Result<Node, PErr> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            let prec = match op {
                Op::Or => 1,
                Op::And => 2,
                _ => 3,
            };
            if prec < min {
                break;
            }
            let at = self.at();
            self.i += 1;
            self.enter(at)?;
            let rhs = self.expr(prec + 1)?;
            self.leave();
            lhs = match (op, lhs) {
                // `a or b or c` is one node with three operands, so a long flat chain is not deep.
                (Op::And | Op::Or, Node { kind: Kind::Logic(o, mut items), at: first, .. }) if o == op => {
                    items.push(rhs);
                    self.nodes -= 1; // the chain's node is remade, not added
                    self.node(first, Kind::Logic(op, items))?
                }
                (Op::And | Op::Or, lhs) => self.node(at, Kind::Logic(op, vec![lhs, rhs]))?,
                (_, lhs) => self.node(at, Kind::Bin(op, Box::new(lhs), Box::new(rhs)))?,
            };
        }
        Ok(lhs)
    }
    fn unary(&mut self) -> Result<Node, PErr> {
        if self.peek() == Some(&Tok::Not) {
            let at = self.at();
            self.i += 1;
            self.enter(at)?;
            let e = self.unary()?;
            self.leave();
            return self.node(at, Kind::Not(Box::new(e)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Node, PErr> {
        let at = self.at();
        let Some((_, tok)) = self.bump() else {
            return Err(syntax(at, "the expression ends too early"));
        };
        let kind = match tok {
            Tok::Str(s) => Kind::Lit(Value::Str(s)),
            Tok::Num(n) => Kind::Lit(Value::Num(n)),
            Tok::LParen => {
                self.enter(at)?;
                let e = self.expr(0)?;
                self.leave();
                self.expect(&Tok::RParen, "`)`")?;
                return Ok(e);
            }
            Tok::LBracket => {
                self.enter(at)?;
                let mut items = Vec::new();
                if self.peek() != Some(&Tok::RBracket) {
                    loop {
                        items.push(self.expr(0)?);
                        if self.peek() == Some(&Tok::Comma) {
                            self.i += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.leave();
                self.expect(&Tok::RBracket, "`]` to close the list")?;
                Kind::List(items)
            }
            Tok::Ident(w) => match w.as_str() {
                "true" => Kind::Lit(Value::Bool(true)),
                "false" => Kind::Lit(Value::Bool(false)),
                "null" => Kind::Lit(Value::Null),
                "date" | "len" if self.peek() == Some(&Tok::LParen) => {
                    self.i += 1;
                    self.enter(at)?;
                    let arg = self.expr(0)?;
                    self.leave();
                    self.expect(&Tok::RParen, "`)`")?;
                    Kind::Call(w, vec![arg])
                }
                _ if w.starts_with("form.") || w.starts_with("submitter.") => Kind::Path(w),
                _ => {
                    return Err(syntax(
                        at,
                        format!(
                            "`{w}` is not known here: write form.<field>, submitter.<attribute>, a 'text', a number, true or false"
                        ),
                    ));
                }
            },
            other => return Err(syntax(at, format!("unexpected {}", describe(&other)))),
        };
        self.node(at, kind)
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Op(_) => "operator".into(),
        Tok::RParen => "`)`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Comma => "`,`".into(),
        other => format!("{other:?}"),
    }
}

/// Static types of the checker.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Bool,
    Num,
    Str(Option<Vec<String>>),
    Date,
    /// A moment (RFC 3339 with an offset): compared as an instant, never as text.
    DateTime,
    List(Box<Ty>),
    Null,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Bool => "true/false".into(),
            Ty::Num => "a number".into(),
            Ty::Str(_) => "text".into(),
            Ty::Date => "a date".into(),
            Ty::DateTime => "a date-time".into(),
            Ty::List(t) => format!("a list of {}", t.name()),
            Ty::Null => "null".into(),
        }
    }
    fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Null, _) | (_, Ty::Null) => true,
            (Ty::Str(_), Ty::Str(_)) => true,
            (Ty::List(a), Ty::List(b)) => a.compatible(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

fn field_ty(t: &FieldType) -> Ty {
    let multi = |m: bool, t: Ty| if m { Ty::List(Box::new(t)) } else { t };
    match t {
        FieldType::Text { .. } | FieldType::Longtext { .. } | FieldType::Request => Ty::Str(None),
        FieldType::Datetime => Ty::DateTime,
        FieldType::Integer { .. } | FieldType::Number { .. } => Ty::Num,
        FieldType::Bool => Ty::Bool,
        FieldType::Date => Ty::Date,
        FieldType::Enum { of, multi: m, .. } => multi(*m, Ty::Str(Some(of.clone()))),
        FieldType::Department { multi: m }
        | FieldType::Class { multi: m }
        | FieldType::Person { multi: m }
        | FieldType::Office { multi: m } => multi(*m, Ty::Str(None)),
        FieldType::Table { .. } => Ty::List(Box::new(Ty::Null)),
    }
}

impl Expr {
    /// Parses `source`, which starts at `pos` in the YAML.
    ///
    /// Errors, at the offending character's `line:col`: `expr_syntax`; `expr_too_long` for more
    /// than [`MAX_LEN`] characters (at the expression's start) or more than [`MAX_NODES`] parts;
    /// `expr_too_deep` for nesting deeper than [`MAX_DEPTH`]. These bounds hold for every
    /// expression this returns, so walking it cannot exhaust the stack.
    pub fn parse(source: &str, pos: Pos) -> Result<Expr, Diagnostic> {
        let at = |off: usize| Pos::new(pos.line, pos.col.saturating_add(u32::try_from(off).unwrap_or(u32::MAX)));
        let end = source.chars().count();
        if end > MAX_LEN {
            return Err(Diagnostic::error(
                "expr_too_long",
                pos,
                format!("the expression has {end} characters; at most {MAX_LEN} are allowed"),
            ));
        }
        let toks = lex(source).map_err(|(o, m)| Diagnostic::error("expr_syntax", at(o), m))?;
        if toks.is_empty() {
            return Err(Diagnostic::error("expr_syntax", pos, "the expression is empty"));
        }
        let mut p = Parser { toks, i: 0, end, open: 0, nodes: 0 };
        let ast = p.expr(0).map_err(|(o, code, m)| Diagnostic::error(code, at(o), m))?;
        if p.i < p.toks.len() {
            return Err(Diagnostic::error(
                "expr_syntax",
                at(p.at()),
                "unexpected text after the end of the expression",
            ));
        }
        Ok(Expr { source: source.to_string(), pos, ast })
    }

    /// Type-checks against the form: unknown fields and mismatched types, at their exact columns.
    /// The whole expression must be true/false.
    pub fn check(&self, form: &[FormField]) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if let Some(t) = self.ty(&self.ast, form, &mut out)
            && t != Ty::Bool
        {
            out.push(self.diag(
                "type_mismatch",
                &self.ast,
                format!("a condition must be true or false, but this is {}", t.name()),
            ));
        }
        out
    }

    fn diag(&self, code: &'static str, n: &Node, msg: String) -> Diagnostic {
        Diagnostic::error(code, Pos::new(self.pos.line, self.pos.col + n.at as u32), msg)
    }

    fn ty(&self, n: &Node, form: &[FormField], out: &mut Vec<Diagnostic>) -> Option<Ty> {
        match &n.kind {
            Kind::Lit(Value::Str(_)) => Some(Ty::Str(None)),
            Kind::Lit(Value::Num(_)) => Some(Ty::Num),
            Kind::Lit(Value::Bool(_)) => Some(Ty::Bool),
            Kind::Lit(_) => Some(Ty::Null),
            Kind::Path(p) => {
                if let Some(name) = p.strip_prefix("form.") {
                    match form.iter().find(|f| f.name == name) {
                        Some(f) => Some(field_ty(&f.ty)),
                        None => {
                            let names: Vec<&str> = form.iter().map(|f| f.name.as_str()).collect();
                            out.push(self.diag(
                                "unknown_field",
                                n,
                                format!("the form has no field `{name}` (fields: {})", names.join(", ")),
                            ));
                            None
                        }
                    }
                } else {
                    match p.strip_prefix("submitter.").unwrap_or_default() {
                        "id" | "department" | "class" | "level" => Some(Ty::Str(None)),
                        "roles" => Some(Ty::List(Box::new(Ty::Str(None)))),
                        "is_class_cadre" | "from_department_su" => Some(Ty::Bool),
                        other => {
                            out.push(self.diag("unknown_field", n, format!("the submitter has no attribute `{other}` (id, department, class, level, roles, is_class_cadre, from_department_su)")));
                            None
                        }
                    }
                }
            }
            Kind::List(items) => {
                let tys: Vec<Option<Ty>> = items.iter().map(|i| self.ty(i, form, out)).collect();
                let first = tys.iter().flatten().next().cloned().unwrap_or(Ty::Null);
                for (i, t) in items.iter().zip(&tys) {
                    if let Some(t) = t
                        && !t.compatible(&first)
                    {
                        out.push(self.diag(
                            "type_mismatch",
                            i,
                            format!("a list must hold values of one type: {} among {}", t.name(), first.name()),
                        ));
                    }
                }
                Some(Ty::List(Box::new(first)))
            }
            Kind::Not(e) => {
                let t = self.ty(e, form, out)?;
                if t != Ty::Bool {
                    out.push(self.diag("type_mismatch", e, format!("`not` needs true/false, found {}", t.name())));
                }
                Some(Ty::Bool)
            }
            Kind::Call(f, args) => {
                let t = self.ty(&args[0], form, out);
                match f.as_str() {
                    "date" => {
                        match &args[0].kind {
                            Kind::Lit(Value::Str(s)) if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {}
                            _ => out.push(self.diag(
                                "type_mismatch",
                                &args[0],
                                "date() needs a date in quotes, e.g. date('2025-10-01')".into(),
                            )),
                        }
                        Some(Ty::Date)
                    }
                    _ => {
                        if let Some(t) = t
                            && !matches!(t, Ty::List(_) | Ty::Str(_))
                        {
                            out.push(self.diag(
                                "type_mismatch",
                                &args[0],
                                format!("len() needs a list or text, found {}", t.name()),
                            ));
                        }
                        Some(Ty::Num)
                    }
                }
            }
            Kind::Logic(_, items) => {
                for i in items {
                    if let Some(t) = self.ty(i, form, out)
                        && t != Ty::Bool
                    {
                        out.push(self.diag(
                            "type_mismatch",
                            i,
                            format!("`and`/`or` need true/false on both sides, found {}", t.name()),
                        ));
                    }
                }
                Some(Ty::Bool)
            }
            Kind::Bin(op, l, r) => {
                let (lt, rt) = (self.ty(l, form, out), self.ty(r, form, out));
                let (Some(lt), Some(rt)) = (lt, rt) else { return Some(Ty::Bool) };
                match op {
                    Op::And | Op::Or => {
                        for (t, side) in [(&lt, l), (&rt, r)] {
                            if *t != Ty::Bool {
                                out.push(self.diag(
                                    "type_mismatch",
                                    side,
                                    format!("`and`/`or` need true/false on both sides, found {}", t.name()),
                                ));
                            }
                        }
                    }
                    Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge if lt == Ty::DateTime || rt == Ty::DateTime => {
                        self.check_moments(&lt, l, &rt, r, out);
                    }
                    Op::Eq | Op::Ne => {
                        if !lt.compatible(&rt) {
                            out.push(self.diag(
                                "type_mismatch",
                                r,
                                format!("cannot compare {} with {}", lt.name(), rt.name()),
                            ));
                        } else {
                            self.check_enum(&lt, r, out);
                            self.check_enum(&rt, l, out);
                        }
                    }
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                        let ordered =
                            matches!((&lt, &rt), (Ty::Num, Ty::Num) | (Ty::Date, Ty::Date) | (Ty::Str(_), Ty::Str(_)));
                        if !ordered {
                            out.push(self.diag(
                                "type_mismatch",
                                r,
                                format!("cannot order {} against {}", lt.name(), rt.name()),
                            ));
                        }
                    }
                    Op::In => match &rt {
                        Ty::List(inner) => {
                            if !lt.compatible(inner) {
                                out.push(self.diag(
                                    "type_mismatch",
                                    l,
                                    format!("{} cannot be in {}", lt.name(), rt.name()),
                                ));
                            } else if let Kind::List(items) = &r.kind {
                                for i in items {
                                    self.check_enum(&lt, i, out);
                                }
                            }
                        }
                        Ty::Str(_) if matches!(lt, Ty::Str(_)) => {}
                        _ => out.push(self.diag(
                            "type_mismatch",
                            r,
                            format!("`in` needs a list on its right, found {}", rt.name()),
                        )),
                    },
                    Op::Contains => match &lt {
                        Ty::List(inner) if inner.compatible(&rt) => self.check_enum(inner, r, out),
                        Ty::Str(_) if matches!(rt, Ty::Str(_)) => {}
                        _ => out.push(self.diag(
                            "type_mismatch",
                            r,
                            format!("{} cannot contain {}", lt.name(), rt.name()),
                        )),
                    },
                }
                Some(Ty::Bool)
            }
        }
    }

    /// A comparison with a date-time on one side: the other side must be a date-time too (a
    /// field, or a text literal in RFC 3339 with an offset, e.g. '2026-10-01T16:30:00+08:00').
    /// A date against a date-time is refused: a day is not a moment (which zone's midnight?).
    fn check_moments(&self, lt: &Ty, l: &Node, rt: &Ty, r: &Node, out: &mut Vec<Diagnostic>) {
        for (t, n, other) in [(lt, l, rt), (rt, r, lt)] {
            let ok = match t {
                Ty::DateTime | Ty::Null => true,
                Ty::Str(_) => match &n.kind {
                    Kind::Lit(Value::Str(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                    _ => false,
                },
                _ => false,
            };
            if ok {
                continue;
            }
            let msg = match (t, &n.kind) {
                (Ty::Str(_), Kind::Lit(Value::Str(s))) => format!(
                    "'{s}' is not a date-time: write the moment in RFC 3339 with its offset, e.g. '2026-10-01T16:30:00+08:00'"
                ),
                (Ty::Date, _) => "cannot compare a date with a date-time: a day is not a moment; compare with a date-time such as '2026-10-01T00:00:00+08:00'".to_string(),
                _ => format!("cannot compare {} with {}", other.name(), t.name()),
            };
            out.push(self.diag("type_mismatch", n, msg));
            return;
        }
    }

    /// An enum field compared with a text literal that is not one of its values.
    fn check_enum(&self, field: &Ty, other: &Node, out: &mut Vec<Diagnostic>) {
        if let (Ty::Str(Some(of)), Kind::Lit(Value::Str(s))) = (field, &other.kind)
            && !of.contains(s)
        {
            out.push(self.diag(
                "type_mismatch",
                other,
                format!("'{s}' is not one of the field's values: {}", of.join(", ")),
            ));
        }
    }

    /// The form fields the expression reads.
    pub fn field_refs(&self) -> Vec<String> {
        fn walk(n: &Node, out: &mut Vec<String>) {
            match &n.kind {
                Kind::Path(p) => {
                    if let Some(f) = p.strip_prefix("form.") {
                        out.push(f.to_string());
                    }
                }
                Kind::List(items) | Kind::Call(_, items) | Kind::Logic(_, items) => {
                    items.iter().for_each(|i| walk(i, out))
                }
                Kind::Not(e) => walk(e, out),
                Kind::Bin(_, l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Kind::Lit(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.ast, &mut out);
        out
    }

    /// Evaluates to a value (missing fields are null).
    pub fn eval(&self, form: &serde_json::Map<String, serde_json::Value>, submitter: &SubmitterInfo) -> Value {
        eval(&self.ast, form, submitter)
    }

    /// Evaluates as a condition: anything but `true` is false.
    pub fn eval_bool(&self, form: &serde_json::Map<String, serde_json::Value>, submitter: &SubmitterInfo) -> bool {
        self.eval(form, submitter) == Value::Bool(true)
    }
}

fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Value::Null, Value::Num),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(from_json).collect()),
        serde_json::Value::Object(_) => Value::Null,
    }
}

fn eval(n: &Node, form: &serde_json::Map<String, serde_json::Value>, s: &SubmitterInfo) -> Value {
    let text = |o: &Option<String>| o.clone().map_or(Value::Null, Value::Str);
    match &n.kind {
        Kind::Lit(v) => v.clone(),
        Kind::Path(p) => match p.strip_prefix("form.") {
            Some(f) => form.get(f).map_or(Value::Null, from_json),
            None => match p.strip_prefix("submitter.").unwrap_or_default() {
                "id" => Value::Str(s.id.clone()),
                "department" => text(&s.department),
                "class" => text(&s.class),
                "level" => s.level.map_or(Value::Null, |l| Value::Str(l.as_str().into())),
                "roles" => Value::List(s.roles.iter().map(|r| Value::Str(r.as_str().into())).collect()),
                "is_class_cadre" => Value::Bool(s.is_class_cadre),
                "from_department_su" => Value::Bool(s.from_department_su),
                _ => Value::Null,
            },
        },
        Kind::List(items) => Value::List(items.iter().map(|i| eval(i, form, s)).collect()),
        Kind::Not(e) => match eval(e, form, s) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        Kind::Call(f, args) => {
            let v = eval(&args[0], form, s);
            match (f.as_str(), v) {
                ("date", Value::Str(t)) => date_of(&t).map_or(Value::Null, Value::Date),
                ("len", Value::List(l)) => Value::Num(l.len() as f64),
                ("len", Value::Str(t)) => Value::Num(t.chars().count() as f64),
                _ => Value::Null,
            }
        }
        Kind::Logic(Op::And, items) => Value::Bool(items.iter().all(|i| eval(i, form, s) == Value::Bool(true))),
        Kind::Logic(_, items) => Value::Bool(items.iter().any(|i| eval(i, form, s) == Value::Bool(true))),
        Kind::Bin(op, l, r) => {
            let a = eval(l, form, s);
            if *op == Op::And && a != Value::Bool(true) {
                return Value::Bool(false);
            }
            if *op == Op::Or && a == Value::Bool(true) {
                return Value::Bool(true);
            }
            let b = eval(r, form, s);
            Value::Bool(match op {
                Op::And | Op::Or => b == Value::Bool(true),
                Op::Eq => same(&a, &b),
                Op::Ne => !same(&a, &b),
                Op::Lt | Op::Le | Op::Gt | Op::Ge => match order(&a, &b) {
                    None => false,
                    Some(o) => match op {
                        Op::Lt => o.is_lt(),
                        Op::Le => o.is_le(),
                        Op::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    },
                },
                Op::In => match (&a, &b) {
                    (_, Value::List(l)) => match &a {
                        Value::List(xs) => xs.iter().any(|x| l.iter().any(|y| same(x, y))),
                        _ => l.iter().any(|y| same(&a, y)),
                    },
                    (Value::Str(x), Value::Str(y)) => y.contains(x.as_str()),
                    _ => false,
                },
                Op::Contains => match (&a, &b) {
                    (Value::List(l), _) => l.iter().any(|y| same(&b, y)),
                    (Value::Str(x), Value::Str(y)) => x.contains(y.as_str()),
                    _ => false,
                },
            })
        }
    }
}

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

/// Both sides as moments, when both are RFC 3339 date-times (`2026-10-01T16:30:00Z` and
/// `2026-10-02T00:30:00+08:00` are the same instant).
fn moments(a: &Value, b: &Value) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => {
            let x = chrono::DateTime::parse_from_rfc3339(x).ok()?;
            let y = chrono::DateTime::parse_from_rfc3339(y).ok()?;
            Some((x.to_utc(), y.to_utc()))
        }
        _ => None,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    if let Some((x, y)) = moments(a, b) {
        return x == y;
    }
    match (a, b) {
        (Value::Str(s), Value::Date(d)) | (Value::Date(d), Value::Str(s)) => date_of(s) == Some(*d),
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    if let Some((x, y)) = moments(a, b) {
        return Some(x.cmp(&y));
    }
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Date(y)) => date_of(x).map(|x| x.cmp(y)),
        (Value::Date(x), Value::Str(y)) => date_of(y).map(|y| x.cmp(&y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
