//! `guards:`: compliance findings that block a submission (see [`crate::guard`]).
//!
//! ```yaml
//! guards:
//!   - findings: [m3_term_transition_missing]
//!     severity: block            # optional: only findings at least this severe
//!     subjects: [department]     # optional: only findings about these kinds of subject
//!     message: { zh: …, en: … }  # optional
//!     override: { who: { body: school_league_committee, roles: [secretary, deputy_secretary] } }
//! ```

use super::Reader;
use crate::compliance::CODES;
use crate::guard::{Guard, GuardOverride, SEVERITIES, SUBJECT_KINDS};
use crate::model::Spanned;
use crate::yaml;
use marked_yaml::Node;

/// Keys of a `guards:` item.
pub const GUARD_KEYS: &[&str] = &["findings", "severity", "subjects", "message", "override"];
/// Keys of a guard's `override:`.
pub const GUARD_OVERRIDE_KEYS: &[&str] = &["who"];

impl Reader<'_> {
    /// `guards:`: a list of guards (a single guard counts as a list of one).
    pub(crate) fn guards(&mut self, node: &Node) -> Vec<Guard> {
        yaml::items(node).into_iter().filter_map(|n| self.guard(n)).collect()
    }

    fn guard(&mut self, node: &Node) -> Option<Guard> {
        let mut m = self.map(node, "a guard")?;
        let pos = m.node.keys().next().map_or_else(|| m.pos(), |k| yaml::span_pos(k.span()));
        let findings: Vec<Spanned<String>> = match m.get("findings") {
            Some(n) => yaml::items(n).into_iter().filter_map(|i| self.finding_code(i)).collect(),
            None => {
                self.err(
                    "missing_key",
                    pos,
                    "a guard needs `findings:`: the compliance finding codes that block (e.g. m3_term_transition_missing)",
                );
                Vec::new()
            }
        };
        let severity = m.get("severity").and_then(|n| self.choice(n, "severity", SEVERITIES));
        let subjects = m
            .get("subjects")
            .map(|n| yaml::items(n).into_iter().filter_map(|i| self.choice(i, "subjects", SUBJECT_KINDS)).collect())
            .unwrap_or_default();
        let message = m.get("message").and_then(|n| self.label(n, "message"));
        let overriders = m.get("override").and_then(|n| self.guard_override(n));
        self.done(&m, GUARD_KEYS);
        if findings.is_empty() {
            return None;
        }
        Some(Guard { findings, severity, subjects, message, overriders, pos })
    }

    /// One finding code: one of [`CODES`], or `unknown_finding` naming them.
    fn finding_code(&mut self, n: &Node) -> Option<Spanned<String>> {
        let code = self.text(n, "findings")?;
        if CODES.iter().any(|(c, _, _)| *c == code) {
            return Some(Spanned::new(code, yaml::pos(n)));
        }
        let known: Vec<&str> = CODES.iter().map(|(c, _, _)| *c).collect();
        let hint = yaml::closest(&code, &known).map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
        self.err(
            "unknown_finding",
            yaml::pos(n),
            format!("`{code}` is not a compliance finding code; {hint}the codes are: {}", known.join(", ")),
        );
        None
    }

    /// `override: { who: [selectors] }`.
    fn guard_override(&mut self, node: &Node) -> Option<GuardOverride> {
        let mut m = self.map(node, "override")?;
        let pos = m.pos();
        let who = match m.get("who") {
            Some(n) => self.selectors(n, "who"),
            None => {
                self.err("missing_key", pos, "`override:` needs `who:`: the people who may override, as selectors");
                Vec::new()
            }
        };
        self.done(&m, GUARD_OVERRIDE_KEYS);
        (!who.is_empty()).then_some(GuardOverride { who, pos })
    }
}

#[cfg(test)]
mod tests {
    use crate::compliance::{Severity, SubjectKind};
    use crate::diag::Pos;
    use crate::model::SelectorKind;
    use crate::validate::check_source;

