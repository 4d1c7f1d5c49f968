//! sea-orm entities of the participation records (issue 11, requirement 2; migration
//! `m20261129_000701_participation`): volunteer hours (M7), students' co-design and evaluation
//! entries (M8), co-hosted activities (M6).

/// Volunteer hours (志愿服务时长, M7): one row per entry.
pub mod volunteer_hour {
    use sea_orm::entity::prelude::*;

    /// A row of `volunteer_hours`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "volunteer_hours")]
    pub struct Model {
        /// Key (a UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The volunteer's person id.
        pub person: String,
        /// Their department code when it was logged ("" when none).
        pub department: String,
        /// Their class code when it was logged.
        pub class: Option<String>,
        /// The day served.
        pub date: Date,
        /// Tenths of an hour (15 = 1.5 h).
        pub tenths: i32,
        /// The activity or what was done.
        pub activity: String,
        /// The request (activity, support request, service project) it served, if any.
        pub request: Option<String>,
        /// Who logged it (the volunteer, or the organiser of `request`).
        pub logged_by: String,
        /// When it was logged (ms since the epoch).
        pub created_at: i64,
        /// The `Idempotency-Key` it was logged with.
        pub idempotency_key: Option<String>,
        /// SHA-256 (hex) of the body that came with the key.
        pub idempotency_hash: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A student's co-design or evaluation entry on a service project (M8).
pub mod participation_entry {
    use sea_orm::entity::prelude::*;

    /// A row of `participation_entries`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "participation_entries")]
    pub struct Model {
        /// Key (a UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The service project (request id).
        pub request: String,
        /// `co_design` or `evaluation`.
        pub kind: String,
        /// The student who wrote it.
        pub person: String,
        /// Their class code when they wrote it.
        pub class: Option<String>,
        /// An evaluation's rating (1–5).
        pub rating: Option<i32>,
        /// What they said.
        #[sea_orm(column_type = "Text")]
        pub text: String,
        /// Written (ms since the epoch).
        pub created_at: i64,
        /// Last rewritten by its author (ms since the epoch).
        pub updated_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An activity co-hosted by department SUs (共同主办, M6), recorded by an outcome.
pub mod co_host {
    use sea_orm::entity::prelude::*;

    /// A row of `co_hosts`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "co_hosts")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The request whose outcome recorded it.
        pub request: Option<String>,
        /// The hosting body id.
        pub host: String,
        /// The activity's title.
        pub title: String,
        /// The day of the activity (`YYYY-MM-DD`).
        pub date: String,
        /// JSON list of the co-hosting department codes.
        #[sea_orm(column_type = "Text")]
        pub cohosts: String,
        /// JSON list of the co-undertaking class codes.
        #[sea_orm(column_type = "Text")]
        pub co_undertakers: String,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
