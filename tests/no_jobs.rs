//! No DLI job for what the gateway can answer itself (issue 9): connection probes and
//! constant queries (`SELECT 1` …) with Spark's types and names, and `DEALLOCATE`, in
//! both protocols — counted on the DLI service. Spark's clock functions (`now()`,
//! `current_date`, `current_timestamp()`) run on DLI, or are answered by the gateway on
//! the configured Spark time zone.

mod common;

use common::{connect, gateway_config, job_count, service, simple_rows, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_constants_cost_no_job() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), false).await;
    let cfg = gateway_config(&svc, &base);
    let gw = start(cfg.clone()).await;
    let client = connect(&gw).await;
    let before = job_count(&cfg).await;

    for sql in [
        "SELECT 1",
        "select 2",
        "SELECT 'literal'",
        "SELECT 1 + 1 AS two, 1 / 4, NULL",
        "SELECT CAST('42' AS int) AS n, 7::text, 'true'::boolean, '\\x00ff'::bytea",
    ] {
        client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let row = client.query_one("SELECT 1", &[]).await.expect("extended");
    assert_eq!(row.get::<_, i32>(0), 1);
    assert_eq!(row.columns()[0].name(), "?column?");
    let row = client
        .query_one(
            "SELECT 3000000000 AS big, 1.50 AS d, 7 / 2 AS q, 'x' AS s",
            &[],
        )
        .await
        .expect("typed constants");
    assert_eq!(row.get::<_, i64>("big"), 3_000_000_000);
    assert_eq!(row.get::<_, rust_decimal::Decimal>("d").to_string(), "1.50");
    assert_eq!(row.get::<_, i32>("q"), 3);
    assert_eq!(row.get::<_, String>("s"), "x");
    let row = client
        .query_one(
            "SELECT CAST('42' AS int) AS n, 7::text, '\\x00ff'::bytea",
            &[],
        )
        .await
        .expect("casts");
    assert_eq!(row.get::<_, i32>("n"), 42);
    assert_eq!(row.get::<_, String>(1), "7");
    assert_eq!(row.columns()[1].name(), "text");
    assert_eq!(row.get::<_, Vec<u8>>(2), vec![0, 255]);
    client
        .batch_execute("DEALLOCATE \"_PLAN0x1\"; DEALLOCATE ALL")
        .await
        .expect("deallocate");
    assert_eq!(
        job_count(&cfg).await,
        before,
        "no job for probes, constants, DEALLOCATE"
    );

    // What needs Spark still runs there: an overflow wraps on Spark, so it is DLI's.
    let rows = simple_rows(&client, "SELECT 2147483647 + 1").await;
    assert_eq!(rows, vec![vec![Some("-2147483648".to_string())]]);
    assert_eq!(job_count(&cfg).await, before + 1);

    // Without the queue's Spark time zone, the clock functions run on DLI (here the
    // embedded engine, whose Spark reads UTC).
    let today = chrono::Utc::now().date_naive().to_string();
    let rows = simple_rows(&client, "SELECT current_date, now(), current_timestamp()").await;
    assert_eq!(rows[0][0].as_deref(), Some(today.as_str()));
    assert!(
        rows[0][1]
            .as_deref()
            .unwrap_or_default()
            .starts_with(&today[..4])
    );
    assert!(rows[0][2].is_some());
    assert_eq!(job_count(&cfg).await, before + 2);
    gw.shutdown().await;

    // With it, the gateway answers them as Spark would on that zone, under Postgres's
    // column names: no job.
    let mut tokyo = cfg.clone();
    tokyo.runner.spark_time_zone = Some("Asia/Tokyo".into());
    let gw = start(tokyo).await;
    let client = connect(&gw).await;
    let before = job_count(&cfg).await;
    let sql = "SELECT now(), current_date, current_timezone(), CURRENT_TIMESTAMP AS ts";
    let stmt = client.prepare(sql).await.expect("prepare");
    let first = client.query_one(&stmt, &[]).await.expect("clock row");
    let names: Vec<&str> = first.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["now", "current_date", "current_timezone", "ts"]);
    let tokyo_now = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .naive_local();
    let now: chrono::NaiveDateTime = first.get(0);
    assert!(
        (tokyo_now - now).num_seconds().abs() < 60,
        "{now} is not Tokyo's wall clock {tokyo_now}"
    );
    assert_eq!(first.get::<_, chrono::NaiveDate>(1), now.date());
    assert_eq!(first.get::<_, String>(2), "Asia/Tokyo");
    assert_eq!(
        first.get::<_, chrono::NaiveDateTime>(3),
        now,
        "one instant per statement"
    );
    // a prepared statement reads the clock at each execution
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = client.query_one(&stmt, &[]).await.expect("clock row");
    assert!(second.get::<_, chrono::NaiveDateTime>(0) > now);
    // in expressions, the clock still goes to Spark
    simple_rows(&client, "SELECT now() > TIMESTAMP '2000-01-01 00:00:00'").await;
    assert_eq!(job_count(&cfg).await, before + 1);
    gw.shutdown().await;
    svc.shutdown().await;
}
