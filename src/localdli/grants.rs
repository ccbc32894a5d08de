//! Who calls the embedded service and which databases they may use.
//!
//! Owns: the `[[local.users]]` entries (IAM users of the project's account other than its
//! owner, each granted data permissions on some databases, as DLI's "Granting Data
//! Permission to Users", 003 §5.3, does), the [`Caller`] every authenticated request
//! carries, and the permission checks of the catalog endpoints and of SQL jobs. The
//! owner (`[local] iam_user` and its AK/SK) may use every database; a granted user sees
//! and uses only its own: listing databases (REST or `SHOW DATABASES`) leaves the others
//! out, and naming one answers DLI.0003 ("SQL permission verification fails", 003
//! §12 error codes) without saying whether it exists.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Deserialize;
use sqlparser::ast::{ObjectName, Visit, Visitor};

use super::engine::{Engine, Prepared};
use super::error::ApiError;
use super::stmt::Stmt;

/// One `[[local.users]]` entry: an IAM user that logs in with a password or signs with
/// its own AK/SK, granted the listed databases.
#[derive(Clone, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LocalUser {
    pub name: String,
    pub password: String,
    pub access_key: String,
    pub secret_key: String,
    /// Databases this user may see and use (lower case).
    pub databases: Vec<String>,
}

impl fmt::Debug for LocalUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("databases", &self.databases)
            .finish()
    }
}

impl LocalUser {
    /// The entry's problem, naming the key (`owner` is the `[local] iam_user`).
    pub fn problem(&self, owner: &str) -> Option<String> {
        let key = format!("local.users[{}]", self.name);
        if self.name.trim().is_empty() {
            return Some("local.users: every user needs a name".into());
        }
        if self.name == owner {
            return Some(format!(
                "{key}: the owner (local.iam_user) sees every database"
            ));
        }
        if self.password.is_empty() && self.access_key.is_empty() {
            return Some(format!("{key}: needs a password or an access_key"));
        }
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            return Some(format!("{key}: access_key and secret_key go together"));
        }
        self.databases
            .iter()
            .find(|d| d.is_empty() || d.to_lowercase() != **d)
            .map(|d| format!("{key}: database '{d}' must be a non-empty lower-case name"))
    }

    fn caller(&self) -> Caller {
        Caller::Granted {
            name: self.name.clone(),
            databases: Arc::new(self.databases.iter().cloned().collect()),
        }
    }
}

/// The identity an authenticated request carries (an axum request extension).
#[derive(Clone, Debug, PartialEq)]
pub enum Caller {
    /// The project's owner: every database.
    Owner,
    /// A user granted some databases only.
    Granted {
        name: String,
        databases: Arc<BTreeSet<String>>,
    },
}

impl Caller {
    /// The caller a password identity names, if the password is right.
    pub fn by_password(
        users: &[LocalUser],
        owner: (&str, &str),
        user: &str,
        password: &str,
    ) -> Option<Caller> {
        if (user, password) == owner {
            return Some(Caller::Owner);
        }
        users
            .iter()
            .find(|u| u.name == user && !u.password.is_empty() && u.password == password)
            .map(LocalUser::caller)
    }

