//! Records written by a workflow's outcome (issue 11, requirement 1): the catalog of record
//! kinds a definition's `records:` may name, the typed [`Record`] the engine emits as
//! [`crate::engine::Effect::Record`] when a request ends, and [`apply_to_org`], what a record
//! changes in the org (posts and liaisons, which routing reads).
//!
//! The catalog ([`KINDS`]) lists each kind's fields with their [`ValueType`] and whether they are
//! required; `validate` checks a definition's `records:` against it (unknown kind, unknown or
//! missing field, type mismatch), and [`build`] turns the values read from the final form into a
//! typed record. Dates are calendar days (Asia/Shanghai, `YYYY-MM-DD`).

use super::{
    CoHost, DutyReviewResult, OnboardingDone, ReportingAdoption, Semester, Symposium, TermTransition, TrainingSession,
};
use crate::catalog::{BodyKind, Lang, Role};
use crate::org::{Directory, Liaison, Org, PersonId, Post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The type of a record field, and what a value source must give for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// One person id: a `person` field, or `submitter`.
    Person,
    /// People: a `person` field (single or `multi`).
    People,
    /// A department code: a `department` field, `submitter.department` or a literal.
    Department,
    /// A class code: a `class` field.
    Class,
    /// Class codes: a `class` field (single or `multi`).
    Classes,
    /// Department codes: a `department` field (single or `multi`), or `submitter.department`.
    Departments,
    /// A body id (`school_su`, `department_su@cs`): a literal, `{…}` placeholders allowed.
    Body,
    /// A role of the catalog: a literal role, an enum field whose every option is a role, or a
    /// `{ from, map }` whose every value is a role.
    Role,
    /// Text: a text, long text or enum field, or a literal.
    Text,
    /// A calendar day: a `date` or `datetime` field, or `today` (the day the request ends).
    Date,
    /// A whole number: an `integer` field.
    Integer,
    /// A score result: `score` (the request's latest `score:` step).
    Score,
    /// Liaisons: a `table` field with a required `person` column and a `department` and/or a
    /// `class` column (each row names a department SU or a class).
    Liaisons,
    /// A cohort: a `table` field with required `person` and `role` (an enum of roles) columns and
    /// an optional `division` column.
    Cohort,
}

impl ValueType {
    /// How the reference names it.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Person => "a person",
            ValueType::People => "people",
            ValueType::Department => "a department",
            ValueType::Class => "a class",
            ValueType::Classes => "classes",
            ValueType::Departments => "departments",
            ValueType::Body => "a body id",
            ValueType::Role => "a role",
            ValueType::Text => "text",
            ValueType::Date => "a date",
            ValueType::Integer => "a whole number",
            ValueType::Score => "a score result",
            ValueType::Liaisons => "a liaisons table (person, department | class)",
            ValueType::Cohort => "a cohort table (person, role, division?)",
        }
    }
}

/// One field of a record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindField {
    /// Its name in `fields:`.
    pub name: &'static str,
    /// Its type.
    pub ty: ValueType,
    /// Must be mapped, to a value that cannot be empty.
    pub required: bool,
}

/// A record kind of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kind {
    /// Its name in `kind:`.
    pub name: &'static str,
    /// zh-CN name.
    pub zh: &'static str,
    /// The measure of the policy it serves.
    pub measure: &'static str,
    /// Its fields.
    pub fields: &'static [KindField],
}

