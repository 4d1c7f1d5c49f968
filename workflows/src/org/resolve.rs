//! Turning an assignee selector into people: index look-ups on the `Directory`, never a scan.

use super::{Directory, PersonId, PostRef, Scope, SubmitterInfo};
use crate::catalog::{BodyKind, Level, Role};
use crate::model::{ScopeRef, Selector, SelectorKind};
use chrono::NaiveDate;

/// What a selector is resolved against.
pub struct ResolveCtx<'a> {
    /// The submitter.
    pub submitter: &'a SubmitterInfo,
    /// The request's form.
    pub form: &'a serde_json::Map<String, serde_json::Value>,
    /// The day (Asia/Shanghai) whose posts count.
    pub day: NaiveDate,
}

/// The people several selectors find, in order, without duplicates.
pub fn resolve_all(sels: &[Selector], ctx: &ResolveCtx, dir: &dyn Directory) -> Vec<PersonId> {
    resolve_all_seats(sels, ctx, dir).into_iter().map(|(p, _)| p).collect()
}

/// The people several selectors find, in order, without duplicates, each with the post that
/// made them found (the first one, when several did): `None` for a person named by id, e-mail or
/// form field, or the submitter.
pub fn resolve_all_seats(sels: &[Selector], ctx: &ResolveCtx, dir: &dyn Directory) -> Vec<(PersonId, Option<PostRef>)> {
    let mut out: Vec<(PersonId, Option<PostRef>)> = Vec::new();
    for s in sels {
        for (p, post) in resolve_seats(s, ctx, dir) {
            if !out.iter().any(|(o, _)| *o == p) {
                out.push((p, post));
            }
        }
    }
    out
}

/// The people one selector finds, in post order, without duplicates.
pub fn resolve(sel: &Selector, ctx: &ResolveCtx, dir: &dyn Directory) -> Vec<PersonId> {
    resolve_seats(sel, ctx, dir).into_iter().map(|(p, _)| p).collect()
}

/// The people one selector finds, in post order, without duplicates, each with the post that made
/// them found (see `resolve_all_seats`).
pub fn resolve_seats(sel: &Selector, ctx: &ResolveCtx, dir: &dyn Directory) -> Vec<(PersonId, Option<PostRef>)> {
    let mut out: Vec<(PersonId, Option<PostRef>)> = Vec::new();
    let mut push_as = |p: &str, post: Option<PostRef>| {
        if !out.iter().any(|(o, _)| o == p) {
            out.push((p.to_string(), post));
        }
    };
    match &sel.kind {
        SelectorKind::Body { body, roles, of, code, division } => {
            for (scope, scope_code) in scopes(*body, of, code.as_deref(), ctx, dir) {
                let Some(b) = dir.body(*body, &scope, scope_code.as_deref()) else { continue };
                for post in dir.holders(&b.id, roles, ctx.day) {
                    if division.as_ref().is_none_or(|d| post.division.as_deref() == Some(d.as_str())) {
                        push_as(&post.person, Some(PostRef::of(post)));
                    }
                }
            }
        }
        SelectorKind::LiaisonOf(ScopeRef::SubmitterClass) => {
            // A class's contact person: a department SU leader linked to the class; else the department SU presidium.
            let Some(class) = ctx.submitter.class.as_deref().and_then(|c| dir.class(c)) else { return out };
            let su = format!("department_su@{}", class.department);
            // The post that makes a liaison a department SU leader.
            let leader = |p: &str| {
                dir.posts_of(p, ctx.day)
                    .into_iter()
                    .find(|x| x.body == su && (x.role.is_presidium() || x.role == Role::DivisionHead))
                    .map(PostRef::of)
            };
            let contacts: Vec<(String, PostRef)> = dir
                .liaisons_of(&class.code, ctx.day)
                .iter()
                .filter_map(|l| leader(&l.person).map(|post| (l.person.clone(), post)))
                .collect();
            if contacts.is_empty() {
                let presidium = [Role::President, Role::VicePresident, Role::ExecutivePresident];
                for post in dir.holders(&su, &presidium, ctx.day) {
                    push_as(&post.person, Some(PostRef::of(post)));
                }
            } else {
                contacts.into_iter().for_each(|(p, post)| push_as(&p, Some(post)));
            }
        }
        SelectorKind::LiaisonOf(of) => {
            for dept in departments(of, ctx, dir) {
                let liaisons = dir.liaisons_of(&dept, ctx.day);
                let leaders: Vec<(&str, PostRef)> = liaisons
                    .iter()
                    .filter_map(|l| {
                        school_su_leader_post(&l.person, ctx.day, dir).map(|post| (l.person.as_str(), post))
                    })
                    .collect();
                if leaders.is_empty() {
                    if let Some(su) = dir.body(BodyKind::SchoolSu, &Scope::School, None) {
                        let presidium = [Role::President, Role::VicePresident, Role::ExecutivePresident];
                        for post in dir.holders(&su.id, &presidium, ctx.day) {
                            push_as(&post.person, Some(PostRef::of(post)));
                        }
                    }
                } else {
                    leaders.into_iter().for_each(|(p, post)| push_as(p, Some(post)));
                }
            }
        }
        SelectorKind::UpUntil { from, bodies, roles } => {
            let mut level = match from {
                ScopeRef::SubmitterClass if ctx.submitter.class.is_some() => Some(Level::Class),
                ScopeRef::SubmitterSu if serves_school_su(ctx, dir) => Some(Level::School),
                ScopeRef::SubmitterClass | ScopeRef::SubmitterDepartment | ScopeRef::SubmitterSu => {
                    Some(Level::Department)
                }
                ScopeRef::School => Some(Level::School),
                ScopeRef::Field(_) => Some(Level::Department),
            };
            while let Some(l) = level {
                let scope = match (l, from) {
                    (Level::School, _) => Some(Scope::School),
                    (Level::Department, ScopeRef::Field(f)) => {
                        field_codes(ctx, f).into_iter().next().map(Scope::Department)
                    }
                    (Level::Department, _) => ctx.submitter.department.clone().map(Scope::Department),
                    (Level::Class, _) => ctx.submitter.class.clone().map(Scope::Class),
                };
                let mut found = false;
                if let Some(scope) = scope {
                    for kind in bodies.iter().filter(|b| b.levels().contains(&l)) {
                        if let Some(b) = dir.body(*kind, &scope, None) {
                            for post in dir.holders(&b.id, roles, ctx.day) {
                                push_as(&post.person, Some(PostRef::of(post)));
                                found = true;
                            }
                        }
                    }
                }
                if found {
                    break;
                }
                level = l.up();
            }
        }
        SelectorKind::Person(p) => {
            if let Some(person) = dir.person(p).or_else(|| dir.person_by_email(p)) {
                push_as(&person.id, None);
            }
        }
        SelectorKind::Field(f) => {
            for v in field_codes(ctx, f) {
                if let Some(person) = dir.person(&v).or_else(|| dir.person_by_email(&v)) {
                    push_as(&person.id, None);
                }
            }
        }
        SelectorKind::Submitter => push_as(&ctx.submitter.id, None),
    }
    out
}

