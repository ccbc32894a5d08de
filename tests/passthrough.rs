//! DLI-credential passthrough end to end, against the embedded service's IAM: logins
//! with an IAM password or AK/SK, sessions that run on the login's own DLI client, and
//! a catalog per identity that shows what that identity may see.

mod common;

use common::tls::{
    connect_plain, connect_tls, message, passthrough_config, select_one, self_signed, sqlstate,
};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::gateway::tls::TlsMode;

#[tokio::test]
async fn passthrough_runs_sessions_with_the_users_dli_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let gw = common::start(passthrough_config(dir.path(), &cert)).await;

    // IAM password; the domain comes from [dli.auth] (the embedded service's "local") …
    let c = connect_tls(&gw, &cert, "dli", "iam-pass-Q7", "")
        .await
        .expect("IAM password login");
    select_one(&c).await;
    // … or from user@domain
    let c = connect_tls(&gw, &cert, "dli@local", "iam-pass-Q7", "")
        .await
        .expect("user@domain login");
    select_one(&c).await;
    // AK/SK
    let c = connect_tls(&gw, &cert, "someone", "ak:PASSAK:pass-sk-Z9", "")
        .await
        .expect("AK/SK login");
    select_one(&c).await;
    // a second connection with the same credentials comes from the cache
    let c = connect_tls(&gw, &cert, "dli", "iam-pass-Q7", "")
        .await
        .expect("cached login");
    select_one(&c).await;

    for (user, pw) in [
        ("dli", "wrong-iam-pw"),
        ("dli@otherdomain", "iam-pass-Q7"),
        ("nobody", "iam-pass-Q7"),
        ("someone", "ak:PASSAK:wrong-sk"),
        ("someone", "ak:malformed"),
    ] {
        let e = connect_tls(&gw, &cert, user, pw, "")
            .await
            .err()
            .unwrap_or_else(|| panic!("{user} logged in"));
        assert_eq!(sqlstate(&e), "28P01", "{user}: {e:?}");
    }
    // never over plaintext, not even with the right password
    let e = connect_plain(&gw, "dli", "iam-pass-Q7")
        .await
        .expect_err("plaintext refused");
    assert_eq!(sqlstate(&e), "28000");
    assert!(message(&e).contains("only over TLS"), "{e:?}");
    gw.shutdown().await;
}

/// The gateway's own `[dli]` credentials are wrong here, so a statement can only succeed
/// if the session runs on the DLI client built from the login's credentials.
#[tokio::test]
async fn passthrough_sessions_run_on_the_users_own_client() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = passthrough_config(dir.path(), &cert);
    let svc = dli_pg_gateway::localdli::start(cfg.local.clone())
        .await
        .expect("local DLI");
    cfg.dli.endpoint = svc.endpoint();
    cfg.dli.project_id = svc.project_id().to_string();
    cfg.dli.auth.mode = dli_pg_gateway::dli::AuthMode::Token;
    cfg.dli.auth.domain_name = "local".into();
    cfg.dli.auth.user_name = "dli".into();
    cfg.dli.auth.password = "not-the-password".into();
    let gw = common::start(cfg).await;

    for (user, pw) in [("dli", "iam-pass-Q7"), ("x", "ak:PASSAK:pass-sk-Z9")] {
        let c = connect_tls(&gw, &cert, user, pw, "")
            .await
            .unwrap_or_else(|e| panic!("{user}: {e:?}"));
        select_one(&c).await;
    }
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test]
async fn passthrough_without_tls_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = passthrough_config(dir.path(), &cert);
    cfg.server.tls.mode = TlsMode::Disabled;
    let err = Gateway::start(cfg).await.err().expect("start fails");
    assert!(err.to_string().contains("dli-passthrough"), "{err}");
}

/// The schemas and tables a session's catalog shows (no DLI job: catalog queries).
async fn visible(c: &tokio_postgres::Client) -> Vec<String> {
    let rows = common::simple_rows(
        c,
        "SELECT table_schema || '.' || table_name FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'dli_flink') \
         ORDER BY 1",
    )
    .await;
    rows.into_iter().flatten().flatten().collect()
}

