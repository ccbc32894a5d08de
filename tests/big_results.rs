//! Complete results beyond DLI's 1000-row preview, end to end: the real gateway reads
//! them from the embedded service's S3 endpoint (export-result, or the status'
//! `result_path`), every value checked against tpchgen's own rows; portals suspended
//! and resumed (Execute with a row limit); cancel and disconnect in the middle of a
//! large result stop it and remove the exported files.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use common::{connect, start, test_config};
use dli_pg_gateway::config::Config;
use futures::{StreamExt, TryStreamExt};
use tokio_postgres::SimpleQueryMessage;
use tpchgen::generators::LineItemGenerator;

/// (orderkey, linenumber) → the text of the other checked columns, from tpchgen.
fn expected_lineitems(scale: f64) -> HashMap<(String, String), Vec<String>> {
    LineItemGenerator::new(scale, 1, 1)
        .iter()
        .map(|l| {
            (
                (l.l_orderkey.to_string(), l.l_linenumber.to_string()),
                vec![
                    format!("{}.00", l.l_quantity),
                    l.l_extendedprice.to_string(),
                    l.l_shipdate.to_string(),
                    l.l_comment.to_string(),
                ],
            )
        })
        .collect()
}

const LINEITEMS: &str = "SELECT l_orderkey, l_linenumber, l_quantity, l_extendedprice, l_shipdate, l_comment FROM tpch.lineitem";

fn check_lineitems(rows: Vec<Vec<String>>, scale: f64) {
    let mut expected = expected_lineitems(scale);
    assert!(expected.len() > 1000, "{} rows", expected.len());
    assert_eq!(rows.len(), expected.len(), "every row, once");
    for row in rows {
        let key = (row[0].clone(), row[1].clone());
        let want = expected
            .remove(&key)
            .unwrap_or_else(|| panic!("unexpected or repeated row {key:?}"));
        assert_eq!(row[2..], want[..], "row {key:?}");
    }
}

async fn simple_text_rows(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for m in client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    {
        if let SimpleQueryMessage::Row(r) = m {
            out.push(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("<null>").to_string())
                    .collect(),
            );
        }
    }
    out
}

fn exports_dir(wh: &Path) -> std::path::PathBuf {
    // The embedded service's OBS folder: <warehouse>/<obs dir>/<bucket>/...
    let mut found = None;
    for entry in std::fs::read_dir(wh).unwrap().flatten() {
        let candidate = entry.path().join("dli-results").join("gateway-exports");
        if candidate.exists() {
            found = Some(candidate);
        }
    }
    found.unwrap_or_else(|| wh.join("no-exports-yet"))
}

