//! sea-orm entity of the reporting checklist (请示报告清单, M1; migration
//! `m20261129_000601_reporting_checklist`).

/// A version of the reporting checklist.
pub mod reporting_checklist {
    use sea_orm::entity::prelude::*;

    /// A row of `reporting_checklists`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reporting_checklists")]
    pub struct Model {
        /// 1, 2, … in the order they were drafted.
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        /// `draft` or `signed_off`.
        pub status: String,
        /// The matter types (JSON list of `workflows::reporting_checklist::ChecklistItem`).
        #[sea_orm(column_type = "Text")]
        pub items: String,
        /// What changed, as the drafter said (may be empty).
        #[sea_orm(column_type = "Text")]
        pub note: String,
        /// Who drafted it (person id); null for the built-in version.
        pub drafted_by: Option<String>,
        /// When it was drafted (ms since the epoch).
        pub drafted_at: i64,
        /// The 校团委 member who signed it off (person id); null while a draft and for the
        /// built-in version.
        pub signed_by: Option<String>,
        /// When it was signed off (ms since the epoch).
        pub signed_at: Option<i64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
