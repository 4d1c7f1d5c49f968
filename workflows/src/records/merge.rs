//! What an org import keeps of what approved outcomes wrote into the org (issue 11): the posts
//! and liaisons outcomes wrote ([`Post::request`], [`Liaison::request`]) and the ends they put on
//! others ([`Post::ended_by`], [`Liaison::ended_by`]) are the outcomes', not the org file's, so
//! importing a file replaces only the file's own entries.
//!
//! [`merge`] takes the imported file and the org as it stands and gives the org to store:
//!
//! - a post is named by its holder, body, role and first day; a liaison by its person,
//!   department, class and first day;
//! - a file entry that carries `request:` or `ended_by:` (an export's line) is the admin's version
//!   of that outcome's entry and stands as the file gives it (to end an appointed post early, edit
//!   its `to:` in an export and import that);
//! - any other file entry named like an entry an outcome wrote or ended is replaced by the
//!   outcome's version (so re-importing the file the outcomes started from changes nothing: the
//!   old cohort's posts stay ended, the replaced liaisons too);
//! - entries outcomes wrote that the file does not name are added;
//! - the marks outcomes keep on the org file's entries (onboarded, trained, a department's term
//!   transition and last symposium, a class's reporting system: mirrors of the records) are kept
//!   where the file has none or an older one;
//! - an outcome's post or liaison whose person, body, department or class the file no longer has
//!   is [`Dangling`]: when it still holds on the import day (or starts later) the import must be
//!   refused and the list shown; when it has ended it is history (its request keeps the record)
//!   and is left out.

use crate::org::{Body, Liaison, Org, Post, memory::implied_bodies};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// An outcome's post or liaison that the imported file leaves without its person, body,
/// department or class, while it holds on the import day or later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dangling {
    /// The request whose outcome wrote it.
    pub request: String,
    /// `post` or `liaison`.
    pub entry: &'static str,
    /// The entry, as people read it: `2023010215 division_member of school_su from 2026-11-29`,
    /// `2023010215 liaison of cs from 2026-11-29`.
    pub what: String,
    /// What the file no longer has: `person 2023010215`, `body department_su@econ`,
    /// `department econ`, `class econ-2023-1`.
    pub missing: Vec<String>,
}

/// What [`merge`] gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The org to store: the file's entries with the outcomes' kept.
    pub org: Org,
    /// Posts outcomes wrote or ended that the org keeps.
    pub outcome_posts: usize,
    /// Liaisons outcomes wrote or ended that the org keeps.
    pub outcome_liaisons: usize,
    /// Outcome entries, already ended, left out because the file no longer has their person or
    /// unit.
    pub left_out: usize,
    /// Outcome entries the file leaves without their person or unit while they hold: the import
    /// must be refused (422 `records_refer_to_removed`).
    pub dangling: Vec<Dangling>,
}

type PostKey = (String, String, String, NaiveDate);
type LiaisonKey = (String, Option<String>, Option<String>, NaiveDate);

fn post_key(p: &Post) -> PostKey {
    (p.person.clone(), p.body.clone(), p.role.to_string(), p.from)
}

fn liaison_key(l: &Liaison) -> LiaisonKey {
    (l.person.clone(), l.department.clone(), l.class.clone(), l.from)
}

fn later(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    a.max(b)
}

