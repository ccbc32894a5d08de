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

/// `COPY (query) TO STDOUT` and `COPY table TO STDOUT` are served by the gateway from the
/// query's rows, in text and CSV, with psql's `\copy` too; COPY FROM is refused clearly.
#[tokio::test]
async fn copy_to_stdout_writes_every_row_in_text_and_csv() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), true)).await;
    let client = connect(&gw).await;
    client
        .batch_execute(
            "CREATE DATABASE cp; CREATE TABLE cp.t (id int, s string, d decimal(10,2)) USING parquet; \
             INSERT INTO cp.t VALUES (1, 'plain', 1.50), (2, 'a,b \"q\"', NULL), (3, NULL, -2.00), (4, 'tab\there', 0.00)",
        )
        .await
        .expect("setup");
    let names: Vec<String> = client
        .query("SELECT n_name FROM tpch.nation ORDER BY n_nationkey", &[])
        .await
        .expect("nation")
        .iter()
        .map(|r| r.get(0))
        .collect();

    let out = psql_output(
        &gw,
        "COPY (SELECT n_name FROM tpch.nation ORDER BY n_nationkey) TO STDOUT",
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got, names);

    let csv = psql_output(
        &gw,
        "COPY (SELECT id, s, d FROM cp.t ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)",
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "id,s,d\n1,plain,1.50\n2,\"a,b \"\"q\"\"\",\n3,,-2.00\n4,tab\there,0.00\n"
    );
    let text = psql_output(&gw, "COPY cp.t (id, s) TO STDOUT").await;
    let mut lines: Vec<String> = String::from_utf8_lossy(&text.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        vec!["1\tplain", "2\ta,b \"q\"", "3\t\\N", "4\ttab\\there"]
    );

    // psql's \copy: the rows land in the client's file; the count is the rows'.
    let file = wh.path().join("nation.csv");
    let out = psql_output(
        &gw,
        &format!(
            "\\copy (SELECT n_nationkey, n_name FROM tpch.nation ORDER BY 1) TO '{}' CSV HEADER",
            file.display()
        ),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("COPY 25"));
    let written = std::fs::read_to_string(&file).expect("file");
    assert_eq!(written.lines().count(), 26);
    assert!(
        written.starts_with("n_nationkey,n_name\n0,ALGERIA\n"),
        "{written}"
    );

    // Large results follow the same rule as queries: never silently cut.
    let big = psql_output(&gw, "COPY (SELECT l_orderkey FROM tpch.lineitem) TO STDOUT").await;
    assert!(!big.status.success());
    assert!(String::from_utf8_lossy(&big.stderr).contains("rows"));

    let refused = client
        .simple_query("COPY cp.t FROM STDIN")
        .await
        .expect_err("COPY FROM");
    assert_eq!(refused.code().map(|c| c.code()), Some("0A000"));
    client
        .simple_query("SELECT 1")
        .await
        .expect("the session goes on");
}
