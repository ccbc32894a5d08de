//! Results larger than what the gateway can read of them (DLI's 1000-row preview) are
//! never silently cut: the statement fails with 54000 saying how many rows there are, or,
//! when the session allows it, the first rows come with a WARNING. Through tokio-postgres
//! (both protocols) and psql, on the embedded service's TPC-H demo.

mod common;

use common::{connect, psql_output, start, test_config};

#[tokio::test]
async fn a_large_result_fails_clearly_or_comes_truncated_with_a_warning() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), true)).await;
    let client = connect(&gw).await;
    let total: i64 = client
        .query_one("SELECT count(*) FROM tpch.lineitem", &[])
        .await
        .expect("count")
        .get(0);
    assert!(total > 1000, "the demo lineitem has {total} rows");
    let sql = "SELECT l_orderkey FROM tpch.lineitem";
    let expect_54000 = |e: tokio_postgres::Error| {
        let db = e.as_db_error().expect("a server error");
        assert_eq!(db.code().code(), "54000", "{db:?}");
        assert!(
            db.message().contains(&format!("has {total} rows")),
            "{}",
            db.message()
        );
        assert!(db.message().contains("first 1000"), "{}", db.message());
        assert!(
            db.hint()
                .unwrap_or_default()
                .contains("dli.allow_truncated_results")
        );
    };
    expect_54000(client.simple_query(sql).await.expect_err("simple"));
    expect_54000(client.query(sql, &[]).await.expect_err("extended"));
    // A result that fits is complete, with no warning.
    let small = client
        .query("SELECT n_name FROM tpch.nation", &[])
        .await
        .expect("nation");
    assert_eq!(small.len(), 25);

    // Allowed for the session: the first 1000 rows, and a warning that says so.
    client
        .simple_query("SET dli.allow_truncated_results = on")
        .await
        .expect("set");
    let rows = client.query(sql, &[]).await.expect("truncated rows");
    assert_eq!(rows.len(), 1000);
    let shown = client
        .query_one("SHOW dli.allow_truncated_results", &[])
        .await
        .expect("show");
    assert_eq!(shown.get::<_, String>(0), "on");
    assert!(
        client
            .simple_query("SET dli.allow_truncated_results = maybe")
            .await
            .is_err()
    );

    let out = psql_output(&gw, &format!("SET dli.allow_truncated_results = on; {sql}")).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("WARNING:  result truncated: it has {total} rows")),
        "{stderr}"
    );
    // psql -t: the SET tag, then one line per row.
    assert_eq!(stdout.lines().count(), 1 + 1000, "{stdout}");
    // Not allowed (the default): psql shows the error.
    let out = psql_output(&gw, sql).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("has {total} rows")), "{stderr}");
}
