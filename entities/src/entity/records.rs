//! sea-orm entities of the records workflow outcomes write (issue 11; migration
//! `m20261129_000201_outcome_records`). Dates are `YYYY-MM-DD` text (Asia/Shanghai days).

/// A term transition (换届, M3) recorded by an outcome.
pub mod term_transition {
    use sea_orm::entity::prelude::*;

    /// A row of `term_transitions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "term_transitions")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The request whose outcome recorded it.
        pub request: Option<String>,
        /// The department code.
        pub department: String,
        /// The day the new cohort took office (`YYYY-MM-DD`).
        pub date: String,
        /// The academic year it is for (its first calendar year).
        pub term: i32,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An onboarding education completed (入门教育, M4).
pub mod onboarding_record {
    use sea_orm::entity::prelude::*;

    /// A row of `onboarding_records`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "onboarding_records")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The onboarding request.
        pub request: Option<String>,
        /// The new staff member.
        pub person: String,
        /// The body of the post (may be empty).
        pub body: String,
        /// The appointment day (`YYYY-MM-DD`).
        pub appointed: String,
        /// The day it was completed (`YYYY-MM-DD`).
        pub date: String,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A training session (履职培训, M4); attendees in `training_attendance`.
pub mod training_session {
    use sea_orm::entity::prelude::*;

    /// A row of `training_sessions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "training_sessions")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The filing request.
        pub request: Option<String>,
        /// The organising body id.
        pub organiser: String,
        /// The academic year (its first calendar year).
        pub semester_year: i32,
        /// `autumn` or `spring`.
        pub semester_half: String,
        /// The day it was held (`YYYY-MM-DD`).
        pub date: String,
        /// Topic.
        #[sea_orm(column_type = "Text")]
        pub topic: String,
        /// Audience.
        #[sea_orm(column_type = "Text")]
        pub audience: String,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One attendee of a training session.
pub mod training_attendance {
    use sea_orm::entity::prelude::*;

    /// A row of `training_attendance`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "training_attendance")]
    pub struct Model {
        /// The session id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub session: String,
        /// The attendee.
        #[sea_orm(primary_key, auto_increment = false)]
        pub person: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A class symposium (班级座谈交流会, M9).
pub mod symposium {
    use sea_orm::entity::prelude::*;

    /// A row of `symposiums`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "symposiums")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The request whose outcome recorded it.
        pub request: Option<String>,
        /// The department whose SU held it.
        pub department: String,
        /// The day it was held (`YYYY-MM-DD`).
        pub date: String,
        /// The classes that attended (JSON list of class codes).
        #[sea_orm(column_type = "Text")]
        pub classes: String,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A class's adoption of the reporting system (M1); the first one counts.
pub mod reporting_adoption {
    use sea_orm::entity::prelude::*;

    /// A row of `reporting_adoptions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reporting_adoptions")]
    pub struct Model {
        /// The class code.
        #[sea_orm(primary_key, auto_increment = false)]
        pub class: String,
        /// The day it was adopted (`YYYY-MM-DD`).
        pub date: String,
        /// The request whose outcome recorded it.
        pub request: Option<String>,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
        /// The academic year it was adopted in (its first calendar year); null before 2026-11.
        pub term: Option<i32>,
        /// The department SU contact person class matters go to (person id).
        pub contact_person: Option<String>,
        /// The counselor class matters go to (person id).
        pub counselor: Option<String>,
        /// Who recorded it directly (person id); null when an outcome wrote it.
        pub recorded_by: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
