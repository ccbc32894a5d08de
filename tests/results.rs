//! Results larger than what the gateway can read of them (DLI's 1000-row preview, when
//! object storage cannot be reached) are never silently cut: the statement fails with
//! 54000 saying how many rows there are, or, when the session allows it, the first rows
//! come with a WARNING. Through tokio-postgres (both protocols) and psql, on the embedded
//! service's TPC-H demo. Complete results are in `tests/big_results.rs`.

mod common;

use common::{connect, psql_output, start, test_config};

#[tokio::test]
async fn a_large_result_fails_clearly_or_comes_truncated_with_a_warning() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), true);
    // Object storage nobody answers on: the export happens, its files cannot be read.
    cfg.results.endpoint = "http://127.0.0.1:9".into();
    cfg.results.protocol = dli_pg_gateway::results::ObsProtocol::S3;
    let gw = start(cfg).await;
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

    // Large results are complete: read beyond the preview from object storage.
    let total: i64 = client
        .query_one("SELECT count(*) FROM tpch.lineitem", &[])
        .await
        .expect("count")
        .get(0);
    let big = psql_output(&gw, "COPY (SELECT l_orderkey FROM tpch.lineitem) TO STDOUT").await;
    assert!(
        big.status.success(),
        "{}",
        String::from_utf8_lossy(&big.stderr)
    );
    assert!(total > 1000);
    assert_eq!(
        String::from_utf8_lossy(&big.stdout).lines().count() as i64,
        total
    );

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

/// SQL cursors are the gateway's own: DECLARE runs the query once, FETCH/MOVE read it
/// forward in pieces, CLOSE ends it; unknown, duplicate and backward use fail clearly.
#[tokio::test]
async fn cursors_declare_fetch_move_close() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = common::service(wh.path(), true).await;
    let cfg = common::gateway_config(&svc, &base);
    let gw = start(cfg.clone()).await;
    let client = connect(&gw).await;
    let names: Vec<String> = client
        .query("SELECT n_name FROM tpch.nation ORDER BY n_nationkey", &[])
        .await
        .expect("nation")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let jobs_before = common::job_count(&cfg).await;
    let fetched = |msgs: Vec<tokio_postgres::SimpleQueryMessage>| -> (Vec<String>, u64) {
        let mut rows = Vec::new();
        let mut tag = 0;
        for m in msgs {
            match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    rows.push(r.get(0).unwrap_or_default().to_string())
                }
                tokio_postgres::SimpleQueryMessage::CommandComplete(n) => tag = n,
                _ => {}
            }
        }
        (rows, tag)
    };
    client
        .simple_query(
            "BEGIN; DECLARE \"c1\" CURSOR WITHOUT HOLD FOR SELECT n_name FROM tpch.nation ORDER BY n_nationkey",
        )
        .await
        .expect("declare");
    let (first, n) = fetched(
        client
            .simple_query("FETCH FORWARD 10 FROM \"c1\"")
            .await
            .expect("fetch 10"),
    );
    assert_eq!((first.as_slice(), n), (&names[..10], 10));
    // pg_cursors lists it (psycopg 3 asks before closing a cursor it did not describe).
    let listed = client
        .query(
            "SELECT name, statement, is_holdable FROM pg_catalog.pg_cursors WHERE name = $1",
            &[&"c1"],
        )
        .await
        .expect("pg_cursors");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get::<_, String>(1).starts_with("DECLARE"));
    assert!(!listed[0].get::<_, bool>(2));
    let (next, _) = fetched(
        client
            .simple_query("FETCH NEXT FROM c1")
            .await
            .expect("next"),
    );
    assert_eq!(next, vec![names[10].clone()]);
    let (_, moved) = fetched(
        client
            .simple_query("MOVE FORWARD 4 IN c1")
            .await
            .expect("move"),
    );
    assert_eq!(moved, 4);
    let (rest, n) = fetched(client.simple_query("FETCH ALL FROM c1").await.expect("all"));
    assert_eq!((rest.as_slice(), n), (&names[15..], 10));
    let (none, n) = fetched(
        client
            .simple_query("FETCH 5 FROM c1")
            .await
            .expect("at end"),
    );
    assert!(none.is_empty() && n == 0);
    // The query ran once, as one DLI job, at DECLARE.
    assert_eq!(common::job_count(&cfg).await - jobs_before, 1);

    let code = |e: tokio_postgres::Error| e.code().map(|c| c.code().to_string());
    let dup = client
        .simple_query("DECLARE c1 CURSOR FOR SELECT 1")
        .await
        .expect_err("duplicate");
    assert_eq!(code(dup).as_deref(), Some("42P03"));
    let back = client
        .simple_query("FETCH BACKWARD 1 FROM c1")
        .await
        .expect_err("backward");
    assert_eq!(code(back).as_deref(), Some("55000"));
    client.simple_query("CLOSE c1").await.expect("close");
    let gone = client
        .simple_query("FETCH 1 FROM c1")
        .await
        .expect_err("closed");
    assert_eq!(code(gone).as_deref(), Some("34000"));
    // A catalog query as a cursor; CLOSE ALL.
    client
        .simple_query("DECLARE cat CURSOR FOR SELECT nspname FROM pg_namespace ORDER BY 1")
        .await
        .expect("catalog cursor");
    let (spaces, _) = fetched(
        client
            .simple_query("FETCH ALL FROM cat")
            .await
            .expect("fetch"),
    );
    assert!(spaces.contains(&"tpch".to_string()), "{spaces:?}");
    client.simple_query("CLOSE ALL").await.expect("close all");
    // Without HOLD a cursor ends with its transaction; WITH HOLD it stays.
    client
        .simple_query(
            "DECLARE tx CURSOR FOR SELECT 1 AS a; DECLARE kept CURSOR WITH HOLD FOR SELECT 2 AS b; COMMIT",
        )
        .await
        .expect("declare both");
    let gone = client
        .simple_query("FETCH 1 FROM tx")
        .await
        .expect_err("closed at commit");
    assert_eq!(code(gone).as_deref(), Some("34000"));
    let (kept, _) = fetched(
        client
            .simple_query("FETCH 1 FROM kept")
            .await
            .expect("held"),
    );
    assert_eq!(kept, vec!["2".to_string()]);
}
