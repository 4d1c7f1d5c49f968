//! sea-orm entity of the work ledger (generated shape; behaviour lives in `store::ledger`).

/// An entry of a liaison's work ledger (M2 工作台账).
pub mod ledger_entry {
    use sea_orm::entity::prelude::*;

    /// A row of `ledger_entries`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_entries")]
    pub struct Model {
        /// Key (a UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Column `liaison`: the author's person id.
        pub liaison: String,
        /// Column `target_kind`: `department` or `class`.
        pub target_kind: String,
        /// Column `target_id`: the department's or class's code.
        pub target_id: String,
        /// Column `department`: the target's department code.
        pub department: String,
        /// Column `date`: the day of the contact.
        pub date: Date,
        /// Column `mode`: `visit`, `meeting`, `online` or `phone`.
        pub mode: String,
        /// Column `problem`.
        #[sea_orm(column_type = "Text")]
        pub problem: String,
        /// Column `help`.
        #[sea_orm(column_type = "Text")]
        pub help: String,
        /// Column `resolution`.
        #[sea_orm(column_type = "Text")]
        pub resolution: String,
        /// Column `created_at` (ms since the epoch).
        pub created_at: i64,
        /// Column `updated_at` (ms since the epoch).
        pub updated_at: i64,
        /// Column `idempotency_key`: the `Idempotency-Key` it was written with.
        pub idempotency_key: Option<String>,
        /// Column `idempotency_hash`: SHA-256 (hex) of the body it was written with.
        pub idempotency_hash: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
