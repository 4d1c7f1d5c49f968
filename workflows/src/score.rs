//! Score sheets (`score:` steps, M10 述职评议 and the annual assessment): checking one sheet and
//! aggregating the sheets of a panel. Pure functions; the engine calls them.
//!
//! A sheet gives every criterion of the step a number from 0 to its `max`. The result is the
//! mean of the sheets per criterion and the weighted total on a 0–100 scale:
//! `total = Σ weight × mean / max` (weights sum to 100), rounded to two decimals; the step passes
//! when `total ≥ pass`. A recused member has no sheet, so never counts.

use crate::form::FieldError;
use crate::model::{Recusal, ScoreSpec};
use crate::org::PersonId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One score per criterion key.
pub type Sheet = BTreeMap<String, f64>;

/// The aggregated result of a score step, on its `Scored` event and the request's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResult {
    /// The step that scored.
    pub step: String,
    /// How many sheets count.
    pub sheets: u32,
    /// How many panel members had a sheet (recused members excluded).
    pub panel: u32,
    /// The mean score per criterion (0..max), two decimals.
    pub means: BTreeMap<String, f64>,
    /// The weighted total (0–100), two decimals.
    pub total: f64,
    /// The total that passes.
    pub pass: f64,
    /// `total ≥ pass` (and at least one sheet).
    pub satisfactory: bool,
    /// The scoring was closed by its escalation rung before every member scored.
    #[serde(default)]
    pub closed_early: bool,
}

/// A panel member who sits out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recused {
    /// The member.
    pub person: PersonId,
    /// Why.
    pub reason: Recusal,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Checks a sheet against the step's criteria: every criterion given, a number from 0 to its
/// `max`, no other key. Errors name the criterion (`scores.<key>`).
pub fn check_sheet(
    spec: &ScoreSpec,
    scores: &serde_json::Map<String, serde_json::Value>,
) -> Result<Sheet, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut sheet = Sheet::new();
    for c in &spec.criteria {
        let key = &c.key.value;
        let field = format!("scores.{key}");
        match scores.get(key) {
            None | Some(serde_json::Value::Null) => errors.push(FieldError {
                field,
                code: "required",
                message: format!(
                    "请为「{}」评分（0–{}）。Score {} (0–{}).",
                    c.label.zh, c.max.value, c.label.en, c.max.value
                ),
            }),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() && (0.0..=f64::from(c.max.value)).contains(&x) => {
                    sheet.insert(key.clone(), x);
                }
                _ => errors.push(FieldError {
                    field,
                    code: "out_of_range",
                    message: format!(
                        "「{}」的评分须为 0 至 {} 的数。The score of {} is a number from 0 to {}, not {v}.",
                        c.label.zh, c.max.value, c.label.en, c.max.value
                    ),
                }),
            },
        }
    }
    for k in scores.keys().filter(|k| !spec.criteria.iter().any(|c| c.key.value == **k)) {
        let keys: Vec<&str> = spec.criteria.iter().map(|c| c.key.value.as_str()).collect();
        errors.push(FieldError {
            field: format!("scores.{k}"),
            code: "unknown_criterion",
            message: format!("`{k}` is not a criterion of this step (criteria: {})", keys.join(", ")),
        });
    }
    if errors.is_empty() { Ok(sheet) } else { Err(errors) }
}

/// Aggregates the sheets of step `step` whose panel had `panel` members with a sheet.
pub fn aggregate(spec: &ScoreSpec, step: &str, panel: u32, sheets: &[&Sheet], closed_early: bool) -> ScoreResult {
    let n = sheets.len() as f64;
    let mut means = BTreeMap::new();
    let mut total = 0.0;
    for c in &spec.criteria {
        let key = &c.key.value;
        let mean = if sheets.is_empty() { 0.0 } else { sheets.iter().filter_map(|s| s.get(key)).sum::<f64>() / n };
        total += f64::from(c.weight.value) * mean / f64::from(c.max.value.max(1));
        means.insert(key.clone(), round2(mean));
    }
    let total = round2(total);
    ScoreResult {
        step: step.to_string(),
        sheets: sheets.len() as u32,
        panel,
        means,
        total,
        pass: spec.pass.value,
        satisfactory: !sheets.is_empty() && total >= spec.pass.value,
        closed_early,
    }
}