async fn schemas(c: &tokio_postgres::Client) -> Vec<String> {
    let rows = common::simple_rows(
        c,
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('sales', 'hr', 'vault') ORDER BY 1",
    )
    .await;
    rows.into_iter().flatten().flatten().collect()
}

/// Each identity's catalog shows what DLI lets that identity see — with the gateway's
/// own `[dli]` credentials being the owner's, who sees everything — and a DDL statement
/// of one identity reaches the catalogs of the others.
#[tokio::test]
async fn each_identity_sees_its_own_metadata() {
    use dli_pg_gateway::localdli::grants::LocalUser;
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = passthrough_config(dir.path(), &cert);
    cfg.local.users = vec![
        LocalUser {
            name: "alice".into(),
            password: "alice-pw-3".into(),
            databases: vec!["sales".into()],
            ..LocalUser::default()
        },
        LocalUser {
            name: "bob".into(),
            access_key: "BOBAK".into(),
            secret_key: "bob-sk-8".into(),
            databases: vec!["hr".into(), "sales".into()],
            ..LocalUser::default()
        },
    ];
    cfg.catalog.identities_max = 2;
    let gw = common::start(cfg).await;
    let owner = connect_tls(&gw, &cert, "dli", "iam-pass-Q7", "")
        .await
        .expect("owner login");
    for sql in [
        "CREATE DATABASE sales",
        "CREATE DATABASE hr",
        "CREATE DATABASE vault",
        "CREATE TABLE sales.orders (id INT, amount DOUBLE)",
        "CREATE TABLE hr.people (id INT, name STRING)",
        "CREATE TABLE vault.keys (id INT, secret STRING)",
        "INSERT INTO sales.orders VALUES (1, 9.5)",
    ] {
        owner
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
    let alice = connect_tls(&gw, &cert, "alice", "alice-pw-3", "")
        .await
        .expect("alice logs in");
    let bob = connect_tls(&gw, &cert, "bob", "ak:BOBAK:bob-sk-8", "")
        .await
        .expect("bob logs in");

    assert_eq!(
        visible(&owner).await,
        ["hr.people", "sales.orders", "vault.keys"]
    );
    assert_eq!(visible(&alice).await, ["sales.orders"]);
    assert_eq!(visible(&bob).await, ["hr.people", "sales.orders"]);
    assert_eq!(schemas(&alice).await, ["sales"]);
    assert_eq!(schemas(&bob).await, ["hr", "sales"]);
    let cols = common::simple_rows(
        &alice,
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = 'sales' AND table_name = 'orders' ORDER BY ordinal_position",
    )
    .await;
    assert_eq!(
        cols,
        [[Some("id".to_string())], [Some("amount".to_string())]]
    );

    // Data follows the same grants: DLI refuses, the client hears 42501.
    let rows = common::simple_rows(&alice, "SELECT amount FROM sales.orders").await;
    assert_eq!(rows, [[Some("9.5".to_string())]]);
    let e = alice
        .simple_query("SELECT * FROM hr.people")
        .await
        .expect_err("alice may not read hr");
    assert_eq!(sqlstate(&e), "42501", "{e:?}");

    // The owner's DDL reaches the catalogs alice and bob already loaded.
    owner
        .simple_query("CREATE TABLE sales.returns (id INT)")
        .await
        .expect("create");
    assert_eq!(visible(&alice).await, ["sales.orders", "sales.returns"]);
    assert_eq!(
        visible(&bob).await,
        ["hr.people", "sales.orders", "sales.returns"]
    );
    // A second session of an identity shares its catalog; it stays alice's view.
    let alice2 = connect_tls(&gw, &cert, "alice", "alice-pw-3", "")
        .await
        .expect("alice again");
    assert_eq!(visible(&alice2).await, ["sales.orders", "sales.returns"]);
    gw.shutdown().await;
}
