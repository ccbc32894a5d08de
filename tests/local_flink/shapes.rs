//! Stream graphs for a few SQL shapes, and the raw JSON answers compared with the
//! reference's examples (tests/fixtures/flink/*.json): quirks, switches, auth.

use std::collections::BTreeSet;

use dli_pg_gateway::dli::flink::*;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::harness::*;

fn graph_req(sql: &str) -> GenGraphRequest {
    GenGraphRequest {
        sql_body: sql.into(),
        job_type: Some("flink_opensource_sql_job".into()),
        graph_type: Some("job_graph".into()),
        ..Default::default()
    }
}

fn kinds(g: &StreamGraph) -> Vec<(i64, String, String, Vec<i64>)> {
    g.nodes
        .iter()
        .map(|n| {
            (
                n.id,
                n.node_type.clone(),
                n.contents.clone(),
                n.predecessors.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn stream_graphs_from_sql() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let id = svc.create_sql("graphs", KAFKA_SQL).await;
    // Seed 000: an empty sql_body uses the stored SQL; Source → select → Sink, ids 1, 2, 4.
    let g = c.flink_stream_graph(id, &graph_req("")).await.unwrap();
    let t = |a: i64, b: &str, c: &str, p: &[i64]| (a, b.to_string(), c.to_string(), p.to_vec());
    assert_eq!(
        kinds(&g),
        [
            t(1, "Source", "kafkaSource", &[]),
            t(2, "select", "car_id, car_owner, car_brand, car_speed", &[1]),
            t(4, "Sink", "kafkaSink", &[2]),
        ]
    );
    assert!(g.nodes.iter().all(|n| n.operator_id.len() == 32));
    let again = c.flink_stream_graph(id, &graph_req("")).await.unwrap();
    assert_eq!(g, again, "deterministic");

    let join = "CREATE TABLE o (id INT, amt INT) WITH ('connector' = 'kafka');
        CREATE TABLE u (id INT, name STRING) WITH ('connector' = 'jdbc');
        CREATE TABLE s (name STRING, total INT) WITH ('connector' = 'print');
        /* totals; per user */
        INSERT INTO s SELECT u.name, SUM(o.amt) FROM o JOIN u ON o.id = u.id
          WHERE o.amt > 10 GROUP BY u.name;";
    let g = c.flink_stream_graph(id, &graph_req(join)).await.unwrap();
    let k = kinds(&g);
    let types: Vec<&str> = k.iter().map(|n| n.1.as_str()).collect();
    assert_eq!(
        types,
        [
            "Source", "Source", "join", "filter", "groupBy", "select", "Sink"
        ]
    );
    assert_eq!(
        (k[0].2.as_str(), k[1].2.as_str()),
        ("kafkaSource", "jdbcSource")
    );
    assert_eq!(k[2].2, "o.id = u.id");
    assert_eq!(k[2].3, [k[0].0, k[1].0]);
    assert_eq!(k[3].2, "o.amt > 10");
    assert_eq!(k[5].2, "u.name, SUM(o.amt)");
    assert_eq!(k[6].2, "printSink");

    let set = format!(
        "{KAFKA_SQL}\nCREATE TEMPORARY VIEW v AS SELECT car_id FROM src;\nEXECUTE STATEMENT SET BEGIN\n\
         INSERT INTO snk SELECT * FROM v;\nINSERT INTO `snk` SELECT 'x;y', 1, 2, 3 FROM src WHERE car_speed > 1;\nEND;"
    );
    let g = c.flink_stream_graph(id, &graph_req(&set)).await.unwrap();
    let sinks = g.nodes.iter().filter(|n| n.node_type == "Sink").count();
    let sources: Vec<&str> = g
        .nodes
        .iter()
        .filter(|n| n.node_type == "Source")
        .map(|n| n.contents.as_str())
        .collect();
    assert_eq!((sinks, sources), (3, vec!["kafkaSource"; 3]));
    let ids: BTreeSet<i64> = g.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids.len(), g.nodes.len(), "unique ids");

    // Tolerant: unknown statements are skipped; no INSERT is DLI.0005; never a panic.
    let odd = "SET 'x' = 'y'; CREATE FUNCTION f AS 'a.B'; INSERT INTO t VALUES (1), (2);";
    let g = c.flink_stream_graph(id, &graph_req(odd)).await.unwrap();
    assert_eq!(
        g.nodes.first().map(|n| n.contents.as_str()),
        Some("valuesSource")
    );
    for junk in [
        "SELECT 1",
        "((((",
        "'unterminated",
        "/* open",
        "INSERT",
        "INSERT INTO",
    ] {
        let r = c.flink_stream_graph(id, &graph_req(junk)).await;
        assert!(r.is_err() || r.unwrap().nodes.iter().any(|n| n.node_type == "Sink"));
    }
    assert_eq!(
        code(c.flink_stream_graph(id, &graph_req("SELECT 1")).await),
        "DLI.0005"
    );
    let mut r = graph_req("");
    r.flink_version = Some("1.15".into());
    assert_eq!(code(c.flink_stream_graph(id, &r).await), "DLI.0001");
    let mut r = graph_req("");
    r.graph_type = Some("big_graph".into());
    assert_eq!(code(c.flink_stream_graph(id, &r).await), "DLI.0001");
    let mut r = graph_req("");
    r.job_type = Some("flink_sql_job".into());
    assert_eq!(code(c.flink_stream_graph(id, &r).await), "DLI.0001");
    assert_eq!(
        code(c.flink_stream_graph(777_777, &graph_req("")).await),
        "DLI.0002"
    );
    let jar = c
        .create_flink_jar_job(&CreateJarJobRequest {
            name: "jar_graph".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    assert_eq!(
        code(c.flink_stream_graph(jar, &graph_req("")).await),
        "DLI.0007"
    );
    svc.stop().await;
}

fn fixture(name: &str) -> Value {
    let file = format!("{}/tests/fixtures/flink/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The answers carry every key of the reference's examples, with their quirks.
#[tokio::test]
async fn raw_answers_match_the_reference_examples() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), true)).await;
    let (st, list) = svc
        .raw("GET", "streaming/jobs?limit=1&status=job_init", None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(list["is_success"], json!("true"));
    let item = &list["job_list"]["jobs"][0];
    let want = fixture("list_004.json");
    let want_item = &want["job_list"]["jobs"][0];
    assert!(keys(item).is_superset(&keys(want_item)), "{item}");
    assert_eq!(list["job_list"]["total_count"], json!(2));
    assert_eq!(list["job_list"]["jobs"].as_array().unwrap().len(), 1);
    let id = item["job_id"].as_i64().unwrap();
    let (_, detail) = svc.raw("GET", &format!("streaming/jobs/{id}"), None).await;
    let want = fixture("details_jar_003.json");
    assert!(keys(&detail["job_detail"]).is_superset(&keys(&want["job_detail"])));
    assert!(
        keys(&detail["job_detail"]["job_config"])
            .is_superset(&keys(&want["job_detail"]["job_config"])),
        "{}",
        detail["job_detail"]["job_config"]
    );
    assert_eq!(
        detail["job_detail"]["job_config"]["checkpoint_mode"],
        "exactly_once"
    );
    // Run answers an array of string booleans (seed 002), no job id.
    let (_, run) = svc
        .raw(
            "POST",
            "streaming/jobs/run",
            Some(json!({"job_ids": [id, id]})),
        )
        .await;
    assert_eq!(run[0]["is_success"], json!("true"));
    assert_eq!(run[1]["is_success"], json!("false"));
    assert_eq!(keys(&run[0]), keys(&fixture("run_002.json")[0]));
    // Jar create answers a real boolean (003 §9.4).
    let (_, created) = svc
        .raw(
            "POST",
            "streaming/flink-jobs",
            Some(json!({"name": "raw_jar"})),
        )
        .await;
    assert_eq!(created["is_success"], json!(true));
    assert_eq!(
        keys(&created["job"]),
        keys(&fixture("create_jar_003.json")["job"])
    );
    // Strict types, all-or-nothing, DLI error bodies.
    for (path, body) in [
        ("streaming/jobs/run", json!({"job_ids": "1"})),
        (
            "streaming/jobs/run",
            json!({"job_ids": [id], "resume_savepoint": "yes"}),
        ),
        ("streaming/jobs/stop", json!({})),
        ("streaming/jobs/delete", json!({"job_ids": []})),
        ("streaming/sql-jobs", json!({"name": "x", "cu_number": "2"})),
        (
            "streaming/sql-jobs",
            json!({"name": "x", "checkpoint_enabled": "true"}),
        ),
        (
            "streaming/sql-jobs",
            json!({"name": "x", "tags": [{"key": "k"}]}),
        ),
        (
            "streaming/sql-jobs",
            json!({"name": "x", "manager_cunumber": 1, "manager_cu_number": 2, "cu_number": 4}),
        ),
    ] {
        let (st, e) = svc.raw("POST", path, Some(body.clone())).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("DLI.0001")),
            "{path} {body}: {e}"
        );
        assert_eq!(e["is_success"], json!(false));
        assert!(e["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (st, e) = svc.raw("GET", "streaming/jobs/abc", None).await;
    assert_eq!((st, e["error_code"].as_str()), (400, Some("DLI.0001")));
    // Flink jobs run on general-purpose queues (003 §6.1), listed as such.
    let (_, q) = svc.raw("GET", "queues?queue_type=general", None).await;
    assert_eq!(q["queues"][0]["queue_name"], "flink_general");
    assert_eq!(q["queues"][0]["queue_type"], "general");
    let (_, q) = svc.raw("GET", "queues?queue_type=all", None).await;
    assert_eq!(q["queues"].as_array().unwrap().len(), 2);
    // The same IAM and project checks as the SQL-job APIs.
    let (st, e) = svc
        .raw("GET", "/v1.0/other-project/streaming/jobs", None)
        .await;
    assert_eq!((st, e["error_code"].as_str()), (400, Some("DLI.0001")));
    let (st, e) = svc
        .raw(
            "POST",
            "/v3/other-project/streaming/jobs/1/gen-graph",
            Some(json!({"sql_body": ""})),
        )
        .await;
    assert_eq!((st, e["error_code"].as_str()), (400, Some("DLI.0001")));
    let anon = svc
        .http
        .get(format!("{}/v1.0/{}/streaming/jobs", svc.base, svc.project))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    svc.stop().await;
}

/// The switches for the points where the documents disagree.
#[tokio::test]
async fn quirk_switches() {
    let dir = TempDir::new().unwrap();
    let mut cfg = config(dir.path(), false);
    cfg.flink_stop_reply = "object".into();
    cfg.flink_is_success = "boolean".into();
    cfg.flink_list_style = "003".into();
    let svc = Svc::start(cfg).await;
    let c = &svc.client;
    let a = svc.create_sql("sw_a", KAFKA_SQL).await;
    let b = svc.create_sql("sw_b", KAFKA_SQL).await;
    c.run_flink_jobs(&[a], None).await.unwrap();
    svc.wait_status(a, "job_running").await;
    // 003 §9.10's example: one object for the batch; the client applies it to each job.
    let out = c.stop_flink_jobs(&[a, b], None).await.unwrap();
    assert!(out.iter().all(|o| o.shared_answer), "{out:?}");
    let (_, stop) = svc
        .raw("POST", "streaming/jobs/stop", Some(json!({"job_ids": [b]})))
        .await;
    assert_eq!(stop["is_success"], json!(false));
    let (_, list) = svc.raw("GET", "streaming/jobs", None).await;
    assert_eq!(list["is_success"], json!(true));
    let item = &list["job_list"]["jobs"][0];
    assert!(keys(item).is_superset(&keys(&fixture("list_003.json")["job_list"]["jobs"][0])));
    assert!(item.get("has_savepoint").is_some() && item.get("graph_editor_enabled").is_some());
    let bad = dli_pg_gateway::localdli::LocalDliConfig {
        flink_is_success: "maybe".into(),
        ..config(dir.path(), false)
    };
    assert!(dli_pg_gateway::localdli::start(bad).await.is_err());
    svc.stop().await;
}