/// A sheet giving every criterion of step `step` of `def` its max (`full`) or 0, as a decision's
/// `scores` (what the simulator and the tests fill in); empty when the step does not score.
pub fn uniform_sheet(
    def: &crate::model::Definition,
    step: &str,
    full: bool,
) -> serde_json::Map<String, serde_json::Value> {
    match def.step(step).map(|s| &s.kind) {
        Some(crate::model::StepKind::Score(spec)) => spec
            .criteria
            .iter()
            .map(|c| (c.key.value.clone(), serde_json::json!(if full { c.max.value } else { 0 })))
            .collect(),
        _ => serde_json::Map::new(),
    }
}

/// Whether the sheets present may close the scoring at its escalation rung: at least half the
/// panel scored.
pub fn enough_to_close(sheets: u32, panel: u32) -> bool {
    sheets > 0 && sheets * 2 >= panel
}

/// The make-up of a review panel (M10 评议会): its members and how many of them are class
/// representatives, on a day. People count once, whatever posts they hold in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelCount {
    /// The panel's body id (`review_panel`, `review_panel@cs`).
    pub body: String,
    /// Its members.
    pub members: u32,
    /// Those holding a class representative post in it.
    pub class_reps: u32,
}

impl PanelCount {
    /// Counts the panel `body` on `day`.
    pub fn of(dir: &dyn crate::org::Directory, body: &str, day: chrono::NaiveDate) -> PanelCount {
        use std::collections::BTreeSet;
        let posts = dir.holders(body, &[], day);
        let members: BTreeSet<&str> = posts.iter().map(|p| p.person.as_str()).collect();
        let reps: BTreeSet<&str> = posts
            .iter()
            .filter(|p| p.role == crate::catalog::Role::ClassRepresentative)
            .map(|p| p.person.as_str())
            .collect();
        PanelCount { body: body.to_string(), members: members.len() as u32, class_reps: reps.len() as u32 }
    }

    /// Whether class representatives are strictly more than `share` of the members (the policy's
    /// 以各班级学生代表为主: more than half by default).
    pub fn has_majority(&self, share: f64) -> bool {
        f64::from(self.class_reps) > share * f64::from(self.members)
    }

    /// What is wrong, in both languages: 评议会 7 人中班级代表 3 人，须超过半数.
    pub fn shortfall(&self, share: f64) -> crate::catalog::Label {
        let part = if (share - 0.5).abs() < f64::EPSILON {
            ("半数".to_string(), "half".to_string())
        } else {
            (format!("{}%", share * 100.0), format!("{}%", share * 100.0))
        };
        crate::catalog::Label::new(
            format!("评议会 {} 人中班级代表 {} 人，须超过{}", self.members, self.class_reps, part.0),
            format!(
                "the review panel has {} class representatives among {} members; more than {} must be",
                self.class_reps, self.members, part.1
            ),
        )
    }
}

/// The review panels (`review_panel` bodies) the `score:` steps of `def` would ask for a request
/// of `submitter` on `day`, counted: what a duty review checks before it is submitted.
pub fn panels_asked(
    def: &crate::model::Definition,
    dir: &dyn crate::org::Directory,
    submitter: &crate::org::SubmitterInfo,
    form: &serde_json::Map<String, serde_json::Value>,
    day: chrono::NaiveDate,
) -> Vec<PanelCount> {
    let ctx = crate::org::resolve::ResolveCtx { submitter, form, day };
    let mut bodies: Vec<String> = Vec::new();
    for step in &def.steps {
        let crate::model::StepKind::Score(spec) = &step.kind else { continue };
        for (_, post) in crate::org::resolve::resolve_all_seats(&spec.task.who, &ctx, dir) {
            let Some(post) = post else { continue };
            let panel = post.body.split('@').next() == Some(crate::catalog::BodyKind::ReviewPanel.as_str());
            if panel && !bodies.contains(&post.body) {
                bodies.push(post.body);
            }
        }
    }
    bodies.iter().map(|b| PanelCount::of(dir, b, day)).collect()
}
