//! sea-orm entities of the workflow tables (generated shape; behaviour lives in `store`).

/// A workflow definition version (draft or published).
pub mod definition {
    use sea_orm::entity::prelude::*;

    /// A row of `definitions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "definitions")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `key`.
        pub key: String,
        /// Column `version`.
        pub version: i32,
        /// Column `yaml`.
        #[sea_orm(column_type = "Text")]
        pub yaml: String,
        /// Column `status`.
        pub status: String,
        /// Column `created_by`.
        pub created_by: Option<String>,
        /// Column `created_at`.
        pub created_at: i64,
        /// Column `published_by`.
        pub published_by: Option<String>,
        /// Column `published_at`.
        pub published_at: Option<i64>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A request: its state projection and row version.
pub mod request {
    use sea_orm::entity::prelude::*;

    /// A row of `requests`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "requests")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Column `key`.
        pub key: String,
        /// Column `version`.
        pub version: i32,
        /// Column `submitter`.
        pub submitter: String,
        /// Column `title`.
        pub title: String,
        /// Column `status`.
        pub status: String,
        /// Column `need_to_know`.
        pub need_to_know: bool,
        /// Column `state`.
        #[sea_orm(column_type = "Text")]
        pub state: String,
        /// Column `row_version`.
        pub row_version: i64,
        /// Column `idempotency_key`.
        pub idempotency_key: Option<String>,
        /// Column `created_at`.
        pub created_at: i64,
        /// Column `updated_at`.
        pub updated_at: i64,
        /// Column `last_hash`: the hash of the newest event (NULL on rows older than it).
        pub last_hash: Option<String>,
        /// Column `idempotency_hash`: SHA-256 (hex) of the submit the idempotency key came with
        /// (NULL on rows older than it, or without a key).
        pub idempotency_hash: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A task: the inbox projection.
pub mod task {
    use sea_orm::entity::prelude::*;

    /// A row of `tasks`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_no: i32,
        /// Column `assignee`.
        pub assignee: String,
        /// Column `on_behalf_of`.
        pub on_behalf_of: Option<String>,
        /// Column `step`.
        pub step: String,
        /// Column `kind`.
        pub kind: String,
        /// Column `state`.
        pub state: String,
        /// Column `round`.
        pub round: i32,
        /// Column `created_at`.
        pub created_at: i64,
        /// Column `due_at`.
        pub due_at: Option<i64>,
        /// Column `post`: the post that made the reviewer one, as JSON (`workflows::org::PostRef`);
        /// null for a task given by name.
        pub post: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An event of a request, hash-chained.
pub mod event {
    use sea_orm::entity::prelude::*;

