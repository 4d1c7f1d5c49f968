//! The in-memory directory: a whole org plus indexes by body, scope, person and email, built once,
//! so that resolving a selector costs index look-ups, never a scan of the org.

use super::*;
use std::collections::HashMap;

/// The university as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct University {
    /// Code, e.g. `nanyue_demo_u`.
    pub code: String,
    /// Name.
    pub name: Label,
}

/// A whole org: what an org file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Org {
    /// The university.
    pub university: University,
    /// Departments.
    pub departments: Vec<Department>,
    /// Classes.
    pub classes: Vec<ClassUnit>,
    /// Every body (implied ones included).
    pub bodies: Vec<Body>,
    /// People.
    pub people: Vec<Person>,
    /// Posts.
    pub posts: Vec<Post>,
    /// Liaison assignments (M2).
    pub liaisons: Vec<Liaison>,
    /// Delegations.
    pub delegations: Vec<Delegation>,
}

/// The id of the body of `kind` at `scope` (with `code` for coded bodies).
pub fn body_id(kind: BodyKind, scope: &Scope, code: Option<&str>) -> String {
    match (code, scope) {
        (Some(c), _) => format!("{kind}:{c}"),
        (None, Scope::School) => kind.to_string(),
        (None, Scope::Department(d)) => format!("{kind}@{d}"),
        (None, Scope::Class(c)) => format!("{kind}@{c}"),
    }
}

/// The bodies every school, department and class has, created without being listed.
pub fn implied_bodies(org: &Org) -> Vec<Body> {
    use BodyKind::*;
    let mk = |kind: BodyKind, scope: Scope, name: Label| Body {
        id: body_id(kind, &scope, None),
        kind,
        scope,
        code: None,
        name,
    };
    let mut out = Vec::new();
    for kind in [
        SchoolSu,
        SchoolPartyCommittee,
        SchoolLeagueCommittee,
        StudentAffairsOffice,
        StudentCongress,
        SuCommittee,
        ReviewPanel,
        ProposalCommittee,
        CongressPrepGroup,
    ] {
        out.push(mk(kind, Scope::School, kind.label()));
    }
    for d in &org.departments {
        for kind in [DepartmentSu, DepartmentPartyOrg, DepartmentLeagueOrg, SuCommittee, ReviewPanel, StudentCongress] {
            let l = kind.label();
            out.push(mk(
                kind,
                Scope::Department(d.code.clone()),
                Label::new(format!("{}{}", d.name.zh, l.zh), format!("{} {}", d.name.en, l.en)),
            ));
        }
    }
    for c in &org.classes {
        for kind in [ClassCommittee, LeagueBranch] {
            let l = kind.label();
            out.push(mk(
                kind,
                Scope::Class(c.code.clone()),
                Label::new(format!("{}{}", c.name.zh, l.zh), format!("{} {}", c.name.en, l.en)),
            ));
        }
    }
    out
}

/// An org with its indexes.
#[derive(Debug, Clone)]
pub struct OrgDirectory {
    org: Org,
    person_by_id: HashMap<String, usize>,
    person_by_email: HashMap<String, usize>,
    department_by_code: HashMap<String, usize>,
    class_by_code: HashMap<String, usize>,
    body_by_id: HashMap<String, usize>,
    posts_by_body: HashMap<String, Vec<usize>>,
    posts_by_person: HashMap<String, Vec<usize>>,
    liaisons_by_department: HashMap<String, Vec<usize>>,
    delegations_by_person: HashMap<String, Vec<usize>>,
    admins: Vec<usize>,
}