impl Kind {
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&KindField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

const fn f(name: &'static str, ty: ValueType, required: bool) -> KindField {
    KindField { name, ty, required }
}

/// Every record kind an outcome may write.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "appointment",
        zh: "任职",
        measure: "M3",
        fields: &[
            f("person", ValueType::Person, true),
            f("body", ValueType::Body, true),
            f("role", ValueType::Role, true),
            f("division", ValueType::Text, false),
            f("from", ValueType::Date, true),
            f("to", ValueType::Date, false),
        ],
    },
    Kind {
        name: "term_transition",
        zh: "换届",
        measure: "M3",
        fields: &[
            f("department", ValueType::Department, true),
            f("date", ValueType::Date, true),
            f("term", ValueType::Integer, false),
            f("cohort", ValueType::Cohort, false),
            f("to", ValueType::Date, false),
        ],
    },
    Kind {
        name: "liaison_assignment",
        zh: "联系安排",
        measure: "M2",
        fields: &[
            f("assigner", ValueType::Department, false),
            f("from", ValueType::Date, true),
            f("to", ValueType::Date, false),
            f("liaisons", ValueType::Liaisons, true),
        ],
    },
    Kind {
        name: "onboarding_done",
        zh: "入门教育完成",
        measure: "M4",
        fields: &[
            f("person", ValueType::Person, true),
            f("body", ValueType::Body, false),
            f("appointed", ValueType::Date, true),
            f("date", ValueType::Date, true),
        ],
    },
    Kind {
        name: "training_session",
        zh: "履职培训",
        measure: "M4",
        fields: &[
            f("organiser", ValueType::Body, true),
            f("date", ValueType::Date, true),
            f("topic", ValueType::Text, true),
            f("audience", ValueType::Text, false),
            f("attendees", ValueType::People, false),
        ],
    },
    Kind {
        name: "symposium",
        zh: "班级座谈交流会",
        measure: "M9",
        fields: &[
            f("department", ValueType::Department, true),
            f("date", ValueType::Date, true),
            f("classes", ValueType::Classes, false),
        ],
    },
    Kind {
        name: "co_host",
        zh: "共同主办",
        measure: "M6",
        fields: &[
            f("host", ValueType::Body, true),
            f("title", ValueType::Text, true),
            f("date", ValueType::Date, true),
            f("cohosts", ValueType::Departments, false),
            f("co_undertakers", ValueType::Classes, false),
        ],
    },
    Kind {
        name: "reporting_adoption",
        zh: "班级重大事项报告制度",
        measure: "M1",
        fields: &[f("class", ValueType::Class, true), f("date", ValueType::Date, true)],
    },
    Kind {
        name: "duty_review_result",
        zh: "述职评议结果",
        measure: "M10",
        fields: &[
            f("person", ValueType::Person, true),
            f("su", ValueType::Body, true),
            f("semester", ValueType::Text, true),
            f("date", ValueType::Date, true),
            f("result", ValueType::Score, true),
        ],
    },
];

/// The kind called `name`.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// An appointment (任职, M3): `person` holds `role` in `body` from `from` (to `to`, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// The new staff member.
    pub person: PersonId,
    /// The body (org body id, e.g. `department_su@cs`).
    pub body: String,
    /// The role.
    pub role: Role,
    /// The work division of a student union, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// The request whose outcome appoints (the post's [`Post::request`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// A liaison assignment (M2): the liaisons of `assigner` from `from` are these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiaisonAssignment {
    /// The department whose SU assigned them; `None`: the school SU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner: Option<String>,
    /// First day.
    pub from: NaiveDate,
    /// Last day, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// The liaisons (person → department or class).
    pub liaisons: Vec<Liaison>,
    /// The request whose outcome assigns them (each liaison's [`Liaison::request`]; the ended
    /// ones' [`Liaison::ended_by`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// What one outcome records. JSON: `{"kind": "appointment", …fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A post from a date.
    Appointment(Appointment),
    /// A department SU's term transition: the old cohort's posts in `department_su@<department>`
    /// end the day before `transition.date`; `cohort` (possibly empty: appointed later by
    /// appointment outcomes) takes office on it.
    TermTransition {
        /// The transition.
        transition: TermTransition,
        /// The new cohort, appointed in the same step.
        cohort: Vec<Appointment>,
    },
    /// The liaisons of one assigner, replaced.
    LiaisonAssignment(LiaisonAssignment),
    /// An onboarding education completed.
    OnboardingDone(OnboardingDone),
    /// A training session with its attendance.
    TrainingSession(TrainingSession),
    /// A class symposium.
    Symposium(Symposium),
    /// A class adopted the reporting system.
    ReportingAdoption(ReportingAdoption),
    /// An activity co-hosted by department SUs (M6).
    CoHost(CoHost),
    /// A semester duty review's result (M10).
    DutyReviewResult(DutyReviewResult),
}

