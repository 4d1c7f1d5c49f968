//! sea-orm entities of the annual assessment (M10 年度考核; migration
//! `m20261130_000801_assessment`).

/// A year's criteria.
pub mod assessment_criteria {
    use sea_orm::entity::prelude::*;

    /// A row of `assessment_criteria`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessment_criteria")]
    pub struct Model {
        /// The assessed year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// JSON list of `workflows::assessment::Criterion`.
        #[sea_orm(column_type = "Text")]
        pub items: String,
        /// Who set them (person id); null for the defaults the first start wrote.
        pub updated_by: Option<String>,
        /// When (ms since the epoch).
        pub updated_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An assessor's score sheet for one department and year.
pub mod assessment_sheet {
    use sea_orm::entity::prelude::*;

    /// A row of `assessment_sheets`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessment_sheets")]
    pub struct Model {
        /// The assessed year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// The department code.
        #[sea_orm(primary_key, auto_increment = false)]
        pub department: String,
        /// The assessor (person id).
        #[sea_orm(primary_key, auto_increment = false)]
        pub assessor: String,
        /// JSON object: criterion key → score.
        #[sea_orm(column_type = "Text")]
        pub scores: String,
        /// The assessor's comment (may be empty; never published).
        #[sea_orm(column_type = "Text")]
        pub comment: String,
        /// When last saved (ms since the epoch).
        pub updated_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A published version of a year's results.
pub mod assessment_publication {
    use sea_orm::entity::prelude::*;

    /// A row of `assessment_publications`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessment_publications")]
    pub struct Model {
        /// The assessed year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// 1 for the first publication, 2… for corrections.
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        /// JSON list of `workflows::assessment::Ranked`.
        #[sea_orm(column_type = "Text")]
        pub results: String,
        /// The correction (empty for version 1).
        #[sea_orm(column_type = "Text")]
        pub note: String,
        /// The 校团委 member who published it; null for the demo's seeded results.
        pub published_by: Option<String>,
        /// When (ms since the epoch).
        pub published_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
