//! Liandong's data layer: sea-orm entities, migrations (SQLite, PostgreSQL, MariaDB) and typed
//! store functions that turn rows into `workflows` types. No HTTP, no mail.

pub mod entity;
pub mod migration;
pub mod store;

pub use migration::Migrator;
pub use sea_orm;
pub use sea_orm_migration::MigratorTrait;