impl Record {
    /// The kind's name in the catalog.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Appointment(_) => "appointment",
            Record::TermTransition { .. } => "term_transition",
            Record::LiaisonAssignment(_) => "liaison_assignment",
            Record::OnboardingDone(_) => "onboarding_done",
            Record::TrainingSession(_) => "training_session",
            Record::Symposium(_) => "symposium",
            Record::ReportingAdoption(_) => "reporting_adoption",
            Record::CoHost(_) => "co_host",
            Record::DutyReviewResult(_) => "duty_review_result",
        }
    }

    /// The appointments it makes (an appointment, or a term transition's cohort).
    pub fn appointments(&self) -> Vec<&Appointment> {
        match self {
            Record::Appointment(a) => vec![a],
            Record::TermTransition { cohort, .. } => cohort.iter().collect(),
            _ => vec![],
        }
    }

    /// One line for people (the simulator's transcript): people, bodies and departments by
    /// name, roles by label, days as people read them (2026年12月8日 / 8 Dec 2026).
    pub fn summary(&self, dir: &dyn Directory, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let person = |id: &str| dir.person(id).map_or(id.to_string(), |p| p.name.clone());
        let department = |code: &str| dir.department(code).map_or(code.to_string(), |d| d.name.get(lang).to_string());
        let body = |id: &str| body_name(dir, id, lang);
        let date = |d: NaiveDate| crate::calendar::format_date(d, lang);
        let appointment = |a: &Appointment| {
            if zh {
                format!("{} 任{}{}，自{}起", person(&a.person), body(&a.body), a.role.label().get(lang), date(a.from))
            } else {
                format!("{} {} of {} from {}", person(&a.person), a.role.label().get(lang), body(&a.body), date(a.from))
            }
        };
        match (self, zh) {
            (Record::Appointment(a), true) => format!("任职：{}", appointment(a)),
            (Record::Appointment(a), false) => format!("appointment: {}", appointment(a)),
            (Record::TermTransition { transition: t, cohort }, _) => {
                let list: Vec<String> = cohort.iter().map(appointment).collect();
                if zh {
                    format!("换届：{}学生会于{}换届；{}", department(&t.department), date(t.date), list.join("；"))
                } else {
                    format!(
                        "term transition: {} SU on {}; {}",
                        department(&t.department),
                        date(t.date),
                        list.join("; ")
                    )
                }
            }
            (Record::LiaisonAssignment(l), _) => {
                let list: Vec<String> = l
                    .liaisons
                    .iter()
                    .map(|x| {
                        let target = match (&x.department, &x.class) {
                            (Some(d), _) => department(d),
                            (None, Some(c)) => dir.class(c).map_or(c.clone(), |c| c.name.get(lang).to_string()),
                            (None, None) => String::new(),
                        };
                        format!("{}→{target}", person(&x.person))
                    })
                    .collect();
                let who = l
                    .assigner
                    .as_deref()
                    .map_or_else(|| if zh { "校学生会".to_string() } else { "school SU".to_string() }, department);
                if zh {
                    format!("联系安排：{who}自{}起 {}", date(l.from), list.join("、"))
                } else {
                    format!("liaisons of the {who} from {}: {}", date(l.from), list.join(", "))
                }
            }
            (Record::OnboardingDone(o), true) => {
                format!("入门教育完成：{}（{}任职），{}", person(&o.person), date(o.appointed), date(o.date))
            }
            (Record::OnboardingDone(o), false) => {
                format!("onboarding done: {} (appointed {}), {}", person(&o.person), date(o.appointed), date(o.date))
            }
            (Record::TrainingSession(t), true) => format!(
                "培训：{}于{}举办「{}」，{}人参加",
                body(&t.organiser),
                date(t.date),
                t.topic,
                t.attendees.len()
            ),
            (Record::TrainingSession(t), false) => format!(
                "training: {} on {}, \"{}\", {} attended",
                body(&t.organiser),
                date(t.date),
                t.topic,
                t.attendees.len()
            ),
            (Record::Symposium(s), true) => {
                format!(
                    "班级座谈交流会：{}于{}，{}个班级参加",
                    department(&s.department),
                    date(s.date),
                    s.classes.len()
                )
            }
            (Record::Symposium(s), false) => format!(
                "class symposium: {} on {}, {} classes",
                department(&s.department),
                date(s.date),
                s.classes.len()
            ),
            (Record::ReportingAdoption(r), true) => format!("重大事项报告制度：{}于{}建立", r.class, date(r.date)),
            (Record::ReportingAdoption(r), false) => {
                format!("reporting system: {} adopted on {}", r.class, date(r.date))
            }
            (Record::DutyReviewResult(d), true) => format!(
                "述职评议：{}（{}）{}，加权均分{}，{}份评分表，{}",
                person(&d.person),
                body(&d.su),
                d.semester,
                d.total,
                d.sheets,
                if d.satisfactory { "合格" } else { "不合格" }
            ),
            (Record::DutyReviewResult(d), false) => format!(
                "duty review: {} ({}) {}, weighted mean {}, {} sheets, {}",
                person(&d.person),
                body(&d.su),
                d.semester,
                d.total,
                d.sheets,
                if d.satisfactory { "satisfactory" } else { "unsatisfactory" }
            ),
            (Record::CoHost(c), true) => {
                let cohosts: Vec<String> = c.cohosts.iter().map(|d| format!("{}学生会", department(d))).collect();
                format!(
                    "共同主办：{}于{}举办「{}」，{}共同主办",
                    body(&c.host),
                    date(c.date),
                    c.title,
                    cohosts.join("、")
                )
            }
            (Record::CoHost(c), false) => {
                let cohosts: Vec<String> = c.cohosts.iter().map(|d| format!("{} SU", department(d))).collect();
                format!(
                    "co-hosted: \"{}\" by {} on {}, with {}",
                    c.title,
                    body(&c.host),
                    date(c.date),
                    cohosts.join(", ")
                )
            }
        }
    }
}

