//! The first schema: org, definitions, requests, tasks, events, outbox, timers, tokens.
//! Times are Unix milliseconds (BIGINT) so that they sort and compare the same on every database.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates every table and index.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn table(name: &'static str) -> TableCreateStatement {
    Table::create().table(Alias::new(name)).if_not_exists().to_owned()
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The org: one row per item; the whole org is replaced in one transaction on import.
        m.create_table(table("org_departments").col(string_len("code", 64).primary_key()).col(text("data")).to_owned())
            .await?;
        m.create_table(
            table("org_classes")
                .col(string_len("code", 64).primary_key())
                .col(string_len("department", 64))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_table(table("org_bodies").col(string_len("id", 160).primary_key()).col(text("data")).to_owned())
            .await?;
        m.create_table(
            table("org_people")
                .col(string_len("id", 64).primary_key())
                .col(string_len("email", 255))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("org_people", "org_people_email", &["email"], true)).await?;
        m.create_table(
            table("org_posts")
                .col(big_pk_auto("id"))
                .col(string_len("person", 64))
                .col(string_len("body", 160))
                .col(string_len("role", 64))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("org_posts", "org_posts_body", &["body", "role"], false)).await?;
        m.create_index(index("org_posts", "org_posts_person", &["person"], false)).await?;
        m.create_table(
            table("org_liaisons").col(big_pk_auto("id")).col(string_len("person", 64)).col(text("data")).to_owned(),
        )
        .await?;
        m.create_table(
            table("org_delegations")
                .col(big_pk_auto("id"))
                .col(string_len("from_person", 64))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_table(table("org_meta").col(string_len("key", 64).primary_key()).col(text("value")).to_owned())
            .await?;

        // Workflow definitions, versioned.
        m.create_table(
            table("definitions")
                .col(big_pk_auto("id"))
                .col(string_len("key", 64))
                .col(integer("version"))
                .col(text("yaml"))
                .col(string_len("status", 16))
                .col(string_len_null("created_by", 64))
                .col(big_integer("created_at"))
                .col(string_len_null("published_by", 64))
                .col(big_integer_null("published_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("definitions", "definitions_key_version", &["key", "version"], true)).await?;

        // Requests: the state projection, with a row version for optimistic concurrency.
        m.create_table(
            table("requests")
                .col(string_len("id", 36).primary_key())
                .col(string_len("key", 64))
                .col(integer("version"))
                .col(string_len("submitter", 64))
                .col(string_len("title", 400))
                .col(string_len("status", 24))
                .col(boolean("need_to_know"))
                .col(text("state"))
                .col(big_integer("row_version"))
                .col(string_len_null("idempotency_key", 128))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("requests", "requests_idempotency", &["submitter", "idempotency_key"], true)).await?;
        m.create_index(index("requests", "requests_status", &["status", "updated_at"], false)).await?;

        // Tasks: the inbox projection.
        m.create_table(
            table("tasks")
                .col(string_len("request_id", 36))
                .col(integer("task_no"))
                .col(string_len("assignee", 64))
                .col(string_len_null("on_behalf_of", 64))
                .col(string_len("step", 64))
                .col(string_len("kind", 16))
                .col(string_len("state", 16))
                .col(integer("round"))
                .col(big_integer("created_at"))
                .col(big_integer_null("due_at"))
                .primary_key(Index::create().col(Alias::new("request_id")).col(Alias::new("task_no")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("tasks", "tasks_assignee_state", &["assignee", "state", "created_at"], false)).await?;

        // Events: append-only, hash-chained per request.
        m.create_table(
            table("events")
                .col(string_len("request_id", 36))
                .col(big_integer("seq"))
                .col(big_integer("at"))
                .col(string_len("kind", 40))
                .col(string_len("channel", 16))
                .col(text("body"))
                .col(string_len_null("address", 64))
                .col(string_len_null("user_agent", 255))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                .primary_key(Index::create().col(Alias::new("request_id")).col(Alias::new("seq")))
                .to_owned(),
        )
        .await?;

        // Outbox: notifications to deliver, written in the command's transaction.
        m.create_table(
            table("outbox")
                .col(big_pk_auto("id"))
                .col(string_len("idempotency_key", 160))
                .col(string_len("request_id", 36))
                .col(string_len("recipient", 64))
                .col(string_len("template", 32))
                .col(string_len("lang", 8))
                .col(integer_null("task_no"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_at"))
                .col(big_integer("created_at"))
                .col(big_integer_null("sent_at"))
                .col(text_null("last_error"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("outbox", "outbox_key", &["idempotency_key"], true)).await?;
        m.create_index(index("outbox", "outbox_due", &["status", "next_attempt_at"], false)).await?;

        // Timers: reminders, escalation rungs, auto-actions; claimed by a poller.
        m.create_table(
            table("timers")
                .col(string_len("request_id", 36))
                .col(string_len("timer_id", 64))
                .col(big_integer("due_at"))
                .col(text("kind"))
                .col(string_len("status", 16))
                .col(string_len_null("claimed_by", 64))
                .col(big_integer_null("claimed_at"))
                .primary_key(Index::create().col(Alias::new("request_id")).col(Alias::new("timer_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("timers", "timers_due", &["status", "due_at"], false)).await?;

        // API tokens (bearer) and action tokens (mail links), stored only as hashes.
        m.create_table(
            table("api_tokens")
                .col(big_pk_auto("id"))
                .col(string_len("person_id", 64))
                .col(string_len("name", 120))
                .col(string_len("token_hash", 64))
                .col(boolean("admin"))
                .col(big_integer("created_at"))
                .col(big_integer_null("revoked_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_tokens", "api_tokens_hash", &["token_hash"], true)).await?;
        m.create_table(
            table("action_tokens")
                .col(string_len("token_hash", 64).primary_key())
                .col(string_len("request_id", 36))
                .col(integer("task_no"))
                .col(string_len("person_id", 64))
                .col(integer("round"))
                .col(string_len("action", 16))
                .col(big_integer("expires_at"))
                .col(big_integer_null("used_at"))
                .col(big_integer_null("dead_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("action_tokens", "action_tokens_task", &["request_id", "task_no"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "action_tokens",
            "api_tokens",
            "timers",
            "outbox",
            "events",
            "tasks",
            "requests",
            "definitions",
            "org_meta",
            "org_delegations",
            "org_liaisons",
            "org_posts",
            "org_people",
            "org_bodies",
            "org_classes",
            "org_departments",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