    /// A row of `events`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        /// Column `at`.
        pub at: i64,
        /// Column `kind`.
        pub kind: String,
        /// Column `channel`.
        pub channel: String,
        /// Column `body`.
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// Column `address`.
        pub address: Option<String>,
        /// Column `user_agent`.
        pub user_agent: Option<String>,
        /// When the reviewer's decision form was rendered (UTC milliseconds), on a decision
        /// posted with the daemon's signed `opened` value; the 秒批 signal reads it.
        pub opened_at: Option<i64>,
        /// Column `prev_hash`.
        pub prev_hash: String,
        /// Column `hash`.
        pub hash: String,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A notification to deliver (written in the command's transaction).
pub mod outbox {
    use sea_orm::entity::prelude::*;

    /// A row of `outbox`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `idempotency_key`.
        pub idempotency_key: String,
        /// Column `request_id`.
        pub request_id: String,
        /// Column `recipient`.
        pub recipient: String,
        /// Column `template`.
        pub template: String,
        /// Column `lang`.
        pub lang: String,
        /// Column `task_no`.
        pub task_no: Option<i32>,
        /// Column `status`.
        pub status: String,
        /// Column `attempts`.
        pub attempts: i32,
        /// Column `next_attempt_at`.
        pub next_attempt_at: i64,
        /// Column `created_at`.
        pub created_at: i64,
        /// Column `sent_at`.
        pub sent_at: Option<i64>,
        /// Column `last_error`.
        #[sea_orm(column_type = "Text")]
        pub last_error: Option<String>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A pending timer (reminder, escalation rung).
pub mod timer {
    use sea_orm::entity::prelude::*;

    /// A row of `timers`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "timers")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub timer_id: String,
        /// Column `due_at`.
        pub due_at: i64,
        /// Column `kind`.
        #[sea_orm(column_type = "Text")]
        pub kind: String,
        /// Column `status`.
        pub status: String,
        /// Column `claimed_by`.
        pub claimed_by: Option<String>,
        /// Column `claimed_at`.
        pub claimed_at: Option<i64>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A bearer token, stored as a SHA-256 hash.
pub mod api_token {
    use sea_orm::entity::prelude::*;

    /// A row of `api_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Column `person_id`.
        pub person_id: String,
        /// Column `name`.
        pub name: String,
        /// Column `token_hash`.
        pub token_hash: String,
        /// Column `admin`.
        pub admin: bool,
        /// Column `created_at`.
        pub created_at: i64,
        /// Column `revoked_at`.
        pub revoked_at: Option<i64>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A mail action token (link or reply), stored as a hash.
pub mod action_token {
    use sea_orm::entity::prelude::*;

    /// A row of `action_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "action_tokens")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Column `request_id`.
        pub request_id: String,
        /// Column `task_no`.
        pub task_no: i32,
        /// Column `person_id`.
        pub person_id: String,
        /// Column `round`.
        pub round: i32,
        /// Column `action`.
        pub action: String,
        /// Column `expires_at`.
        pub expires_at: i64,
        /// Column `used_at`.
        pub used_at: Option<i64>,
        /// Column `dead_at`.
        pub dead_at: Option<i64>,
        /// Column `created_at`.
        pub created_at: i64,
        /// The notification whose mail carried it.
        pub outbox_id: Option<i64>,
    }

    /// No relations are navigated through sea-orm; the store joins by key.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A mail received for the reply channel, kept before it was acknowledged.
pub mod inbound_mail {
    use sea_orm::entity::prelude::*;

    /// A row of `inbound_mail`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbound_mail")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// When it arrived (ms).
        pub received_at: i64,
        /// `smtp` or `imap`.
        pub source: String,
        /// The connecting address (SMTP).
        pub peer: Option<String>,
        /// The envelope sender (SMTP).
        pub mail_from: Option<String>,
        /// The envelope recipient (SMTP).
        pub rcpt: Option<String>,
        /// The message as received.
        pub raw: Vec<u8>,
        /// `pending`, `done`.
        pub status: String,
        /// When a worker took it.
        pub claimed_at: Option<i64>,
        /// What came of it.
        #[sea_orm(column_type = "Text", nullable)]
        pub outcome: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An attempt to act through mail (a link or a reply), accepted or refused.
pub mod mail_action {
    use sea_orm::entity::prelude::*;

    /// A row of `mail_actions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mail_actions")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// When (ms).
        pub at: i64,
        /// `email_link` or `email_reply`.
        pub channel: String,
        /// The request, when the token was known.
        pub request_id: Option<String>,
        /// The task, when the token was known.
        pub task_no: Option<i32>,
        /// The token's reviewer, when known.
        pub person_id: Option<String>,
        /// The mail's From: (replies).
        pub sender: Option<String>,
        /// The client's address.
        pub address: Option<String>,
        /// The client's user agent or mailer.
        pub user_agent: Option<String>,
        /// `decided`, `refused`, `unclear`.
        pub outcome: String,
        /// Why.
        #[sea_orm(column_type = "Text")]
        pub reason: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A login by mailed link: asked for, then mailed (its token's hash), then used.
pub mod web_login {
    use sea_orm::entity::prelude::*;

    /// A row of `web_logins`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_logins")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Who logs in.
        pub person_id: String,
        /// Where to go after.
        pub next: String,
        /// When it was asked for.
        pub created_at: i64,
        /// The mailed token's hash (set when the mail is made).
        pub token_hash: Option<String>,
        /// Until when the link works.
        pub expires_at: Option<i64>,
        /// When it was used.
        pub used_at: Option<i64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A web session (its cookie's hash).
pub mod web_session {
    use sea_orm::entity::prelude::*;

    /// A row of `web_sessions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sessions")]
    pub struct Model {
        /// The cookie's hash.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Who.
        pub person_id: String,
        /// Since.
        pub created_at: i64,
        /// Until.
        pub expires_at: i64,
        /// Logged out at.
        pub revoked_at: Option<i64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A periodic duty notice (sent once per duty, period and person).
pub mod duty_notice {
    use sea_orm::entity::prelude::*;

    /// A row of `duty_notices`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_notices")]
    pub struct Model {
        /// `duty:period:person`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Column `duty`.
        pub duty: String,
        /// Column `person`.
        pub person: String,
        /// Column `title` (JSON label).
        #[sea_orm(column_type = "Text")]
        pub title: String,
        /// Column `detail` (JSON label).
        #[sea_orm(column_type = "Text")]
        pub detail: String,
        /// Column `created_at`.
        pub created_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