/// A body's name from its id (`school_su`, `department_su@cs`, `functional_office:library`);
/// the id itself when the org does not know it.
pub fn body_name(dir: &dyn Directory, id: &str, lang: Lang) -> String {
    use crate::org::Scope;
    let (kind, scope, code) = match (id.split_once('@'), id.split_once(':')) {
        (Some((k, s)), _) => {
            let scope = if dir.department(s).is_some() { Scope::Department(s.into()) } else { Scope::Class(s.into()) };
            (k, scope, None)
        }
        (None, Some((k, c))) => (k, Scope::School, Some(c)),
        (None, None) => (id, Scope::School, None),
    };
    BodyKind::parse(kind)
        .and_then(|k| dir.body(k, &scope, code))
        .map_or(id.to_string(), |b| b.name.get(lang).to_string())
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn date(v: Option<&Value>) -> Option<NaiveDate> {
    let s = text(v)?;
    match chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Some(t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()),
        Err(_) => NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok(),
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| text(Some(x))).collect(),
        other => text(other).into_iter().collect(),
    }
}

fn rows(v: Option<&Value>) -> Vec<&Map<String, Value>> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        _ => vec![],
    }
}

/// Builds the record of kind `kind` from `values` (record field → the value read from the final
/// form), for request `request`; `index` is the item's place in `records:` (ids are
/// `<request>:<index>`). Errors name the field that is missing or unreadable (a definition that
/// validates only meets them on a form changed behind its back).
pub fn build(kind: &str, values: &Map<String, Value>, request: &str, index: usize) -> Result<Record, String> {
    let need_text = |f: &str| text(values.get(f)).ok_or_else(|| format!("`{f}` is empty"));
    let need_date = |f: &str| date(values.get(f)).ok_or_else(|| format!("`{f}` is not a date"));
    let id = format!("{request}:{index}");
    let appointment = |person: String, body: String, role: &str, division: Option<String>, from, to| {
        Role::parse(role)
            .map(|role| Appointment { person, body, role, division, from, to, request: Some(request.to_string()) })
            .ok_or_else(|| format!("`{role}` is not a role"))
    };
    Ok(match kind {
        "appointment" => Record::Appointment(appointment(
            need_text("person")?,
            need_text("body")?,
            &need_text("role")?,
            text(values.get("division")),
            need_date("from")?,
            date(values.get("to")),
        )?),
        "term_transition" => {
            let department = need_text("department")?;
            let day = need_date("date")?;
            let term = values.get("term").and_then(Value::as_i64).map_or(Semester::of(day).year, |t| t as i32);
            let body = format!("{}@{department}", BodyKind::DepartmentSu);
            let to = date(values.get("to"));
            let cohort = rows(values.get("cohort"))
                .into_iter()
                .map(|r| {
                    appointment(
                        text(r.get("person")).ok_or("a cohort row has no person")?,
                        body.clone(),
                        &text(r.get("role")).ok_or("a cohort row has no role")?,
                        text(r.get("division")),
                        day,
                        to,
                    )
                })
                .collect::<Result<Vec<_>, String>>()?;
            Record::TermTransition {
                transition: TermTransition { department, date: day, term, request: Some(request.to_string()) },
                cohort,
            }
        }
        "liaison_assignment" => {
            let from = need_date("from")?;
            let to = date(values.get("to"));
            let assigner = text(values.get("assigner"));
            let liaisons = rows(values.get("liaisons"))
                .into_iter()
                .filter_map(|r| {
                    Some(Liaison {
                        person: text(r.get("person"))?,
                        department: text(r.get("department")),
                        class: text(r.get("class")),
                        from,
                        to,
                        last_ledger_entry: None,
                        assigner: assigner.clone(),
                        request: Some(request.to_string()),
                        ended_by: None,
                    })
                })
                .filter(|l| l.department.is_some() || l.class.is_some())
                .collect();
            Record::LiaisonAssignment(LiaisonAssignment {
                assigner,
                from,
                to,
                liaisons,
                request: Some(request.to_string()),
            })
        }
        "onboarding_done" => Record::OnboardingDone(OnboardingDone {
            person: need_text("person")?,
            body: text(values.get("body")).unwrap_or_default(),
            appointed: need_date("appointed")?,
            date: need_date("date")?,
            request: Some(request.to_string()),
        }),
        "training_session" => {
            let day = need_date("date")?;
            let mut attendees = list(values.get("attendees"));
            attendees.sort();
            attendees.dedup();
            Record::TrainingSession(TrainingSession {
                id,
                organiser: need_text("organiser")?,
                semester: Semester::of(day),
                date: day,
                topic: need_text("topic")?,
                audience: text(values.get("audience")).unwrap_or_default(),
                attendees,
                request: Some(request.to_string()),
            })
        }
        "symposium" => Record::Symposium(Symposium {
            id,
            department: need_text("department")?,
            date: need_date("date")?,
            classes: list(values.get("classes")),
            request: Some(request.to_string()),
        }),
        "reporting_adoption" => {
            Record::ReportingAdoption(ReportingAdoption { class: need_text("class")?, date: need_date("date")? })
        }
        "duty_review_result" => {
            let result: crate::score::ScoreResult = values
                .get("result")
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .ok_or("`result` is not a score result")?;
            Record::DutyReviewResult(DutyReviewResult {
                id,
                person: need_text("person")?,
                su: need_text("su")?,
                semester: need_text("semester")?,
                date: need_date("date")?,
                total: result.total,
                means: result.means,
                sheets: result.sheets,
                panel: result.panel,
                satisfactory: result.satisfactory,
                request: Some(request.to_string()),
            })
        }
        "co_host" => {
            let sorted = |f: &str| {
                let mut v = list(values.get(f));
                v.sort();
                v.dedup();
                v
            };
            Record::CoHost(CoHost {
                id,
                host: need_text("host")?,
                title: need_text("title")?,
                date: need_date("date")?,
                cohosts: sorted("cohosts"),
                co_undertakers: sorted("co_undertakers"),
                request: Some(request.to_string()),
            })
        }
        other => return Err(format!("`{other}` is not a record kind")),
    })
}

