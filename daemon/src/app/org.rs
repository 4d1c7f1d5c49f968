//! Org use cases: import the whole org (all-or-nothing, every problem listed), export it, add a
//! delegation.

use super::{App, AppError, Principal, definitions::admin};
use entities::store;
use std::sync::Arc;
use workflows::form::FieldError;
use workflows::org::{Delegation, Directory, OrgDirectory};

/// What an import loaded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// Departments.
    pub departments: usize,
    /// Classes.
    pub classes: usize,
    /// People.
    pub people: usize,
    /// Posts.
    pub posts: usize,
    /// Liaisons.
    pub liaisons: usize,
}

impl App {
    /// Replaces the org with the YAML `text`; on any problem nothing is imported and every
    /// problem is listed with its line:col.
    pub async fn import_org(
        &self,
        who: &Principal,
        text: &str,
        progress: impl FnMut(usize, usize),
    ) -> Result<Imported, AppError> {
        admin(who)?;
        let org = workflows::org::file::load_org(text).map_err(|errs| AppError::Invalid {
            code: "invalid_org",
            message: format!("the org file has {} problem(s); nothing was imported", errs.len()),
            fields: errs
                .iter()
                .map(|e| FieldError { field: e.pos.to_string(), code: "org", message: e.message.clone() })
                .collect(),
        })?;
        store::org::replace_org(&self.db, &org, progress).await?;
        let imported = Imported {
            departments: org.departments.len(),
            classes: org.classes.len(),
            people: org.people.len(),
            posts: org.posts.len(),
            liaisons: org.liaisons.len(),
        };
        self.set_org(OrgDirectory::new(org));
        Ok(imported)
    }

    /// The org as an org file.
    pub fn export_org(&self, who: &Principal) -> Result<String, AppError> {
        admin(who)?;
        Ok(workflows::org::file::dump_org(self.org().org()))
    }

    /// Records a delegation: by an admin, or by the person who will be away.
    pub async fn add_delegation(&self, who: &Principal, d: Delegation) -> Result<(), AppError> {
        if !who.admin && who.person != d.from {
            return Err(AppError::Forbidden("only the person who is away, or an admin, may delegate".into()));
        }
        let org = self.org();
        for p in [&d.from, &d.to] {
            if org.person(p).is_none() {
                return Err(AppError::Invalid {
                    code: "unknown_person",
                    message: format!("`{p}` is not a person of the org"),
                    fields: vec![],
                });
            }
        }
        if d.ends <= d.starts || d.from == d.to {
            return Err(AppError::Invalid {
                code: "bad_delegation",
                message: "a delegation names two different people and ends after it starts".into(),
                fields: vec![],
            });
        }
        store::org::add_delegation(&self.db, &d).await?;
        let mut next = org.org().clone();
        next.delegations.push(d);
        self.set_org(OrgDirectory::new(next));
        Ok(())
    }

    fn set_org(&self, dir: OrgDirectory) {
        match self.org.write() {
            Ok(mut g) => *g = Arc::new(dir),
            Err(p) => *p.into_inner() = Arc::new(dir),
        }
    }
}