impl OrgDirectory {
    /// Indexes an org (implied bodies are added when missing).
    pub fn new(mut org: Org) -> Self {
        let known: std::collections::HashSet<String> = org.bodies.iter().map(|b| b.id.clone()).collect();
        let implied: Vec<Body> = implied_bodies(&org).into_iter().filter(|b| !known.contains(&b.id)).collect();
        org.bodies.extend(implied);
        let index = |keys: Vec<String>| keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect::<HashMap<_, _>>();
        let group = |keys: Vec<String>| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, k) in keys.into_iter().enumerate() {
                m.entry(k).or_default().push(i);
            }
            m
        };
        Self {
            person_by_id: index(org.people.iter().map(|p| p.id.clone()).collect()),
            person_by_email: index(org.people.iter().map(|p| p.email.to_lowercase()).collect()),
            department_by_code: index(org.departments.iter().map(|d| d.code.clone()).collect()),
            class_by_code: index(org.classes.iter().map(|c| c.code.clone()).collect()),
            body_by_id: index(org.bodies.iter().map(|b| b.id.clone()).collect()),
            posts_by_body: group(org.posts.iter().map(|p| p.body.clone()).collect()),
            posts_by_person: group(org.posts.iter().map(|p| p.person.clone()).collect()),
            liaisons_by_department: group(
                org.liaisons
                    .iter()
                    .map(|l| l.department.clone().or_else(|| l.class.clone()).unwrap_or_default())
                    .collect(),
            ),
            delegations_by_person: group(org.delegations.iter().map(|d| d.from.clone()).collect()),
            admins: org.people.iter().enumerate().filter(|(_, p)| p.admin).map(|(i, _)| i).collect(),
            org,
        }
    }

    /// The org itself.
    pub fn org(&self) -> &Org {
        &self.org
    }

    /// A body by id.
    pub fn body_by_id(&self, id: &str) -> Option<&Body> {
        self.body_by_id.get(id).map(|i| &self.org.bodies[*i])
    }

    /// Whether `person` holds on `day`, or held in the academic year of `day` or the one before,
    /// a post in a department SU (the M3 flag `from_department_su`, domain.md §7.3: counted from
    /// the posts held — those outcomes wrote included — not from the deprecated post flag).
    pub fn was_in_department_su(&self, person: &str, day: NaiveDate) -> bool {
        let year = crate::records::Semester::of(day).year - 1;
        let since = NaiveDate::from_ymd_opt(year, 9, 1).unwrap_or(day);
        self.posts_by_person.get(person).into_iter().flatten().map(|i| &self.org.posts[*i]).any(|p| {
            p.body.starts_with("department_su@")
                && p.role != Role::Advisor
                && p.from <= day
                && p.to.is_none_or(|t| t >= since)
        })
    }

    /// Liaison assignments of a school SU person (M2), current on `day`.
    pub fn liaisons_by(&self, person: &str, day: NaiveDate) -> Vec<&Liaison> {
        self.org.liaisons.iter().filter(|l| l.person == person && l.current_on(day)).collect()
    }
}

impl Directory for OrgDirectory {
    fn person(&self, id: &str) -> Option<&Person> {
        self.person_by_id.get(id).map(|i| &self.org.people[*i]).or_else(|| self.person_by_email(id))
    }
    fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.person_by_email.get(&email.to_lowercase()).map(|i| &self.org.people[*i])
    }
    fn department(&self, code: &str) -> Option<&Department> {
        self.department_by_code.get(code).map(|i| &self.org.departments[*i])
    }
    fn class(&self, code: &str) -> Option<&ClassUnit> {
        self.class_by_code.get(code).map(|i| &self.org.classes[*i])
    }
    fn body(&self, kind: BodyKind, scope: &Scope, code: Option<&str>) -> Option<&Body> {
        self.body_by_id(&body_id(kind, scope, code))
    }
    fn holders(&self, body_id: &str, roles: &[Role], day: NaiveDate) -> Vec<&Post> {
        self.posts_by_body
            .get(body_id)
            .into_iter()
            .flatten()
            .map(|i| &self.org.posts[*i])
            .filter(|p| p.current_on(day) && (roles.is_empty() || roles.contains(&p.role)))
            .collect()
    }
    fn posts_of(&self, person: &str, day: NaiveDate) -> Vec<&Post> {
        self.posts_by_person
            .get(person)
            .into_iter()
            .flatten()
            .map(|i| &self.org.posts[*i])
            .filter(|p| p.current_on(day))
            .collect()
    }
    fn liaisons_of(&self, department: &str, day: NaiveDate) -> Vec<&Liaison> {
        self.liaisons_by_department
            .get(department)
            .into_iter()
            .flatten()
            .map(|i| &self.org.liaisons[*i])
            .filter(|l| l.current_on(day))
            .collect()
    }
    fn delegate_of(&self, person: &str, key: &str, at: DateTime<Utc>) -> Option<&Delegation> {
        self.delegations_by_person.get(person).into_iter().flatten().map(|i| &self.org.delegations[*i]).find(|d| {
            d.starts <= at && at < d.ends && (d.definitions.is_empty() || d.definitions.iter().any(|k| k == key))
        })
    }
    fn admins(&self) -> Vec<&Person> {
        self.admins.iter().map(|i| &self.org.people[*i]).collect()
    }
    fn submitter_info(&self, person: &str, day: NaiveDate) -> Option<SubmitterInfo> {
        let p = self.person(person)?;
        let posts = self.posts_of(&p.id, day);
        let level = posts
            .iter()
            .filter_map(|post| self.body_by_id(&post.body).map(|b| b.scope.level()))
            .max()
            .or(Some(Level::Class));
        let department =
            p.department.clone().or_else(|| p.class.as_ref().and_then(|c| self.class(c)).map(|c| c.department.clone()));
        let mut roles: Vec<Role> = posts.iter().map(|p| p.role).collect();
        roles.sort();
        roles.dedup();
        Some(SubmitterInfo {
            id: p.id.clone(),
            department,
            class: p.class.clone(),
            level,
            is_class_cadre: posts.iter().any(|p| {
                p.is_class_cadre
                    || self
                        .body_by_id(&p.body)
                        .is_some_and(|b| matches!(b.kind, BodyKind::ClassCommittee | BodyKind::LeagueBranch))
            }),
            from_department_su: posts.iter().any(|p| p.from_department_su) || self.was_in_department_su(&p.id, day),
            roles,
        })
    }
}