/// Files left under the export folder (the gateway removes what it exported).
fn exported_files(wh: &Path) -> usize {
    fn count(p: &Path) -> usize {
        std::fs::read_dir(p)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            count(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&exports_dir(wh))
}

async fn eventually_no_exported_files(wh: &Path) {
    for _ in 0..100 {
        if exported_files(wh) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("exported files left under {}", exports_dir(wh).display());
}

fn config(wh: &Path, tweak: impl FnOnce(&mut Config)) -> Config {
    let mut cfg = test_config(wh, true);
    tweak(&mut cfg);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_row_through_export_result_in_both_protocols() {
    let wh = tempfile::tempdir().unwrap();
    let cfg = config(wh.path(), |_| {});
    let scale = cfg.local.demo_scale_factor;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    check_lineitems(simple_text_rows(&client, LINEITEMS).await, scale);
    eventually_no_exported_files(wh.path()).await;
    // Extended protocol, binary values.
    let rows = client.query(LINEITEMS, &[]).await.expect("extended");
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.get::<_, i64>(0).to_string(),
                r.get::<_, i32>(1).to_string(),
                r.get::<_, rust_decimal::Decimal>(2).to_string(),
                r.get::<_, rust_decimal::Decimal>(3).to_string(),
                r.get::<_, chrono::NaiveDate>(4).to_string(),
                r.get::<_, String>(5),
            ]
        })
        .collect();
    check_lineitems(text, scale);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_row_through_result_path_and_gzip_exports() {
    let wh = tempfile::tempdir().unwrap();
    let cfg = config(wh.path(), |c| c.local.report_result_path = true);
    let scale = cfg.local.demo_scale_factor;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    check_lineitems(simple_text_rows(&client, LINEITEMS).await, scale);
    assert_eq!(exported_files(wh.path()), 0, "result_path needs no export");
    gw.shutdown().await;

    let wh = tempfile::tempdir().unwrap();
    let cfg = config(wh.path(), |c| {
        c.results.compress = dli_pg_gateway::results::Compression::Gzip;
        c.results.keep_exported = true;
    });
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    check_lineitems(simple_text_rows(&client, LINEITEMS).await, scale);
    let kept: Vec<String> = walk(&exports_dir(wh.path()));
    assert!(
        !kept.is_empty() && kept.iter().all(|f| f.ends_with(".gz")),
        "{kept:?}"
    );
    gw.shutdown().await;
}

fn walk(p: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_portal_with_a_row_limit_is_suspended_and_resumed() {
    let wh = tempfile::tempdir().unwrap();
    let scale = test_config(wh.path(), true).local.demo_scale_factor;
    let gw = start(config(wh.path(), |_| {})).await;
    let mut client = connect(&gw).await;
    let tx = client.transaction().await.expect("begin");
    let stmt = tx.prepare(LINEITEMS).await.expect("prepare");
    let portal = tx.bind(&stmt, &[]).await.expect("bind");
    let mut rows = Vec::new();
    let mut fetches = 0;
    loop {
        let chunk = tx.query_portal(&portal, 700).await.expect("execute 700");
        fetches += 1;
        let n = chunk.len();
        rows.extend(chunk.into_iter().map(|r| {
            vec![
                r.get::<_, i64>(0).to_string(),
                r.get::<_, i32>(1).to_string(),
                r.get::<_, rust_decimal::Decimal>(2).to_string(),
                r.get::<_, rust_decimal::Decimal>(3).to_string(),
                r.get::<_, chrono::NaiveDate>(4).to_string(),
                r.get::<_, String>(5),
            ]
        }));
        if n < 700 {
            break;
        }
    }
    let total = rows.len();
    assert_eq!(
        fetches,
        total / 700 + 1,
        "{total} rows in {fetches} Executes"
    );
    check_lineitems(rows, scale);
    tx.commit().await.expect("commit");
    gw.shutdown().await;
}

/// Send a cancel request while `rows` streams; the stream must end with 57014 before
/// its last item.
async fn cancel_and_expect_57014<T>(
    client: &tokio_postgres::Client,
    mut rows: std::pin::Pin<&mut impl futures::Stream<Item = Result<T, tokio_postgres::Error>>>,
) {
    client
        .cancel_token()
        .cancel_query(tokio_postgres::NoTls)
        .await
        .expect("cancel sent");
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(20), rows.try_next()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) => panic!("every row arrived despite the cancel"),
            Ok(Err(e)) => break e,
            Err(_) => panic!("no answer after cancel"),
        }
    };
    let code = err.as_db_error().map(|d| d.code().code().to_string());
    assert_eq!(code.as_deref(), Some("57014"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_or_disconnect_mid_result_stops_it_and_removes_the_export() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(config(wh.path(), |c| c.results.batch_rows = 64)).await;
    let client = connect(&gw).await;
    // COPY streams: read the first rows, then cancel. 25 × lineitem, far more than the
    // socket buffers hold, so the gateway is still sending when the cancel arrives.
    let copy = client
        .copy_out(
            "COPY (SELECT l.*, n.n_name FROM tpch.lineitem l CROSS JOIN tpch.nation n) TO STDOUT",
        )
        .await
        .expect("copy starts");
    futures::pin_mut!(copy);
    let first = copy.next().await.expect("a first chunk").expect("data");
    assert!(!first.is_empty());
    cancel_and_expect_57014(&client, copy).await;
    // The session goes on.
    let n = simple_text_rows(&client, "SELECT count(*) FROM tpch.nation").await;
    assert_eq!(n, vec![vec!["25".to_string()]]);
    eventually_no_exported_files(wh.path()).await;

    // Rows of a query (extended protocol) stop the same way.
    let stream = client
        .query_raw(
            "SELECT l.l_comment, n.n_name FROM tpch.lineitem l CROSS JOIN tpch.nation n",
            Vec::<i32>::new(),
        )
        .await
        .expect("query starts");
    futures::pin_mut!(stream);
    stream.next().await.expect("a first row").expect("row");
    cancel_and_expect_57014(&client, stream).await;
    eventually_no_exported_files(wh.path()).await;

    // A client that goes away mid-result: its download stops and the export is removed.
    let other = connect(&gw).await;
    let mut stream = Box::pin(
        other
            .query_raw(LINEITEMS, Vec::<i32>::new())
            .await
            .expect("query"),
    );
    let _ = stream.next().await.expect("a first row").expect("row");
    drop(stream);
    drop(other);
    eventually_no_exported_files(wh.path()).await;
    gw.shutdown().await;
}

/// Binary and nested columns cannot be exported as CSV (Spark refuses them): the gateway
/// asks for JSON lines and reads every value back with its type.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nested_and_binary_columns_come_through_a_json_export() {
    let wh = tempfile::tempdir().unwrap();
    let cfg = config(wh.path(), |_| {});
    let scale = cfg.local.demo_scale_factor;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    let rows = simple_text_rows(
        &client,
        "SELECT l_orderkey, l_linenumber, array(l_linenumber, l_partkey) AS a, \
         named_struct('q', l_quantity, 'c', l_comment) AS st, map('k', l_suppkey) AS m, \
         CAST(l_comment AS BINARY) AS b FROM tpch.lineitem",
    )
    .await;
    let expected: HashMap<(String, String), (i64, i64, String)> =
        LineItemGenerator::new(scale, 1, 1)
            .iter()
            .map(|l| {
                (
                    (l.l_orderkey.to_string(), l.l_linenumber.to_string()),
                    (l.l_partkey, l.l_suppkey, l.l_comment.to_string()),
                )
            })
            .collect();
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let key = (row[0].clone(), row[1].clone());
        let (partkey, suppkey, comment) = expected.get(&key).expect("a known row").clone();
        assert_eq!(
            row[2],
            format!("{{{},{partkey}}}", key.1),
            "array of {key:?}"
        );
        let st: serde_json::Value = serde_json::from_str(&row[3]).expect("struct as json");
        assert_eq!(
            st["c"],
            serde_json::Value::String(comment.clone()),
            "{key:?}"
        );
        let m: serde_json::Value = serde_json::from_str(&row[4]).expect("map as json");
        assert_eq!(m["k"], serde_json::json!(suppkey), "{key:?}");
        let hex: String = comment.bytes().map(|b| format!("{b:02x}")).collect();
        assert_eq!(row[5], format!("\\x{hex}"), "binary of {key:?}");
    }
    eventually_no_exported_files(wh.path()).await;
    gw.shutdown().await;
}
