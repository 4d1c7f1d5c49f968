//! Deterministic universities: 南粤示例大学 (`nanyue_demo_u`, domain.md §4, with its planted
//! defects) and the large synthetic one (60 departments, 4,000 classes, 150,000 students).
//!
//! The demo university ships as `workflows/orgs/nanyue_demo_u.yaml`, written by [`demo`]; a test
//! keeps the two equal. Planted defects (each found by `org::checks`):
//! - `econ`'s department SU has only 40% class or branch cadres (M3);
//! - `art` has not finished its term transition (blocks the school congress, M3);
//! - 3 `ee` department SU members appointed on 2025-10-10 have no onboarding (overdue from 2025-11-10, M4);
//! - one `chem` department SU vice-president has no duty training this term (M4);
//! - class `law-2025-2` has no department SU contact person (M2);
//! - `fl` held no class symposium in 2025 (M9);
//! - the liaison of `math` has no ledger entry since 2025-08-15 (M2, 60 days).
//!
//! The hand-typed dates and flags above (`onboarded`, `trained`, `term_transition_done`,
//! `last_symposium`, `last_ledger_entry`, `from_department_su`, `is_class_cadre`) feed only the
//! deprecated `org::checks`; the live checks read the records of
//! [`crate::compliance::demo::demo_records`] and derive the M3 flags from posts, so the 20 school
//! SU staff "from a department SU" also hold a department SU post of the previous term.

use super::*;
use std::sync::OnceLock;

/// First day of the demo term (AY 2025–26).
pub const TERM_FROM: (i32, u32, u32) = (2025, 9, 1);
/// Last day of the demo terms (two academic years, so the demo works through 2026–27).
pub const TERM_TO: (i32, u32, u32) = (2027, 8, 31);

/// Well-known people of the demo university, for examples and tests.
pub mod demo_people {
    /// 计算机学院学生会主席 (department_su@cs president).
    pub const CS_SU_PRESIDENT: &str = "2023010201";
    /// 计算机学院学生会副主席.
    pub const CS_SU_VICE_PRESIDENT: &str = "2023010202";
    /// 计算机学院团委书记 (department_league_org@cs secretary).
    pub const CS_LEAGUE_SECRETARY: &str = "T0102";
    /// 计算机学院党委书记 (department_party_org@cs secretary).
    pub const CS_PARTY_SECRETARY: &str = "T0100";
    /// 计算机学院党委副书记 (department_party_org@cs deputy_secretary).
    pub const CS_PARTY_DEPUTY: &str = "T0101";
    /// 计算机学院2023级辅导员 (department_party_org@cs counselor).
    pub const CS_COUNSELOR_2023: &str = "T0104";
    /// 班长 of cs-2023-1.
    pub const CS_2023_1_MONITOR: &str = "2023010101";
    /// 校学生会主席 (school_su president), the school-SU liaison of `cs`.
    pub const SCHOOL_SU_PRESIDENT: &str = "2023010130";
    /// 校学生会秘书长 (a full-time League cadre; school_su secretary_general).
    pub const SCHOOL_SU_SECRETARY_GENERAL: &str = "T0005";
    /// 校团委书记 (school_league_committee secretary).
    pub const LEAGUE_COMMITTEE_SECRETARY: &str = "T0002";
    /// 校团委副书记.
    pub const LEAGUE_COMMITTEE_DEPUTY: &str = "T0003";
    /// 校党委副书记 (student work).
    pub const PARTY_COMMITTEE_DEPUTY: &str = "T0001";
    /// 学工部 reviewer.
    pub const STUDENT_AFFAIRS_REVIEWER: &str = "T0006";
    /// 校学生会权益工作部部长 (school_su division_head, division rights).
    pub const RIGHTS_DIVISION_HEAD: &str = "2022110130";
    /// 教务处 handler (functional_office:academic_affairs).
    pub const ACADEMIC_AFFAIRS_HANDLER: &str = "T0021";
    /// The workflow admin.
    pub const ADMIN: &str = "A0001";
}

/// The shape of one department to generate.
struct DeptSpec {
    code: String,
    zh: String,
    en: String,
    grades: Vec<u16>,
    classes_per_grade: u32,
    students_per_class: Vec<u32>,
}

