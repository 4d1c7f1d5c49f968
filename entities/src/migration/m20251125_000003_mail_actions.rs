//! Email approvals: action tokens learn when they were made and by which notification; inbound
//! mail is kept (raw) before it is acknowledged; every attempt to act through mail is logged.
//! Web pages: people log in by a link mailed to them (`web_logins`) and hold a session.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds to `action_tokens`; creates `inbound_mail` and `mail_actions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table(Alias::new("action_tokens"))
                .add_column(ColumnDef::new(Alias::new("created_at")).big_integer().not_null().default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("action_tokens"))
                .add_column(ColumnDef::new(Alias::new("outbox_id")).big_integer().null())
                .to_owned(),
        )
        .await?;
        let mut raw = ColumnDef::new(Alias::new("raw"));
        raw.not_null();
        if m.get_database_backend() == sea_orm::DbBackend::MySql {
            // MySQL's BLOB holds 64 KiB; a reply with its quoted history can be more.
            raw.custom(Alias::new("LONGBLOB"));
        } else {
            raw.blob();
        }
        m.create_table(
            Table::create()
                .table(Alias::new("inbound_mail"))
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("received_at"))
                .col(string_len("source", 16))
                .col(string_len_null("peer", 64))
                .col(string_len_null("mail_from", 255))
                .col(string_len_null("rcpt", 255))
                .col(raw)
                .col(string_len("status", 16))
                .col(big_integer_null("claimed_at"))
                .col(text_null("outcome"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("inbound_mail_status")
                .table(Alias::new("inbound_mail"))
                .col(Alias::new("status"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("mail_actions"))
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                .col(string_len("channel", 16))
                .col(string_len_null("request_id", 36))
                .col(integer_null("task_no"))
                .col(string_len_null("person_id", 64))
                .col(string_len_null("sender", 255))
                .col(string_len_null("address", 64))
                .col(string_len_null("user_agent", 255))
                .col(string_len("outcome", 16))
                .col(text("reason"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("web_logins"))
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("person_id", 64))
                .col(string_len("next", 255))
                .col(big_integer("created_at"))
                .col(string_len_null("token_hash", 64))
                .col(big_integer_null("expires_at"))
                .col(big_integer_null("used_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("web_logins_token")
                .table(Alias::new("web_logins"))
                .col(Alias::new("token_hash"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("web_sessions"))
                .if_not_exists()
                .col(string_len("token_hash", 64).primary_key())
                .col(string_len("person_id", 64))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("revoked_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("web_sessions")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("web_logins")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("mail_actions")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("inbound_mail")).if_exists().to_owned()).await?;
        for c in ["outbox_id", "created_at"] {
            m.alter_table(Table::alter().table(Alias::new("action_tokens")).drop_column(Alias::new(c)).to_owned())
                .await?;
        }
        Ok(())
    }
}