/// The post that makes `person` a school SU presidium member or division head on `day` (who may
/// be an M2 liaison of a department), if any.
fn school_su_leader_post(person: &str, day: NaiveDate, dir: &dyn Directory) -> Option<PostRef> {
    dir.posts_of(person, day)
        .into_iter()
        .find(|p| p.body == BodyKind::SchoolSu.as_str() && (p.role.is_presidium() || p.role == Role::DivisionHead))
        .map(PostRef::of)
}

/// Whether the submitter holds a post in the school SU on the day (`submitter.su` is then the
/// school's; else their department's).
pub fn serves_school_su(ctx: &ResolveCtx, dir: &dyn Directory) -> bool {
    dir.posts_of(&ctx.submitter.id, ctx.day).iter().any(|p| p.body == BodyKind::SchoolSu.as_str())
}

/// The text values of a form field (one value or a list).
fn field_codes(ctx: &ResolveCtx, field: &str) -> Vec<String> {
    match ctx.form.get(field) {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

fn departments(of: &ScopeRef, ctx: &ResolveCtx, dir: &dyn Directory) -> Vec<String> {
    match of {
        ScopeRef::SubmitterDepartment | ScopeRef::SubmitterClass | ScopeRef::SubmitterSu => {
            ctx.submitter.department.iter().cloned().collect()
        }
        ScopeRef::School => Vec::new(),
        ScopeRef::Field(f) => field_codes(ctx, f)
            .into_iter()
            .filter_map(|c| match dir.class(&c) {
                Some(class) => Some(class.department.clone()),
                None => dir.department(&c).map(|d| d.code.clone()),
            })
            .collect(),
    }
}

/// The scopes (and codes, for coded bodies) a body selector looks in.
fn scopes(
    kind: BodyKind,
    of: &ScopeRef,
    code: Option<&str>,
    ctx: &ResolveCtx,
    dir: &dyn Directory,
) -> Vec<(Scope, Option<String>)> {
    let level = kind.levels()[0];
    let at_level = |dept: Option<String>, class: Option<String>| -> Option<Scope> {
        match level {
            Level::School => Some(Scope::School),
            Level::Department => dept.map(Scope::Department),
            Level::Class => class.map(Scope::Class),
        }
    };
    match of {
        ScopeRef::School => vec![(Scope::School, code.map(String::from))],
        ScopeRef::SubmitterSu if kind.levels().contains(&Level::School) && serves_school_su(ctx, dir) => {
            vec![(Scope::School, code.map(String::from))]
        }
        ScopeRef::SubmitterDepartment | ScopeRef::SubmitterSu => {
            let scope = if kind.levels().contains(&Level::Department) {
                ctx.submitter.department.clone().map(Scope::Department)
            } else {
                at_level(ctx.submitter.department.clone(), None)
            };
            scope.into_iter().map(|s| (s, code.map(String::from))).collect()
        }
        ScopeRef::SubmitterClass => {
            let scope = if kind.levels().contains(&Level::Class) {
                ctx.submitter.class.clone().map(Scope::Class)
            } else {
                at_level(ctx.submitter.department.clone(), ctx.submitter.class.clone())
            };
            scope.into_iter().map(|s| (s, code.map(String::from))).collect()
        }
        ScopeRef::Field(f) => field_codes(ctx, f)
            .into_iter()
            .filter_map(|v| {
                if let Some(c) = dir.class(&v) {
                    let scope = if kind.levels().contains(&Level::Class) {
                        Scope::Class(c.code.clone())
                    } else {
                        at_level(Some(c.department.clone()), Some(c.code.clone()))?
                    };
                    Some((scope, code.map(String::from)))
                } else if dir.department(&v).is_some() {
                    Some((at_level(Some(v), None)?, code.map(String::from)))
                } else {
                    // An office (or another coded body) named by its code.
                    Some((Scope::School, Some(v)))
                }
            })
            .collect(),
    }
}