/// A small deterministic PRNG (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "陈", "李", "黄", "张", "梁", "刘", "林", "王", "吴", "何", "郭", "冯", "罗", "郑", "谢", "杨", "叶", "蔡", "邓",
    "许", "曾", "彭", "周", "钟", "卢", "苏", "潘", "麦", "关", "欧阳",
];
const GIVEN: &[&str] = &[
    "一", "鸣", "子", "涵", "思", "远", "嘉", "欣", "晓", "婷", "伟", "杰", "俊", "豪", "颖", "琳", "泽", "宇", "佳",
    "怡", "浩", "然", "诗", "雨", "文", "博", "梓", "萱", "志", "强", "慧", "敏", "家", "乐", "晨", "曦", "海", "峰",
    "丽", "华",
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

struct Builder {
    rng: Rng,
    org: Org,
    from: NaiveDate,
    to: NaiveDate,
}

impl Builder {
    fn name(&mut self) -> String {
        let s = self.rng.pick(SURNAMES);
        let a = self.rng.pick(GIVEN);
        if self.rng.next().is_multiple_of(3) { format!("{s}{a}") } else { format!("{s}{a}{}", self.rng.pick(GIVEN)) }
    }

    fn person(&mut self, id: &str, department: Option<&str>, class: Option<&str>) -> String {
        let name = self.name();
        let student = class.is_some();
        self.org.people.push(Person {
            id: id.to_string(),
            name,
            email: if student {
                format!("{id}@stu.nanyue.edu.cn")
            } else {
                format!("{}@nanyue.edu.cn", id.to_lowercase())
            },
            number: Some(id.to_string()),
            department: department.map(String::from),
            class: class.map(String::from),
            lang: Lang::Zh,
            admin: false,
        });
        id.to_string()
    }

    fn post(&mut self, person: &str, body: &str, role: Role) -> &mut Post {
        self.org.posts.push(Post {
            person: person.to_string(),
            body: body.to_string(),
            role,
            division: None,
            from: self.from,
            to: Some(self.to),
            from_department_su: false,
            is_class_cadre: false,
            onboarded: None,
            trained: None,
            request: None,
            ended_by: None,
        });
        self.org.posts.last_mut().expect("just pushed")
    }

    fn teacher(&mut self, id: &str, department: Option<&str>, body: &str, role: Role) -> String {
        let p = self.person(id, department, None);
        self.post(&p, body, role);
        p
    }
}

fn build(code: &str, name: Label, depts: &[DeptSpec], seed: u64, demo: bool) -> Org {
    let mut b = Builder {
        rng: Rng(seed),
        org: Org { university: University { code: code.into(), name }, ..Org::default() },
        from: day(TERM_FROM.0, TERM_FROM.1, TERM_FROM.2),
        to: day(TERM_TO.0, TERM_TO.1, TERM_TO.2),
    };
    // School level: teachers T0001…, offices, the federation.
    b.teacher("T0000", None, "school_party_committee", Role::Secretary);
    b.teacher("T0001", None, "school_party_committee", Role::DeputySecretary);
    b.teacher("T0002", None, "school_league_committee", Role::Secretary);
    b.teacher("T0003", None, "school_league_committee", Role::DeputySecretary);
    b.teacher("T0004", None, "school_league_committee", Role::SecretaryGeneral);
    b.teacher("T0005", None, "school_su", Role::SecretaryGeneral);
    b.teacher("T0006", None, "student_affairs_office", Role::Reviewer);
    b.teacher("T0007", None, "student_affairs_office", Role::Reviewer);
    b.teacher("T0008", None, "school_su", Role::Advisor);
    let offices = [
        ("academic_affairs", "教务处", "Academic Affairs Office"),
        ("logistics", "后勤管理处", "Logistics Office"),
        ("security", "保卫处", "Security Office"),
        ("library", "图书馆", "Library"),
        ("network_center", "网络中心", "Network Center"),
        ("finance", "财务处", "Finance Office"),
        ("hospital", "校医院", "University Hospital"),
    ];
    for (i, (c, zh, en)) in offices.iter().enumerate() {
        let kind = BodyKind::FunctionalOffice;
        let id = body_id(kind, &Scope::School, Some(c));
        b.org.bodies.push(Body {
            id: id.clone(),
            kind,
            scope: Scope::School,
            code: Some((*c).into()),
            name: Label::new(*zh, *en),
        });
        b.teacher(&format!("T00{}", 20 + 2 * i), None, &id, Role::Director);
        b.teacher(&format!("T00{}", 21 + 2 * i), None, &id, Role::Handler);
    }
    let fed = body_id(BodyKind::UpperFederation, &Scope::School, Some("gd_student_federation"));
    b.org.bodies.push(Body {
        id: fed.clone(),
        kind: BodyKind::UpperFederation,
        scope: Scope::School,
        code: Some("gd_student_federation".into()),
        name: Label::new("广东省学生联合会", "Guangdong Student Federation"),
    });
    let f = b.person("F0001", None, None);
    b.org.people.last_mut().expect("pushed").email = "f0001@gdsf.org.cn".into();
    b.post(&f, &fed, Role::Reviewer);
    let admin = b.person("A0001", None, None);
    b.org.people.last_mut().expect("pushed").admin = true;
    let _ = admin;

    // Departments, classes, students, department and class posts.
    let mut cadres_by_dept: Vec<Vec<String>> = Vec::new();
    let mut others_by_dept: Vec<Vec<String>> = Vec::new();
    let mut key_classes: Vec<String> = Vec::new();
    for (di, d) in depts.iter().enumerate() {
        let dno = di + 1;
        let total: u32 = d.students_per_class.iter().sum();
        b.org.departments.push(Department {
            code: d.code.clone(),
            name: Label::new(&d.zh, &d.en),
            students: total,
            term_transition_done: !(demo && d.code == "art"),
            last_symposium: if demo && d.code == "fl" { None } else { Some(day(2025, 6, 12)) },
        });
        let (pb, lb) = (format!("department_party_org@{}", d.code), format!("department_league_org@{}", d.code));
        b.teacher(&format!("T{dno:02}00"), Some(&d.code), &pb, Role::Secretary);
        b.teacher(&format!("T{dno:02}01"), Some(&d.code), &pb, Role::DeputySecretary);
        b.teacher(&format!("T{dno:02}02"), Some(&d.code), &lb, Role::Secretary);
        b.teacher(&format!("T{dno:02}03"), Some(&d.code), &lb, Role::DeputySecretary);
        for (gi, _) in d.grades.iter().enumerate() {
            b.teacher(&format!("T{dno:02}{:02}", 4 + gi), Some(&d.code), &pb, Role::Counselor);
        }
        let mut cadres = Vec::new();
        let mut others = Vec::new();
        let last_grade = *d.grades.iter().min().expect("grades");
        let mut ci = 0usize;
        for grade in &d.grades {
            for n in 1..=d.classes_per_grade {
                let code = format!("{}-{grade}-{n}", d.code);
                let key = (n == 1 && *grade != last_grade && ci.is_multiple_of(2))
                    || (demo && n == 2 && *grade == d.grades[1]);
                let key = key && key_classes.iter().filter(|k| k.starts_with(&format!("{}-", d.code))).count() < 3;
                if key {
                    key_classes.push(code.clone());
                }
                b.org.classes.push(ClassUnit {
                    code: code.clone(),
                    department: d.code.clone(),
                    name: Label::new(
                        format!("{}{grade}级{n}班", d.zh.trim_end_matches("学院")),
                        format!("{} {grade} Class {n}", d.en),
                    ),
                    grade: *grade,
                    key_class: key,
                    graduating: *grade == last_grade,
                    reporting_system: true,
                });
                let size = d.students_per_class[ci];
                let (cc, lbr) = (format!("class_committee@{code}"), format!("league_branch@{code}"));
                for seat in 1..=size {
                    let id = format!("{grade}{dno:02}{n:02}{seat:02}");
                    let p = b.person(&id, Some(&d.code), Some(&code));
                    match seat {
                        1 => b.post(&p, &cc, Role::ClassMonitor).is_class_cadre = true,
                        2..=6 => b.post(&p, &cc, Role::ClassCommitteeMember).is_class_cadre = true,
                        7 => {
                            b.post(&p, &cc, Role::ClassCommitteeMember).is_class_cadre = true;
                            b.post(&p, &lbr, Role::LeagueBranchSecretary).is_class_cadre = true;
                        }
                        8 | 9 => b.post(&p, &lbr, Role::LeagueBranchMember).is_class_cadre = true,
                        _ => {}
                    }
                    if *grade != last_grade {
                        if (1..=9).contains(&seat) {
                            cadres.push(p);
                        } else {
                            others.push(p);
                        }
                    }
                }
                ci += 1;
            }
        }
        cadres_by_dept.push(cadres);
        others_by_dept.push(others);
    }

    // Department SUs: 20 staff (3 presidium, a secretary-general, 4 divisions of 4), committee 9, panel 7.
    let mut dept_leaders: Vec<Vec<String>> = Vec::new();
    for (di, d) in depts.iter().enumerate() {
        let su = format!("department_su@{}", d.code);
        let cadre_share = if demo && d.code == "econ" { 8 } else { 12 };
        let (cadres, others) = (&cadres_by_dept[di], &others_by_dept[di]);
        // Staff come from the department's students: `cadre_share` class cadres (not from the first
        // class, whose committee stays with it), the rest ordinary students.
        let skip = if cadres.len() > 9 + cadre_share { 9 } else { 0 };
        let mut staff: Vec<(String, bool)> =
            cadres.iter().skip(skip).take(cadre_share).map(|p| (p.clone(), true)).collect();
        staff.extend(others.iter().take(20 - staff.len()).map(|p| (p.clone(), false)));
        let roles: Vec<(Role, Option<&str>)> = [
            (Role::President, None),
            (Role::VicePresident, None),
            (Role::VicePresident, None),
            (Role::SecretaryGeneral, None),
        ]
        .into_iter()
        .chain(["office", "rights", "study", "culture_sports"].into_iter().flat_map(|div| {
            [
                (Role::DivisionHead, Some(div)),
                (Role::DeputyDivisionHead, Some(div)),
                (Role::DivisionMember, Some(div)),
                (Role::DivisionMember, Some(div)),
            ]
        }))
        .collect();
        let mut leaders = Vec::new();
        for (i, ((p, cadre), (role, div))) in staff.iter().zip(roles).enumerate() {
            let late = demo && d.code == "ee" && role == Role::DivisionMember && i >= 15;
            let untrained = demo && d.code == "chem" && i == 2;
            let post = b.post(p, &su, role);
            post.division = div.map(String::from);
            post.is_class_cadre = *cadre;
            if late {
                post.from = day(2025, 10, 10);
            } else {
                post.onboarded = Some(day(2025, 9, 20));
            }
            if !untrained {
                post.trained = Some(day(2025, 10, 15));
            }
            if role.is_presidium() || role == Role::DivisionHead {
                leaders.push(p.clone());
            }
        }
        for (i, (p, _)) in staff.iter().take(9).enumerate() {
            let role = if i == 0 { Role::Chair } else { Role::Member };
            b.post(p, &format!("su_committee@{}", d.code), role);
        }
        let panel = format!("review_panel@{}", d.code);
        for (i, p) in others_by_dept[di].iter().rev().take(7).enumerate() {
            b.post(p, &panel, if i < 4 { Role::ClassRepresentative } else { Role::Member });
        }
        dept_leaders.push(leaders);
    }

    // The school SU: 5 presidium, 6 divisions × (head, deputy, 3 members) = 35 staff, 20 from department SUs.
    // Students deeper in each department's list (not on its department SU); 20 of the 35 held a
    // department SU post last term (`from_department_su`).
    let su_staff: Vec<(String, bool, usize)> = (0..)
        .flat_map(|round| {
            others_by_dept.iter().enumerate().filter_map(move |(di, o)| o.get(20 + round).map(|p| (p, di)))
        })
        .take(35)
        .enumerate()
        .map(|(i, (p, di))| (p.clone(), i < 20, di))
        .collect();
    let mut presidium = Vec::new();
    let mut heads = Vec::new();
    let mut members = Vec::new();
    for (i, (p, from_su, di)) in su_staff.iter().enumerate() {
        let (role, div) = match i {
            0 => (Role::President, None),
            1..=4 => (Role::VicePresident, None),
            _ => {
                let j = i - 5;
                let div = crate::catalog::DIVISIONS[j / 5].0;
                (
                    match j % 5 {
                        0 => Role::DivisionHead,
                        1 => Role::DeputyDivisionHead,
                        _ => Role::DivisionMember,
                    },
                    Some(div),
                )
            }
        };
        let post = b.post(p, "school_su", role);
        post.division = div.map(String::from);
        post.from_department_su = *from_su;
        post.onboarded = Some(day(2025, 9, 20));
        post.trained = Some(day(2025, 10, 15));
        if *from_su {
            // The previous term's department SU post that makes them "from a department SU"
            // (domain.md §7.3).
            let (from, to) = (b.from - chrono::Months::new(12), b.from - chrono::Duration::days(1));
            let prev = b.post(p, &format!("department_su@{}", depts[*di].code), Role::DivisionMember);
            prev.division = Some("office".into());
            prev.from = from;
            prev.to = Some(to);
            prev.onboarded = Some(from + chrono::Duration::days(20));
        }
        match role {
            Role::President | Role::VicePresident => presidium.push(p.clone()),
            Role::DivisionHead => heads.push(p.clone()),
            Role::DivisionMember => members.push(p.clone()),
            _ => {}
        }
    }
    // Committee 25, panel 15 (10 class representatives), 40 delegates, proposal committee 7.
    let pool: Vec<String> = others_by_dept.iter().flat_map(|o| o.iter().skip(40).take(8).cloned()).collect(); // 96 people
    for (i, p) in pool.iter().take(25).enumerate() {
        b.post(p, "su_committee", if i == 0 { Role::Chair } else { Role::Member });
    }
    for (i, p) in pool.iter().skip(25).take(15).enumerate() {
        b.post(p, "review_panel", if i < 10 { Role::ClassRepresentative } else { Role::Member });
    }
    for p in pool.iter().skip(40).take(40) {
        b.post(p, "student_congress", Role::Delegate);
    }
    for (i, p) in pool.iter().take(7).enumerate() {
        b.post(p, "proposal_committee", if i == 0 { Role::Chair } else { Role::Member });
    }

    // M2 liaisons: presidium and division heads cover every department SU; each division member one key class;
    // department SU leaders cover their department's classes.
    let (lf, lt) = (b.from, b.to);
    let liaison = |person: &str, department: Option<&str>, class: Option<&str>, ledger: NaiveDate| Liaison {
        person: person.to_string(),
        department: department.map(String::from),
        class: class.map(String::from),
        from: lf,
        to: Some(lt),
        last_ledger_entry: Some(ledger),
        assigner: None,
        request: None,
        ended_by: None,
    };
    for (di, d) in depts.iter().enumerate() {
        let stale = demo && d.code == "math";
        let ledger = if stale { day(2025, 8, 15) } else { day(2025, 11, 10) };
        if let Some(p) = presidium.get(di % presidium.len().max(1)) {
            b.org.liaisons.push(liaison(p, Some(&d.code), None, ledger));
        }
        if let Some(h) = heads.get(di % heads.len().max(1)) {
            b.org.liaisons.push(liaison(h, Some(&d.code), None, day(2025, 11, 10)));
        }
    }
    for (m, k) in members.iter().zip(key_classes.iter()) {
        b.org.liaisons.push(liaison(m, None, Some(k), day(2025, 11, 3)));
    }
    let classes: Vec<(String, String)> = b.org.classes.iter().map(|c| (c.code.clone(), c.department.clone())).collect();
    for (di, d) in depts.iter().enumerate() {
        let leaders = &dept_leaders[di];
        for (i, (code, _)) in classes.iter().filter(|(_, dep)| *dep == d.code).enumerate() {
            if demo && code == "law-2025-2" {
                continue;
            }
            if let Some(l) = leaders.get(i % leaders.len().max(1)) {
                b.org.liaisons.push(liaison(l, None, Some(code), day(2025, 11, 1)));
            }
        }
    }
    b.org
}

fn demo_specs() -> Vec<DeptSpec> {
    let d = |code: &str, zh: &str, en: &str, grades: &[u16], per: u32, size: u32| DeptSpec {
        code: code.into(),
        zh: zh.into(),
        en: en.into(),
        grades: grades.to_vec(),
        classes_per_grade: per,
        students_per_class: vec![size; grades.len() * per as usize],
    };
    let four = [2022, 2023, 2024, 2025];
    vec![
        d("cs", "计算机学院", "School of Computer Science", &four, 2, 33),
        d("ee", "电子信息学院", "School of Electronic Information", &four, 2, 33),
        d("law", "法学院", "Law School", &four, 2, 33),
        d("econ", "经济管理学院", "School of Economics and Management", &four, 2, 33),
        d("lit", "文学院", "School of Liberal Arts", &four, 2, 33),
        d("fl", "外国语学院", "School of Foreign Languages", &four, 2, 33),
        d("math", "数学学院", "School of Mathematics", &four, 2, 33),
        d("chem", "化学化工学院", "School of Chemistry and Chemical Engineering", &four, 2, 33),
        d("art", "艺术学院", "School of Arts", &four, 2, 33),
        d("me", "机械工程学院", "School of Mechanical Engineering", &four, 2, 33),
        d("med", "医学院", "School of Medicine", &[2021, 2022, 2023, 2024, 2025], 2, 33),
        d("marx", "马克思主义学院", "School of Marxism", &[2023, 2024, 2025], 2, 60),
    ]
}

/// 南粤示例大学, as generated (the shipped file is this, written out).
pub fn demo() -> Org {
    build("nanyue_demo_u", Label::new("南粤示例大学", "Nanyue Demo University"), &demo_specs(), 20_251_124, true)
}

/// The seed of the large university the daemon seeds (`[seed] org = "large"`) and the
/// benchmark expects.
pub const LARGE_SEED: u64 = 20_251_124;

/// The large synthetic university: 60 departments, 4,000 classes, 150,000 students.
pub fn large(seed: u64) -> Org {
    let specs: Vec<DeptSpec> = (0..60u32)
        .map(|i| {
            let classes: u32 = if i < 40 { 67 } else { 66 };
            let per = classes.div_ceil(4);
            let sizes: Vec<u32> = (0..per * 4).map(|k| if (i + k) % 2 == 0 { 37 } else { 38 }).collect();
            DeptSpec {
                code: format!("d{:02}", i + 1),
                zh: format!("第{}学院", i + 1),
                en: format!("School No. {}", i + 1),
                grades: vec![2022, 2023, 2024, 2025],
                classes_per_grade: per,
                students_per_class: sizes,
            }
        })
        .collect();
    let mut org =
        build("large_synthetic_u", Label::new("大型合成大学", "Large Synthetic University"), &specs, seed, false);
    // Trim to exactly 4,000 classes and 150,000 students (the shapes above round up).
    let mut extra: usize = org.classes.len().saturating_sub(4000);
    let mut drop: std::collections::HashSet<String> = std::collections::HashSet::new();
    for c in org.classes.iter().rev() {
        if extra == 0 {
            break;
        }
        if !c.graduating {
            continue;
        }
        drop.insert(c.code.clone());
        extra -= 1;
    }
    if !drop.is_empty() {
        org.classes.retain(|c| !drop.contains(&c.code));
        let gone: std::collections::HashSet<String> = org
            .people
            .iter()
            .filter(|p| p.class.as_ref().is_some_and(|c| drop.contains(c)))
            .map(|p| p.id.clone())
            .collect();
        org.people.retain(|p| !gone.contains(&p.id));
        org.posts.retain(|p| !gone.contains(&p.person) && !drop.iter().any(|c| p.body.ends_with(&format!("@{c}"))));
        org.liaisons.retain(|l| !gone.contains(&l.person) && l.class.as_ref().is_none_or(|c| !drop.contains(c)));
    }
    org
}

/// The demo university's org file, as shipped.
pub const DEMO_ORG_FILE: &str = include_str!("../../orgs/nanyue_demo_u.yaml");

/// The demo university's directory, loaded once from the shipped file.
pub fn demo_directory() -> OrgDirectory {
    static DEMO: OnceLock<OrgDirectory> = OnceLock::new();
    DEMO.get_or_init(|| OrgDirectory::new(super::file::load_org(DEMO_ORG_FILE).unwrap_or_else(|_| demo()))).clone()
}
