//! Definition use cases: seed the built-ins, list, validate, save a draft version, publish.

use super::{App, AppError, Principal};
use chrono::Utc;
use entities::store;
use workflows::Diagnostic;
use workflows::diag::has_errors;

impl App {
    /// Brings the built-in definitions (`workflows/definitions/`, compiled in) up to date, on
    /// every start, the way a process engine deploys only changed resources:
    /// - a built-in with no version yet is published as version 1 (first start, or a built-in new
    ///   in this release);
    /// - a built-in whose newest version Liandong itself loaded (`created_by` empty) and whose text
    ///   differs from this release's is published as the next version: requests already running
    ///   stay on the version they started with, new ones take the new one;
    /// - a built-in an admin has changed since (newest version saved by a person) is left as the
    ///   admin made it; when this release brings a different text, the key is returned in
    ///   [`BuiltinSync::kept`] so start-up can say so.
    ///
    /// Two daemons starting at once may both try to publish: the second finds the version taken
    /// (unique `key, version`) and reads again; nothing is published twice.
    pub async fn sync_builtin_definitions(&self) -> Result<BuiltinSync, AppError> {
        let mut out = BuiltinSync::default();
        for (file, text) in workflows::builtin::BUILTIN {
            let key = file.trim_end_matches(".yaml");
            for attempt in 0..3 {
                let rows = store::definitions::versions(&self.db, key).await?;
                let Some(newest) = rows.last() else {
                    match store::definitions::insert(&self.db, key, text, None, true, Utc::now()).await {
                        Ok(_) => out.published.push(key.to_string()),
                        Err(e) if attempt < 2 && store::definitions::latest(&self.db, key, false).await?.is_some() => {
                            tracing::debug!(key, error = %e, "another daemon published the built-in first");
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    break;
                };
                if newest.yaml == *text {
                    break;
                }
                if newest.created_by.is_some() {
                    // An admin's version is newest: keep it; say so when this release's text is
                    // not the one Liandong loaded last.
                    let last_builtin = rows.iter().rev().find(|r| r.created_by.is_none());
                    if last_builtin.is_none_or(|r| r.yaml != *text) {
                        out.kept.push(key.to_string());
                    }
                    break;
                }
                match store::definitions::insert(&self.db, key, text, None, true, Utc::now()).await {
                    Ok(_) => out.published.push(key.to_string()),
                    Err(e) if attempt < 2 => {
                        tracing::debug!(key, error = %e, "another daemon published the built-in first");
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                break;
            }
        }
        Ok(out)
    }

    /// Validates YAML: every diagnostic with its line:col. Admins only (`Forbidden` otherwise):
    /// validating is part of authoring a definition, and only admins save them.
    pub fn validate_definition(&self, who: &Principal, yaml: &str) -> Result<Vec<Diagnostic>, AppError> {
        admin(who)?;
        Ok(workflows::validate::check_source(yaml).diagnostics)
    }

    /// Saves `yaml` as the next version of its key (a draft, or published at once); refused with
    /// the diagnostics when it has errors. Running requests stay on their version.
    pub async fn save_definition(
        &self,
        who: &Principal,
        yaml: &str,
        publish: bool,
    ) -> Result<store::definitions::Row, AppError> {
        admin(who)?;
        let checked = workflows::validate::check_source(yaml);
        let Some(def) = checked.definition.filter(|_| !has_errors(&checked.diagnostics)) else {
            return Err(invalid_definition(&checked.diagnostics));
        };
        Ok(store::definitions::insert(&self.db, &def.key, yaml, Some(&who.person), publish, Utc::now()).await?)
    }

    /// Publishes a draft version.
    pub async fn publish_definition(
        &self,
        who: &Principal,
        key: &str,
        version: i32,
    ) -> Result<store::definitions::Row, AppError> {
        admin(who)?;
        let row = store::definitions::get(&self.db, key, version)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no workflow `{key}` version {version}")))?;
        let diags = workflows::validate::check_source(&row.yaml).diagnostics;
        if has_errors(&diags) {
            return Err(invalid_definition(&diags));
        }
        if row.status == "published" {
            return Ok(row);
        }
        Ok(store::definitions::publish(&self.db, row, &who.person, Utc::now()).await?)
    }
}

/// Admins only.
pub fn admin(who: &Principal) -> Result<(), AppError> {
    if who.admin { Ok(()) } else { Err(AppError::Forbidden("only admins may change workflows and the org".into())) }
}

fn invalid_definition(diags: &[Diagnostic]) -> AppError {
    AppError::Invalid {
        code: "invalid_definition",
        message: format!(
            "the definition has {} problem(s)",
            diags.iter().filter(|d| d.severity == workflows::Severity::Error).count()
        ),
        fields: diags
            .iter()
            .map(|d| workflows::form::FieldError { field: d.pos.to_string(), code: d.code, message: d.message.clone() })
            .collect(),
    }
}

/// What [`App::sync_builtin_definitions`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuiltinSync {
    /// Keys published as a new version (first start, or changed in this release).
    pub published: Vec<String>,
    /// Keys whose newest version an admin saved, left as they are although this release's
    /// built-in text differs.
    pub kept: Vec<String>,
}
