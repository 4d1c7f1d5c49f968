//! sea-orm entities of the org tables (generated shape; behaviour lives in `store`).

/// A department (院系) of the org.
pub mod org_department {
    use sea_orm::entity::prelude::*;

    /// A row of `org_departments`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_departments")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A class (班级).
pub mod org_class {
    use sea_orm::entity::prelude::*;

    /// A row of `org_classes`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_classes")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        /// Column `department`.
        pub department: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A body (组织).
pub mod org_body {
    use sea_orm::entity::prelude::*;

    /// A row of `org_bodies`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_bodies")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A person.
pub mod org_person {
    use sea_orm::entity::prelude::*;

    /// A row of `org_people`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_people")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Column `email`.
        pub email: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A post: a person holding a role in a body for a term.
pub mod org_post {
    use sea_orm::entity::prelude::*;

    /// A row of `org_posts`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_posts")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `person`.
        pub person: String,
        /// Column `body`.
        pub body: String,
        /// Column `role`.
        pub role: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An M2 liaison assignment.
pub mod org_liaison {
    use sea_orm::entity::prelude::*;

    /// A row of `org_liaisons`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_liaisons")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `person`.
        pub person: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A delegation (a dated stand-in).
pub mod org_delegation {
    use sea_orm::entity::prelude::*;

    /// A row of `org_delegations`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_delegations")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `from_person`.
        pub from_person: String,
        /// Column `data`.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Org-wide values (the university's code and name).
pub mod org_meta {
    use sea_orm::entity::prelude::*;

    /// A row of `org_meta`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_meta")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Column `value`.
        #[sea_orm(column_type = "Text")]
        pub value: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
