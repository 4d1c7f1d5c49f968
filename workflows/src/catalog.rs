//! The vocabulary of the org: body kinds, roles and levels, with zh-CN and en labels (domain.md §1).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A text in the two languages Liandong speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Label {
    /// zh-CN text (the default language).
    pub zh: String,
    /// English text.
    pub en: String,
}

impl Label {
    /// A label from its two texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }
    /// The text in `lang`, falling back to zh-CN when the English one is empty.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.en.is_empty() => &self.en,
            _ => &self.zh,
        }
    }
}

/// A language of mail and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    #[serde(rename = "zh", alias = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Parses `zh`, `zh-CN` or `en`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh" | "zh-CN" | "zh_CN" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The three levels of the linkage (三级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 班级
    Class,
    /// 院系
    Department,
    /// 学校
    School,
}

impl Level {
    /// The snake_case identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Class => "class",
            Level::Department => "department",
            Level::School => "school",
        }
    }
    /// The zh-CN / en label.
    pub fn label(self) -> Label {
        match self {
            Level::Class => Label::new("班级", "class"),
            Level::Department => Label::new("院系", "department"),
            Level::School => Label::new("学校", "school"),
        }
    }
    /// The level above, if any.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Class => Some(Level::Department),
            Level::Department => Some(Level::School),
            Level::School => None,
        }
    }
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $id:literal, $zh:literal, $en:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[doc = $zh] $variant,)*
        }
        impl $name {
            /// Every value, in catalog order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The snake_case identifier used in YAML and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id,)* }
            }
            /// Parses the snake_case identifier.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($id => Some($name::$variant),)* _ => None }
            }
            /// The zh-CN / en label.
            pub fn label(self) -> Label {
                match self { $($name::$variant => Label::new($zh, $en),)* }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The kinds of body (组织) in the org model.
    BodyKind {
        SchoolSu = "school_su", "校级学生会组织", "school student union";
        DepartmentSu = "department_su", "院系学生会组织", "department student union";
        ClassCommittee = "class_committee", "班委会", "class committee";
        LeagueBranch = "league_branch", "班级团支部", "class League branch";
        DepartmentPartyOrg = "department_party_org", "学院党组织", "department Party organisation";
        DepartmentLeagueOrg = "department_league_org", "学院团组织", "department League organisation";
        SchoolPartyCommittee = "school_party_committee", "校党委", "school Party committee";
        SchoolLeagueCommittee = "school_league_committee", "校团委", "school League committee";
        StudentAffairsOffice = "student_affairs_office", "学工部", "student affairs office";
        SchoolPartyAdminOffice = "school_party_admin_office", "学校党政部门", "school Party and administrative office";
        FunctionalOffice = "functional_office", "职能部门", "functional office";
        StudentCongress = "student_congress", "学生代表大会", "student congress";
        CongressPrepGroup = "congress_prep_group", "学代会筹备工作组", "congress preparatory group";
        ProposalCommittee = "proposal_committee", "提案工作委员会", "proposal committee";
        SuCommittee = "su_committee", "学生会委员会", "student union committee";
        ReviewPanel = "review_panel", "评议会", "review panel";
        UpperFederation = "upper_federation", "上级学联", "upper student federation";
    }
}

vocabulary! {
    /// The roles a post can carry.
    Role {
        President = "president", "主席", "president";
        VicePresident = "vice_president", "副主席", "vice-president";
        ExecutivePresident = "executive_president", "轮值执行主席", "executive president";
        SecretaryGeneral = "secretary_general", "秘书长", "secretary-general";
        DivisionHead = "division_head", "部长", "division head";
        DeputyDivisionHead = "deputy_division_head", "副部长", "deputy division head";
        DivisionMember = "division_member", "干事", "division member";
        Advisor = "advisor", "指导老师", "advisor";
        Secretary = "secretary", "书记", "secretary";
        DeputySecretary = "deputy_secretary", "副书记", "deputy secretary";
        Counselor = "counselor", "辅导员", "counselor";
        Member = "member", "成员", "member";
        Chair = "chair", "主任", "chair";
        Director = "director", "负责人", "director";
        Reviewer = "reviewer", "审核人", "reviewer";
        Handler = "handler", "承办人", "handler";
        ClassMonitor = "class_monitor", "班长", "class monitor";
        ClassCommitteeMember = "class_committee_member", "班委", "class committee member";
        LeagueBranchSecretary = "league_branch_secretary", "团支部书记", "League branch secretary";
        LeagueBranchMember = "league_branch_member", "团支部委员", "League branch committee member";
        Delegate = "delegate", "学生代表", "delegate";
        ClassRepresentative = "class_representative", "班级学生代表", "class representative";
        Student = "student", "同学", "student";
    }
}

impl Role {
    /// Presidium roles (主席团成员).
    pub fn is_presidium(self) -> bool {
        matches!(self, Role::President | Role::VicePresident | Role::ExecutivePresident)
    }
}

impl BodyKind {
    /// The levels a body of this kind can sit at.
    pub fn levels(self) -> &'static [Level] {
        use BodyKind::*;
        match self {
            ClassCommittee | LeagueBranch => &[Level::Class],
            DepartmentSu | DepartmentPartyOrg | DepartmentLeagueOrg => &[Level::Department],
            SuCommittee | ReviewPanel | StudentCongress => &[Level::Department, Level::School],
            _ => &[Level::School],
        }
    }

    /// The roles a post in a body of this kind may carry.
    pub fn roles(self) -> &'static [Role] {
        use BodyKind::*;
        use Role::*;
        match self {
            SchoolSu | DepartmentSu => &[
                President,
                VicePresident,
                ExecutivePresident,
                SecretaryGeneral,
                DivisionHead,
                DeputyDivisionHead,
                DivisionMember,
                Advisor,
                Member,
            ],
            ClassCommittee => &[ClassMonitor, ClassCommitteeMember],
            LeagueBranch => &[LeagueBranchSecretary, LeagueBranchMember],
            DepartmentPartyOrg | SchoolPartyCommittee => &[Secretary, DeputySecretary, Counselor, Member],
            DepartmentLeagueOrg | SchoolLeagueCommittee => {
                &[Secretary, DeputySecretary, SecretaryGeneral, Advisor, Counselor, Member]
            }
            StudentAffairsOffice | SchoolPartyAdminOffice | FunctionalOffice | UpperFederation => {
                &[Director, Reviewer, Handler, Member]
            }
            StudentCongress => &[Delegate, Chair, Member],
            CongressPrepGroup | ProposalCommittee | SuCommittee => &[Chair, Member, ClassRepresentative],
            ReviewPanel => &[Chair, Member, ClassRepresentative],
        }
    }

    /// Whether a post in this kind of body may carry `role`.
    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

/// The work divisions (工作部门) of a student union.
pub const DIVISIONS: &[(&str, &str, &str)] = &[
    ("office", "办公室", "general office"),
    ("rights", "权益工作部", "rights division"),
    ("study", "学习部", "study division"),
    ("culture_sports", "文体部", "culture and sports division"),
    ("media", "新媒体中心", "media division"),
    ("liaison", "联络部", "liaison division"),
];
