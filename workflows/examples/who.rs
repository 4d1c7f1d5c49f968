//! Prints who holds the well-known posts of the demo university.
use workflows::org::Directory;
fn main() {
    let dir = workflows::org::generate::demo_directory();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    for body in [
        "department_su@cs",
        "department_league_org@cs",
        "department_party_org@cs",
        "school_su",
        "school_league_committee",
        "functional_office:academic_affairs",
        "department_su@chem",
        "department_su@ee",
    ] {
        for p in dir.holders(body, &[], day) {
            println!("{body}\t{:?}\t{:?}\t{}\t{}", p.role, p.division, p.person, dir.person(&p.person).unwrap().name);
        }
    }
    for l in dir.liaisons_of("cs", day) {
        println!("liaison cs {}", l.person);
    }
}