/// What a record changed in the org: rows to add, rows to rewrite (old → new) and rows to drop.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgChanges {
    /// New posts.
    pub added_posts: Vec<Post>,
    /// Posts ended, or marked onboarded / trained (old, new).
    pub ended_posts: Vec<(Post, Post)>,
    /// Departments whose term transition or last symposium a record set (new value).
    pub departments: Vec<crate::org::Department>,
    /// Classes that adopted the reporting system (new value).
    pub classes: Vec<crate::org::ClassUnit>,
    /// New liaisons.
    pub added_liaisons: Vec<Liaison>,
    /// Liaisons ended (old, new).
    pub ended_liaisons: Vec<(Liaison, Liaison)>,
    /// Liaisons replaced before they began (an assignment of the same term given again).
    pub removed_liaisons: Vec<Liaison>,
}

impl OrgChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == OrgChanges::default()
    }
}

fn post_of(org: &Org, a: &Appointment) -> Post {
    let held: Vec<&Post> = org.posts.iter().filter(|p| p.person == a.person && p.current_on(a.from)).collect();
    let kind_of = |p: &Post| p.body.split(['@', ':']).next().and_then(BodyKind::parse);
    Post {
        person: a.person.clone(),
        body: a.body.clone(),
        role: a.role,
        division: a.division.clone(),
        from: a.from,
        to: a.to,
        from_department_su: held.iter().any(|p| kind_of(p) == Some(BodyKind::DepartmentSu)),
        is_class_cadre: held
            .iter()
            .any(|p| matches!(kind_of(p), Some(BodyKind::ClassCommittee | BodyKind::LeagueBranch))),
        onboarded: None,
        trained: None,
        request: a.request.clone(),
        ended_by: None,
    }
}