    /// The caller an access key belongs to and the secret its signatures use.
    pub fn by_access_key<'a>(
        users: &'a [LocalUser],
        owner: (&'a str, &'a str),
        ak: &str,
    ) -> Option<(Caller, &'a str)> {
        if ak == owner.0 {
            return Some((Caller::Owner, owner.1));
        }
        users
            .iter()
            .find(|u| !u.access_key.is_empty() && u.access_key == ak)
            .map(|u| (u.caller(), u.secret_key.as_str()))
    }

    /// The user name jobs are recorded under (`owner` = the `[local] iam_user`).
    pub fn name<'a>(&'a self, owner: &'a str) -> &'a str {
        match self {
            Caller::Owner => owner,
            Caller::Granted { name, .. } => name,
        }
    }

    /// Whether the caller may see and use database `db`.
    pub fn may_use(&self, db: &str) -> bool {
        match self {
            Caller::Owner => true,
            Caller::Granted { databases, .. } => databases.contains(&db.to_lowercase()),
        }
    }

    /// DLI.0003 unless the caller may use `db`.
    pub fn require(&self, db: &str) -> Result<(), ApiError> {
        match self {
            Caller::Granted { name, .. } if !self.may_use(db) => {
                Err(denied(name, &format!("databases.{db}")))
            }
            _ => Ok(()),
        }
    }

    /// DLI.0003 unless the caller is the owner (creating databases is a project-level
    /// permission no data grant gives).
    pub fn require_owner(&self, what: &str) -> Result<(), ApiError> {
        match self {
            Caller::Owner => Ok(()),
            Caller::Granted { name, .. } => Err(denied(name, what)),
        }
    }

    /// DLI.0003 unless the caller may use every database a statement reads or changes
    /// (`currentdb` resolves unqualified names; a bare name that is no table of it, a
    /// CTE's for one, needs nothing).
    pub fn require_statement(
        &self,
        engine: &Engine,
        p: &Prepared,
        currentdb: &str,
    ) -> Result<(), ApiError> {
        if *self == Caller::Owner {
            return Ok(());
        }
        let dbs = match &p.stmt {
            Stmt::CreateDatabase { .. } => return self.require_owner("the project"),
            Stmt::ShowDatabases { .. } | Stmt::Unsupported { .. } => Vec::new(),
            Stmt::DropDatabase { name, .. } => vec![name.clone()],
            Stmt::DescribeDatabase { db } | Stmt::Use { db } => vec![db.clone()],
            Stmt::ShowTables { db, .. } => vec![db.clone().unwrap_or_else(|| currentdb.into())],
            Stmt::DropTable { name, .. }
            | Stmt::Truncate { name }
            | Stmt::DescribeTable { name } => {
                databases_named(engine, std::slice::from_ref(name), currentdb, true)
            }
            Stmt::CreateTable(spec) => {
                let mut names = vec![spec.name.clone()];
                if let Some(q) = &spec.query {
                    names.extend(relations(q.as_ref()));
                }
                databases_named(engine, &names, currentdb, true)
            }
            Stmt::Insert(s) | Stmt::Query(s) => {
                databases_named(engine, &relations(s.as_ref()), currentdb, false)
            }
        };
        dbs.iter().try_for_each(|db| self.require(db))
    }
}

fn denied(user: &str, resource: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "DLI.0003",
        format!("SQL permission verification fails: user {user} has no permission on {resource}."),
    )
}

/// Every relation name a statement mentions.
fn relations<V: Visit>(node: &V) -> Vec<ObjectName> {
    struct Names(Vec<ObjectName>);
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
            self.0.push(r.clone());
            ControlFlow::Continue(())
        }
    }
    let mut names = Names(Vec::new());
    let _ = node.visit(&mut names);
    names.0
}

/// The databases `names` live in; a bare name counts for `currentdb` when it is a table
/// of it or when `bare_is_target` (the statement creates or changes it).
fn databases_named(
    engine: &Engine,
    names: &[ObjectName],
    currentdb: &str,
    bare_is_target: bool,
) -> Vec<String> {
    let mut dbs = Vec::new();
    for name in names {
        let Ok((db, table)) = engine.table_target(name, currentdb) else {
            continue;
        };
        let bare = name.0.len() == 1;
        if !bare || bare_is_target || engine.registry.table(&db, &table).is_some() {
            dbs.push(db);
        }
    }
    dbs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, pw: &str, ak: &str, dbs: &[&str]) -> LocalUser {
        LocalUser {
            name: name.into(),
            password: pw.into(),
            access_key: ak.into(),
            secret_key: if ak.is_empty() { "" } else { "sk" }.into(),
            databases: dbs.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn callers_by_password_and_key() {
        let users = [user("alice", "pw-a", "AK-A", &["sales"])];
        let owner = ("dli", "owner-pw");
        assert_eq!(
            Caller::by_password(&users, owner, "dli", "owner-pw"),
            Some(Caller::Owner)
        );
        let alice = Caller::by_password(&users, owner, "alice", "pw-a").unwrap();
        assert!(alice.may_use("sales") && alice.may_use("SALES") && !alice.may_use("hr"));
        assert_eq!(
            Caller::by_password(&users, owner, "alice", "owner-pw"),
            None
        );
        assert_eq!(Caller::by_password(&users, owner, "alice", ""), None);
        let (c, sk) = Caller::by_access_key(&users, ("OWNER-AK", "OWNER-SK"), "AK-A").unwrap();
        assert_eq!((c, sk), (alice.clone(), "sk"));
        assert!(Caller::by_access_key(&users, ("OWNER-AK", "s"), "nobody").is_none());
        let e = alice.require("hr").unwrap_err();
        assert_eq!(e.code, "DLI.0003");
        assert!(alice.require_owner("the project").is_err());
    }

    #[test]
    fn entries_are_checked() {
        assert!(user("alice", "pw", "", &["sales"]).problem("dli").is_none());
        assert!(user("dli", "pw", "", &[]).problem("dli").is_some());
        assert!(user("bob", "", "", &[]).problem("dli").is_some());
        assert!(user("bob", "pw", "", &["Sales"]).problem("dli").is_some());
        let dbg = format!("{:?}", user("carol", "SECRET-PW", "AK", &[]));
        assert!(
            !dbg.contains("SECRET-PW") && !dbg.contains("\"sk\""),
            "{dbg}"
        );
    }
}
