//! Definition use cases: seed the built-ins, list, validate, save a draft version, publish.

use super::{App, AppError, Principal};
use chrono::Utc;
use entities::store;
use workflows::Diagnostic;
use workflows::diag::has_errors;

impl App {
    /// Publishes every built-in definition that has no version yet (first start).
    pub async fn seed_builtin_definitions(&self) -> Result<usize, AppError> {
        let mut n = 0;
        for (file, text) in workflows::builtin::BUILTIN {
            let key = file.trim_end_matches(".yaml");
            if store::definitions::latest(&self.db, key, false).await?.is_none() {
                store::definitions::insert(&self.db, key, text, None, true, Utc::now()).await?;
                n += 1;
            }
        }
        Ok(n)
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
