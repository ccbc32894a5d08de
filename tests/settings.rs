//! The one settings table, seen over a real connection: the startup ParameterStatus
//! messages, `SHOW`, `current_setting()` and `pg_settings` agree for every setting, and a
//! session's own `SET` is what the catalog's `current_setting()` sees.

mod common;

use common::{PASSWORD, USER, simple_rows, start, test_config};
use dli_pg_gateway::settings::SETTINGS;
use tokio_postgres::{Client, NoTls};

/// The one value of `sql`'s first row and column (simple protocol).
async fn one(client: &Client, sql: &str) -> Option<String> {
    simple_rows(client, sql)
        .await
        .first()
        .and_then(|r| r.first().cloned().flatten())
}

/// Every setting read the three ways a client can; they must agree.
async fn agreed(client: &Client, shown: &str) -> String {
    let show = one(client, &format!("SHOW {shown}")).await;
    let current = one(client, &format!("SELECT current_setting('{shown}')")).await;
    let listed = one(
        client,
        &format!("SELECT setting FROM pg_catalog.pg_settings WHERE name = '{shown}'"),
    )
    .await;
    assert_eq!(show, current, "SHOW vs current_setting('{shown}')");
    assert_eq!(show, listed, "SHOW vs pg_settings for {shown}");
    // The extended protocol reads the same.
    let prepared: String = client
        .query_one(&format!("SELECT current_setting('{shown}') AS v"), &[])
        .await
        .unwrap_or_else(|e| panic!("{shown}: {e:?}"))
        .get(0);
    assert_eq!(show.as_deref(), Some(prepared.as_str()), "{shown} prepared");
    show.unwrap_or_default()
}

#[tokio::test]
async fn show_current_setting_pg_settings_and_startup_agree() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let conn_str = format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli application_name=boot",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn_str, NoTls)
        .await
        .expect("connects");
    let startup: Vec<(&str, Option<String>)> = SETTINGS
        .iter()
        .filter(|s| s.reported)
        .map(|s| (s.shown, connection.parameter(s.shown).map(str::to_string)))
        .collect();
    tokio::spawn(async move {
        let _ = connection.await;
    });

    for s in SETTINGS {
        agreed(&client, s.shown).await;
    }
    for (shown, reported) in startup {
        assert_eq!(
            reported,
            Some(agreed(&client, shown).await),
            "ParameterStatus {shown}"
        );
    }
    assert_eq!(agreed(&client, "application_name").await, "boot");
    assert_eq!(agreed(&client, "search_path").await, "\"default\"");
    assert_eq!(agreed(&client, "is_superuser").await, "on");
    let rolsuper = one(
        &client,
        "SELECT rolsuper::text FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .await;
    assert_eq!(
        rolsuper.as_deref(),
        Some("true"),
        "is_superuser agrees with pg_roles"
    );

    // A session's own values reach the catalog.
    for sql in [
        "SET application_name = 'x'",
        "SET search_path = tpch",
        "SET statement_timeout = '2s'",
        "SET dli.queue = 'analytics'",
    ] {
        client.simple_query(sql).await.unwrap();
    }
    assert_eq!(
        one(&client, "SELECT current_setting('application_name')").await,
        Some("x".into())
    );
    assert_eq!(agreed(&client, "application_name").await, "x");
    assert_eq!(agreed(&client, "search_path").await, "tpch");
    assert_eq!(agreed(&client, "statement_timeout").await, "2s");
    assert_eq!(agreed(&client, "dli.queue").await, "analytics");
    let source = one(
        &client,
        "SELECT source FROM pg_catalog.pg_settings WHERE name = 'application_name'",
    )
    .await;
    assert_eq!(source.as_deref(), Some("session"));
    for s in SETTINGS {
        agreed(&client, s.shown).await;
    }

    // version() is one string, answered locally or by the catalog.
    let local = one(&client, "SELECT version()").await;
    let catalog = one(&client, "SELECT version() FROM pg_catalog.pg_class LIMIT 1").await;
    assert_eq!(local, catalog);
}