/// Merges `file` (an org file just read) with what outcomes wrote into `current` (the org as it
/// stands), for an import on `day` (Asia/Shanghai). Pure; see the module's rules.
pub fn merge(mut file: Org, current: &Org, day: NaiveDate) -> Merged {
    // The mirrors of the records on the file's own entries.
    let marks: HashMap<PostKey, &Post> = current.posts.iter().map(|p| (post_key(p), p)).collect();
    for p in &mut file.posts {
        if let Some(c) = marks.get(&post_key(p)) {
            p.onboarded = later(p.onboarded, c.onboarded);
            p.trained = later(p.trained, c.trained);
        }
    }
    for d in &mut file.departments {
        if let Some(c) = current.departments.iter().find(|c| c.code == d.code) {
            d.term_transition_done |= c.term_transition_done;
            d.last_symposium = later(d.last_symposium, c.last_symposium);
        }
    }
    for k in &mut file.classes {
        if let Some(c) = current.classes.iter().find(|c| c.code == k.code) {
            k.reporting_system |= c.reporting_system;
        }
    }

    // Posts.
    let owned: Vec<&Post> = current.posts.iter().filter(|p| p.request.is_some() || p.ended_by.is_some()).collect();
    let mut by_key: HashMap<PostKey, usize> = HashMap::new();
    for (i, p) in owned.iter().enumerate() {
        by_key.entry(post_key(p)).or_insert(i);
    }
    let mut used = vec![false; owned.len()];
    let mut outcome_posts = 0;
    for p in &mut file.posts {
        let Some(&i) = by_key.get(&post_key(p)) else { continue };
        if used[i] {
            continue;
        }
        used[i] = true;
        if p.request.is_none() && p.ended_by.is_none() {
            *p = owned[i].clone();
        }
        outcome_posts += 1;
    }
    // Liaisons.
    let owned_l: Vec<&Liaison> =
        current.liaisons.iter().filter(|l| l.request.is_some() || l.ended_by.is_some()).collect();
    let mut by_key_l: HashMap<LiaisonKey, usize> = HashMap::new();
    for (i, l) in owned_l.iter().enumerate() {
        by_key_l.entry(liaison_key(l)).or_insert(i);
    }
    let mut used_l = vec![false; owned_l.len()];
    let mut outcome_liaisons = 0;
    for l in &mut file.liaisons {
        let Some(&i) = by_key_l.get(&liaison_key(l)) else { continue };
        if used_l[i] {
            continue;
        }
        used_l[i] = true;
        if l.request.is_none() && l.ended_by.is_none() {
            *l = owned_l[i].clone();
        }
        outcome_liaisons += 1;
    }

    // What outcomes wrote that the file does not name: added when its person and unit are
    // there (an entry an outcome only ended is the file's to drop).
    let people: HashSet<&str> = file.people.iter().map(|p| p.id.as_str()).collect();
    let departments: HashSet<&str> = file.departments.iter().map(|d| d.code.as_str()).collect();
    let classes: HashSet<&str> = file.classes.iter().map(|c| c.code.as_str()).collect();
    // (`load_org` lists the implied bodies too; an org built otherwise may not.)
    let bodies: HashSet<String> =
        implied_bodies(&file).iter().chain(file.bodies.iter()).map(|b: &Body| b.id.clone()).collect();
    let mut left_out = 0;
    let mut dangling = Vec::new();
    let mut add_posts = Vec::new();
    for (i, p) in owned.iter().enumerate() {
        let Some(request) = p.request.as_ref().filter(|_| !used[i]) else { continue };
        let mut missing = Vec::new();
        if !people.contains(p.person.as_str()) {
            missing.push(format!("person {}", p.person));
        }
        if !bodies.contains(&p.body) {
            missing.push(format!("body {}", p.body));
        }
        if missing.is_empty() {
            add_posts.push((*p).clone());
            outcome_posts += 1;
        } else if p.to.is_some_and(|t| t < day) {
            left_out += 1;
        } else {
            dangling.push(Dangling {
                request: request.clone(),
                entry: "post",
                what: format!("{} {} of {} from {}", p.person, p.role, p.body, p.from),
                missing,
            });
        }
    }
    let mut add_liaisons = Vec::new();
    for (i, l) in owned_l.iter().enumerate() {
        let Some(request) = l.request.as_ref().filter(|_| !used_l[i]) else { continue };
        let mut missing = Vec::new();
        if !people.contains(l.person.as_str()) {
            missing.push(format!("person {}", l.person));
        }
        if let Some(d) = l.department.as_deref().filter(|d| !departments.contains(d)) {
            missing.push(format!("department {d}"));
        }
        if let Some(c) = l.class.as_deref().filter(|c| !classes.contains(c)) {
            missing.push(format!("class {c}"));
        }
        if missing.is_empty() {
            add_liaisons.push((*l).clone());
            outcome_liaisons += 1;
        } else if l.to.is_some_and(|t| t < day) {
            left_out += 1;
        } else {
            let unit = l.department.as_deref().or(l.class.as_deref()).unwrap_or_default();
            dangling.push(Dangling {
                request: request.clone(),
                entry: "liaison",
                what: format!("{} liaison of {unit} from {}", l.person, l.from),
                missing,
            });
        }
    }
    file.posts.extend(add_posts);
    file.liaisons.extend(add_liaisons);
    Merged { org: file, outcome_posts, outcome_liaisons, left_out, dangling }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::file::{dump_org, load_org};
    use crate::org::generate::demo_directory;
    use crate::records::outcome::{apply_to_org, build};
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn record(kind: &str, values: serde_json::Value, request: &str) -> crate::records::outcome::Record {
        build(kind, values.as_object().unwrap(), request, 0).unwrap()
    }

    /// The demo org as its file says, and the org after an appointment, a CS term transition
    /// and a school SU liaison assignment were approved.
    fn after_outcomes() -> (Org, Org) {
        let file = load_org(&dump_org(demo_directory().org())).unwrap();
        let mut org = file.clone();
        let rec = record(
            "appointment",
            json!({ "person": "2023010215", "body": "school_su", "role": "division_member", "from": "2025-12-01" }),
            "R1",
        );
        apply_to_org(&mut org, &rec);
        let rec = record(
            "term_transition",
            json!({ "department": "cs", "date": "2025-12-01",
                    "cohort": [{ "person": "2023010216", "role": "president" }] }),
            "R2",
        );
        apply_to_org(&mut org, &rec);
        let rec = record(
            "liaison_assignment",
            json!({ "from": "2025-12-01", "liaisons": [{ "person": "2023010215", "department": "cs" }] }),
            "R3",
        );
        apply_to_org(&mut org, &rec);
        (file, org)
    }

    fn sorted(org: &Org) -> Vec<String> {
        let mut v: Vec<String> = dump_org(org).lines().map(String::from).collect();
        v.sort();
        v
    }

    #[test]
    fn reimporting_the_file_the_outcomes_started_from_changes_nothing() {
        let (file, org) = after_outcomes();
        assert_ne!(sorted(&file), sorted(&org), "the outcomes changed the org");
        let m = merge(file.clone(), &org, d("2025-12-02"));
        assert!(m.dangling.is_empty(), "{:?}", m.dangling);
        assert_eq!(sorted(&m.org), sorted(&org));
        // the appointed post, the new president, the new liaison; the old cohort's posts ended
        assert!(m.org.posts.iter().any(|p| p.person == "2023010215" && p.request.as_deref() == Some("R1")));
        let cs: Vec<&Post> =
            m.org.posts.iter().filter(|p| p.body == "department_su@cs" && p.current_on(d("2025-12-02"))).collect();
        assert_eq!(cs.len(), 1, "{cs:?}");
        assert_eq!(cs[0].person, "2023010216");
        let cs_liaisons: Vec<&Liaison> = m
            .org
            .liaisons
            .iter()
            .filter(|l| l.department.as_deref() == Some("cs") && l.current_on(d("2025-12-02")))
            .collect();
        assert_eq!(cs_liaisons.len(), 1);
        assert_eq!(cs_liaisons[0].person, "2023010215");
        // and so does importing the export of the org as it stands (it carries request:/ended_by:)
        let export = load_org(&dump_org(&org)).unwrap();
        let m2 = merge(export, &org, d("2025-12-02"));
        assert_eq!(sorted(&m2.org), sorted(&org));
        assert_eq!((m.outcome_posts, m.outcome_liaisons), (m2.outcome_posts, m2.outcome_liaisons));
    }

    #[test]
    fn an_export_line_edited_by_the_admin_stands() {
        let (_, org) = after_outcomes();
        let text = dump_org(&org).replace(
            "person: \"2023010215\", body: school_su, role: division_member, from: 2025-12-01",
            "person: \"2023010215\", body: school_su, role: division_member, from: 2025-12-01, to: 2025-12-20",
        );
        let m = merge(load_org(&text).unwrap(), &org, d("2025-12-02"));
        let posts: Vec<&Post> = m.org.posts.iter().filter(|p| p.person == "2023010215").collect();
        assert_eq!(posts.len(), 1, "not twice: {posts:?}");
        assert_eq!(posts[0].to, Some(d("2025-12-20")));
    }

    #[test]
    fn a_file_without_the_person_of_a_current_outcome_post_dangles() {
        let (file, org) = after_outcomes();
        let mut file = file;
        file.people.retain(|p| p.id != "2023010215");
        file.posts.retain(|p| p.person != "2023010215");
        file.liaisons.retain(|l| l.person != "2023010215");
        let m = merge(file.clone(), &org, d("2025-12-02"));
        let got: Vec<(&str, &str, &str)> =
            m.dangling.iter().map(|x| (x.request.as_str(), x.entry, x.missing[0].as_str())).collect();
        assert_eq!(got, [("R1", "post", "person 2023010215"), ("R3", "liaison", "person 2023010215")]);
        // once the post and the liaison have ended, they are history: left out, not refused
        let mut ended = org.clone();
        for p in ended.posts.iter_mut().filter(|p| p.person == "2023010215") {
            p.to = Some(d("2025-12-10"));
        }
        for l in ended.liaisons.iter_mut().filter(|l| l.person == "2023010215") {
            l.to = Some(d("2025-12-10"));
        }
        let m = merge(file, &ended, d("2026-01-05"));
        assert!(m.dangling.is_empty());
        assert_eq!(m.left_out, 2);
    }

    #[test]
    fn the_person_flags_are_derived_from_outcome_posts() {
        // a CS department SU member appointed to the school SU by an outcome counts as from a
        // department SU, and a class monitor appointed to a department SU as a class cadre
        let mut org = demo_directory().org().clone();
        let day = d("2025-12-02");
        let dept_member = org
            .posts
            .iter()
            .find(|p| {
                p.body == "department_su@cs"
                    && p.current_on(day)
                    && !org.posts.iter().any(|q| q.person == p.person && q.body == "school_su")
            })
            .unwrap()
            .person
            .clone();
        let monitor = org
            .posts
            .iter()
            .find(|p| p.body.starts_with("class_committee@econ") && p.current_on(day))
            .unwrap()
            .person
            .clone();
        for (person, body, request) in [(&dept_member, "school_su", "R1"), (&monitor, "department_su@econ", "R2")] {
            let rec = record(
                "appointment",
                json!({ "person": person, "body": body, "role": "division_member", "from": "2025-12-01" }),
                request,
            );
            apply_to_org(&mut org, &rec);
        }
        let file = load_org(&dump_org(demo_directory().org())).unwrap();
        let m = merge(file, &org, day);
        let dir = crate::org::OrgDirectory::new(m.org);
        use crate::org::Directory;
        let info = dir.submitter_info(&dept_member, day).unwrap();
        assert!(info.from_department_su, "{info:?}");
        let info = dir.submitter_info(&monitor, day).unwrap();
        assert!(info.is_class_cadre, "{info:?}");
        let school: Vec<&Post> = dir.holders("school_su", &[], day);
        assert!(school.iter().any(|p| p.person == dept_member && p.request.as_deref() == Some("R1")));
    }
}