    const HEAD: &str = "key: congress\nversion: 1\nname: { zh: 召开学代会, en: Congress }\nstart: done\nsteps:\n  done: { end: approved }\n";

    fn diags(guards: &str) -> Vec<(&'static str, Pos, String)> {
        check_source(&format!("{HEAD}{guards}"))
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| (d.code, d.pos, d.message))
            .collect()
    }

    #[test]
    fn a_guard_reads_its_findings_filters_message_and_override() {
        let src = format!(
            "{HEAD}guards:\n  - findings: [m3_term_transition_missing, m4_untrained]\n    severity: error\n    subjects: [department, person]\n    message: {{ zh: 暂不能提交, en: Not yet }}\n    override: {{ who: {{ body: school_league_committee, roles: [secretary, deputy_secretary] }} }}\n"
        );
        let checked = check_source(&src);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        let def = checked.definition.unwrap();
        let [g] = def.guards.as_slice() else { panic!("{:?}", def.guards) };
        let codes: Vec<&str> = g.findings.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(codes, ["m3_term_transition_missing", "m4_untrained"]);
        assert_eq!(g.findings[1].pos, Pos::new(8, 44));
        assert_eq!(g.severity, Some(Severity::Error));
        assert_eq!(g.subjects, [SubjectKind::Department, SubjectKind::Person]);
        assert_eq!(g.message().zh, "暂不能提交");
        let who = &g.overriders.as_ref().unwrap().who;
        assert!(matches!(&who[0].kind, SelectorKind::Body { roles, .. } if roles.len() == 2));
        // a single guard and a single code read as lists of one
        let one = check_source(&format!("{HEAD}guards: {{ findings: m3_term_transition_missing }}\n"));
        let def = one.definition.unwrap();
        assert_eq!((def.guards.len(), def.guards[0].findings.len(), def.guards[0].overriders.is_none()), (1, 1, true));
    }

    #[test]
    fn an_unknown_finding_code_names_the_known_ones_at_its_line_and_column() {
        let d = diags("guards:\n  - findings: [m3_term_transition_mising, no_such_thing]\n");
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].0, d[0].1), ("unknown_finding", Pos::new(8, 16)));
        assert!(d[0].2.contains("did you mean `m3_term_transition_missing`?"), "{}", d[0].2);
        assert_eq!((d[1].0, d[1].1), ("unknown_finding", Pos::new(8, 43)));
        assert!(
            d[1].2.contains("m1_branch_b_missing") && d[1].2.contains("m9_federation_summary_missing"),
            "{}",
            d[1].2
        );
    }

    #[test]
    fn every_other_mistake_in_a_guard_is_reported_at_once_with_its_position() {
        let d = diags(
            "guards:\n  - severity: fatal\n    subjects: [faculty]\n    colour: red\n    override: { who: { body: school_league_comittee } }\n  - findings: [m4_untrained]\n    override: { roles: [secretary] }\n",
        );
        let got: Vec<(&str, Pos)> = d.iter().map(|(c, p, _)| (*c, *p)).collect();
        assert_eq!(
            got,
            [
                ("missing_key", Pos::new(8, 5)),
                ("bad_value", Pos::new(8, 15)),
                ("bad_value", Pos::new(9, 16)),
                ("unknown_key", Pos::new(10, 5)),
                ("unknown_body_kind", Pos::new(11, 30)),
                ("missing_key", Pos::new(13, 15)),
                ("unknown_key", Pos::new(13, 17)),
            ],
            "{d:?}"
        );
        assert!(d[0].2.contains("needs `findings:`"), "{}", d[0].2);
        assert!(d[1].2.contains("choose warning, error, block"), "{}", d[1].2);
    }

    #[test]
    fn an_override_selector_reading_a_missing_form_field_is_an_error() {
        let d = diags("guards:\n  - findings: [m4_untrained]\n    override: { who: { field: form.approver } }\n");
        assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), ["unknown_field"], "{d:?}");
    }
}