fn appoint(org: &mut Org, a: &Appointment, ch: &mut OrgChanges) {
    let dup =
        org.posts.iter().any(|p| p.person == a.person && p.body == a.body && p.role == a.role && p.from == a.from);
    if dup {
        return;
    }
    let post = post_of(org, a);
    org.posts.push(post.clone());
    ch.added_posts.push(post);
}

/// Applies `rec` to `org` (posts and liaisons; other kinds change nothing there) and says what
/// changed, for the store to write the same rows.
///
/// - an appointment adds the post (once: the same person, body, role and first day is not added
///   twice); `from_department_su` / `is_class_cadre` come from the posts held on its first day;
///   it carries its source ([`Post::request`]);
/// - a term transition ends every post of `department_su@<department>` held the day before its
///   date on that day (marking it [`Post::ended_by`] the request), then appoints the cohort;
/// - a liaison assignment ends the liaisons of its assigner held the day before `from` on that
///   day (marking them [`Liaison::ended_by`] the request), drops those starting on or after
///   `from` (a term given again) and adds its own (with their [`Liaison::request`]) — only for
///   the departments its rows name (a row's department SU, or its class's department): the
///   school SU reassigning one department's liaisons leaves the other departments' as they were;
/// - so that what the org checks and the daily duties read follows the records: an onboarding
///   done marks the post it was for (`onboarded`; the person's posts in that body from that day,
///   or any post from that day when no body is named), a training session marks each attendee's
///   posts held that day (`trained`, when later), a term transition sets its department's
///   `term_transition_done`, a symposium its `last_symposium` (when later), a reporting adoption
///   its class's `reporting_system`.
pub fn apply_to_org(org: &mut Org, rec: &Record) -> OrgChanges {
    let mut ch = OrgChanges::default();
    match rec {
        Record::Appointment(a) => appoint(org, a, &mut ch),
        Record::TermTransition { transition, cohort } => {
            let body = format!("{}@{}", BodyKind::DepartmentSu, transition.department);
            let eve = transition.date.pred_opt().unwrap_or(transition.date);
            for p in org.posts.iter_mut().filter(|p| p.body == body && p.from <= eve && p.to.is_none_or(|t| t > eve)) {
                let old = p.clone();
                p.to = Some(eve);
                p.ended_by = transition.request.clone();
                ch.ended_posts.push((old, p.clone()));
            }
            for a in cohort {
                appoint(org, a, &mut ch);
            }
            if let Some(d) = org.departments.iter_mut().find(|d| d.code == transition.department)
                && !d.term_transition_done
            {
                d.term_transition_done = true;
                ch.departments.push(d.clone());
            }
        }
        Record::OnboardingDone(o) => {
            for p in org
                .posts
                .iter_mut()
                .filter(|p| p.person == o.person && p.from == o.appointed && (o.body.is_empty() || p.body == o.body))
            {
                if p.onboarded.is_none() {
                    let old = p.clone();
                    p.onboarded = Some(o.date);
                    ch.ended_posts.push((old, p.clone()));
                }
            }
        }
        Record::TrainingSession(t) => {
            let attendees: BTreeSet<&str> = t.attendees.iter().map(String::as_str).collect();
            for p in org.posts.iter_mut().filter(|p| attendees.contains(p.person.as_str()) && p.current_on(t.date)) {
                if p.trained.is_none_or(|d| d < t.date) {
                    let old = p.clone();
                    p.trained = Some(t.date);
                    ch.ended_posts.push((old, p.clone()));
                }
            }
        }
        Record::Symposium(s) => {
            if let Some(d) = org.departments.iter_mut().find(|d| d.code == s.department)
                && d.last_symposium.is_none_or(|l| l < s.date)
            {
                d.last_symposium = Some(s.date);
                ch.departments.push(d.clone());
            }
        }
        Record::ReportingAdoption(r) => {
            if let Some(c) = org.classes.iter_mut().find(|c| c.code == r.class)
                && !c.reporting_system
            {
                c.reporting_system = true;
                ch.classes.push(c.clone());
            }
        }
        // A co-hosted activity is a record of its own; the org does not change.
        Record::CoHost(_) | Record::DutyReviewResult(_) => {}
        Record::LiaisonAssignment(la) => {
            let eve = la.from.pred_opt().unwrap_or(la.from);
            let school_su: BTreeSet<&str> = org
                .posts
                .iter()
                .filter(|p| p.body == BodyKind::SchoolSu.as_str() && p.current_on(eve))
                .map(|p| p.person.as_str())
                .collect();
            let department_of = |l: &Liaison| -> Option<String> {
                // a department SU's own liaisons go to its classes; the class's department
                l.class.as_ref().and_then(|c| org.classes.iter().find(|x| &x.code == c)).map(|c| c.department.clone())
            };
            let scope = |l: &Liaison| -> Option<String> {
                match &l.assigner {
                    Some(a) => Some(a.clone()),
                    None if school_su.contains(l.person.as_str()) => None,
                    None => department_of(l),
                }
            };
            // The department a liaison works with: its department SU, or its class's department.
            let target = |l: &Liaison| l.department.clone().or_else(|| department_of(l));
            // What the assignment covers: the departments its rows name (directly or through a
            // class). A school SU assignment for one department leaves the others' liaisons alone.
            let covered: BTreeSet<String> = la.liaisons.iter().filter_map(target).collect();
            let scopes: Vec<bool> = org
                .liaisons
                .iter()
                .map(|l| scope(l) == la.assigner && target(l).is_some_and(|t| covered.contains(&t)))
                .collect();
            let mut kept = Vec::with_capacity(org.liaisons.len());
            for (l, replaced) in std::mem::take(&mut org.liaisons).into_iter().zip(scopes) {
                if !replaced {
                    kept.push(l);
                } else if l.from >= la.from {
                    ch.removed_liaisons.push(l);
                } else if l.to.is_none_or(|t| t > eve) {
                    let mut ended = l.clone();
                    ended.to = Some(eve);
                    ended.ended_by = la.request.clone();
                    ch.ended_liaisons.push((l, ended.clone()));
                    kept.push(ended);
                } else {
                    kept.push(l);
                }
            }
            org.liaisons = kept;
            for l in &la.liaisons {
                org.liaisons.push(l.clone());
                ch.added_liaisons.push(l.clone());
            }
        }
    }
    ch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::generate::demo_directory;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_kind_of_the_catalog_builds() {
        for k in KINDS {
            let mut values = Map::new();
            for f in k.fields.iter().filter(|f| f.required) {
                let v = match f.ty {
                    ValueType::Date => json!("2026-12-01"),
                    ValueType::Role => json!("division_member"),
                    ValueType::People | ValueType::Classes | ValueType::Departments => json!(["x"]),
                    ValueType::Liaisons => json!([{ "person": "p1", "department": "cs" }]),
                    ValueType::Cohort => json!([{ "person": "p1", "role": "president" }]),
                    ValueType::Integer => json!(2026),
                    ValueType::Score => json!({ "step": "panel_review", "sheets": 5, "panel": 6,
                        "means": { "conduct": 80.0 }, "total": 80.0, "pass": 60.0, "satisfactory": true }),
                    _ => json!("cs"),
                };
                values.insert(f.name.into(), v);
            }
            let r = build(k.name, &values, "R1", 0).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            assert_eq!(r.kind(), k.name);
        }
        assert!(build("appointment", &Map::new(), "R1", 0).unwrap_err().contains("`person`"));
    }

    #[test]
    fn a_term_transition_ends_the_old_cohort_and_appoints_the_new() {
        // given the demo's CS department SU
        let mut org = demo_directory().org().clone();
        let before = org.posts.iter().filter(|p| p.body == "department_su@cs" && p.current_on(d("2026-12-01"))).count();
        assert!(before > 0);
        let values = json!({ "department": "cs", "date": "2026-12-01",
                             "cohort": [{ "person": "2023010215", "role": "president" }] });
        let rec = build("term_transition", values.as_object().unwrap(), "R9", 0).unwrap();
        // when it is applied
        let ch = apply_to_org(&mut org, &rec);
        // then every old post ends on 30 November and the new president takes office on 1 December
        assert_eq!(ch.ended_posts.len(), before);
        assert!(ch.ended_posts.iter().all(|(_, new)| new.to == Some(d("2026-11-30"))));
        let now: Vec<&Post> =
            org.posts.iter().filter(|p| p.body == "department_su@cs" && p.current_on(d("2026-12-01"))).collect();
        assert_eq!(now.len(), 1);
        assert_eq!((now[0].person.as_str(), now[0].role), ("2023010215", Role::President));
        // and applying it again adds nothing
        let again = apply_to_org(&mut org, &rec);
        assert!(again.added_posts.is_empty() && again.ended_posts.is_empty());
    }

    #[test]
    fn a_liaison_assignment_replaces_only_its_assigners_liaisons() {
        let mut org = demo_directory().org().clone();
        let total = org.liaisons.len();
        let values = json!({ "from": "2025-12-01", "liaisons": [
            { "person": "2023010215", "department": "cs" }, { "person": "2023010215", "class": "cs-2023-1" } ] });
        let rec = build("liaison_assignment", values.as_object().unwrap(), "R2", 0).unwrap();
        let ch = apply_to_org(&mut org, &rec);
        let day = d("2025-12-01");
        let of_cs: Vec<&str> = org
            .liaisons
            .iter()
            .filter(|l| l.current_on(day) && l.department.as_deref() == Some("cs"))
            .map(|l| l.person.as_str())
            .collect();
        assert_eq!(of_cs, ["2023010215"], "only the new school SU liaison of CS holds");
        assert!(!ch.ended_liaisons.is_empty() || !ch.removed_liaisons.is_empty());
        // a department SU's own liaisons (its leaders → its classes) are untouched
        assert!(org.liaisons.len() >= total - ch.removed_liaisons.len());
        assert!(
            org.liaisons
                .iter()
                .any(|l| l.class.as_deref().is_some_and(|c| c.starts_with("law-")) && l.current_on(d("2025-11-24"))),
            "department-level liaisons stay"
        );
        // the school SU's liaisons of the departments the assignment does not name stay: an
        // assignment for CS alone does not leave math uncovered
        let before = demo_directory().org().clone();
        let held = |o: &Org, dept: &str| -> Vec<String> {
            let mut v: Vec<String> = o
                .liaisons
                .iter()
                .filter(|l| l.current_on(day) && l.department.as_deref() == Some(dept))
                .map(|l| l.person.clone())
                .collect();
            v.sort();
            v
        };
        for dept in ["math", "law", "art"] {
            assert!(!held(&before, dept).is_empty(), "{dept} has school SU liaisons in the demo");
            assert_eq!(held(&org, dept), held(&before, dept), "{dept}'s school SU liaisons are untouched");
        }
        assert!(ch.ended_liaisons.iter().all(|(old, _)| old.department.as_deref() == Some("cs")
            || old.class.as_deref().is_some_and(|c| c.starts_with("cs-"))));
    }

    #[test]
    fn onboarding_training_and_symposium_records_mark_what_the_checks_read() {
        let mut org = demo_directory().org().clone();
        // a new post, then its onboarding done
        let a = json!({ "person": "2023010215", "body": "department_su@cs", "role": "division_member", "from": "2026-12-01" });
        apply_to_org(&mut org, &build("appointment", a.as_object().unwrap(), "R1", 0).unwrap());
        let o = json!({ "person": "2023010215", "body": "department_su@cs", "appointed": "2026-12-01", "date": "2026-12-20" });
        let ch = apply_to_org(&mut org, &build("onboarding_done", o.as_object().unwrap(), "R2", 0).unwrap());
        assert_eq!(ch.ended_posts.len(), 1);
        let post = org.posts.iter().find(|p| p.person == "2023010215" && p.body == "department_su@cs").unwrap();
        assert_eq!(post.onboarded, Some(d("2026-12-20")));
        // a training attended that day marks the post trained
        let t = json!({ "organiser": "department_su@cs", "date": "2026-12-21", "topic": "履职培训", "attendees": ["2023010215"] });
        apply_to_org(&mut org, &build("training_session", t.as_object().unwrap(), "R3", 0).unwrap());
        let post = org.posts.iter().find(|p| p.person == "2023010215" && p.body == "department_su@cs").unwrap();
        assert_eq!(post.trained, Some(d("2026-12-21")));
        // a symposium sets the department's last one; an older one does not move it back
        let s = json!({ "department": "cs", "date": "2026-11-20" });
        let ch = apply_to_org(&mut org, &build("symposium", s.as_object().unwrap(), "R4", 0).unwrap());
        assert_eq!(ch.departments[0].last_symposium, Some(d("2026-11-20")));
        let s = json!({ "department": "cs", "date": "2025-01-20" });
        assert!(
            apply_to_org(&mut org, &build("symposium", s.as_object().unwrap(), "R5", 0).unwrap())
                .departments
                .is_empty()
        );
    }
}
