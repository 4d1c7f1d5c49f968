//! Resolving the M1 selectors against the demo university and the large synthetic one
//! (60 departments, 4,000 classes, 150,000 students): resolution uses indexes, so the large org
//! must not be slower beyond noise. `cargo run --release -p workflows --example resolve_scale`

use std::time::Instant;
use workflows::model::{ScopeRef, Selector, SelectorKind};
use workflows::org::resolve::{ResolveCtx, resolve_all};
use workflows::org::{Directory, OrgDirectory, generate};

fn selectors() -> Vec<Selector> {
    use workflows::catalog::{BodyKind, Role};
    let pos = workflows::Pos::new(1, 1);
    let body = |body, roles: Vec<Role>, of| Selector {
        kind: SelectorKind::Body { body, roles, of, code: None, division: None },
        pos,
    };
    vec![
        body(BodyKind::DepartmentSu, vec![Role::President], ScopeRef::SubmitterDepartment),
        body(BodyKind::DepartmentLeagueOrg, vec![Role::Secretary], ScopeRef::SubmitterDepartment),
        body(BodyKind::DepartmentPartyOrg, vec![Role::DeputySecretary], ScopeRef::SubmitterDepartment),
        Selector { kind: SelectorKind::LiaisonOf(ScopeRef::SubmitterDepartment), pos },
        body(BodyKind::SchoolSu, vec![Role::SecretaryGeneral], ScopeRef::School),
        body(BodyKind::SchoolLeagueCommittee, vec![Role::Secretary], ScopeRef::School),
    ]
}

fn per_resolution(dir: &OrgDirectory, rounds: u32) -> f64 {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    let submitters: Vec<_> = dir
        .org()
        .departments
        .iter()
        .filter_map(|d| {
            dir.holders(&format!("department_su@{}", d.code), &[workflows::catalog::Role::President], day)
                .first()
                .map(|p| p.person.clone())
        })
        .filter_map(|p| dir.submitter_info(&p, day))
        .collect();
    let form = serde_json::Map::new();
    let sels = selectors();
    let start = Instant::now();
    let mut found = 0usize;
    for i in 0..rounds {
        let s = &submitters[i as usize % submitters.len()];
        let ctx = ResolveCtx { submitter: s, form: &form, day };
        found += resolve_all(&sels, &ctx, dir).len();
    }
    assert!(found > 0);
    start.elapsed().as_nanos() as f64 / f64::from(rounds)
}

fn main() {
    let rounds = 100_000;
    let demo = generate::demo_directory();
    let t = Instant::now();
    let large = OrgDirectory::new(generate::large(7));
    let built = t.elapsed();
    println!("large org: {} people, {} posts, indexed in {built:?}", large.org().people.len(), large.org().posts.len());
    for round in 1..=3 {
        let d = per_resolution(&demo, rounds);
        let l = per_resolution(&large, rounds);
        println!("round {round}: demo {d:.0} ns, large {l:.0} ns per resolution of 6 selectors; ratio {:.2}", l / d);
    }
}
