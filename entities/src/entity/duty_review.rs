//! The semester duty review's results (述职评议, M10).

/// One reviewed person's result, written by a `duty_review` request's outcome.
pub mod duty_review_result {
    use sea_orm::entity::prelude::*;

    /// A row of `duty_review_results`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_review_results")]
    pub struct Model {
        /// Source: `<request>:<records item>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The request whose outcome recorded it.
        pub request: Option<String>,
        /// The reviewed person.
        pub person: String,
        /// Their student union's body id.
        pub su: String,
        /// The semester, as the duty report named it.
        pub semester: String,
        /// The day the review ended (`YYYY-MM-DD`).
        pub date: String,
        /// The weighted total (0–100).
        pub total: f64,
        /// JSON object: criterion key → mean.
        #[sea_orm(column_type = "Text")]
        pub means: String,
        /// The score sheets that counted.
        pub sheets: i32,
        /// The panel members who had a sheet.
        pub panel: i32,
        /// 合格 or not.
        pub satisfactory: bool,
        /// When it was written (ms since the epoch).
        pub created_at: i64,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
