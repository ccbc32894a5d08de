//! The embedded service's Flink job APIs, driven over loopback HTTP through the
//! project's own DLI Flink client (src/dli/flink): every endpoint, the documented
//! errors, the state machine (bounded polling, no timed assertions), persistence
//! across a restart. Paging and filters are in tests/local_flink/listing.rs, graph
//! shapes and the raw JSON quirks in tests/local_flink/shapes.rs.

#[path = "local_flink/harness.rs"]
mod harness;
#[path = "local_flink/listing.rs"]
mod listing;
#[path = "local_flink/shapes.rs"]
mod shapes;

use dli_pg_gateway::dli::flink::*;
use dli_pg_gateway::dli::types::JobTag;
use harness::*;
use tempfile::TempDir;

#[tokio::test]
async fn create_run_stop_delete_lifecycle() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let id = svc.create_sql("car_speed", KAFKA_SQL).await;
    let job = c.flink_job(id).await.unwrap();
    assert_eq!(job.name, "car_speed");
    assert_eq!(job.status.as_deref(), Some("job_init"));
    assert_eq!(job.job_type.as_deref(), Some("flink_opensource_sql_job"));
    assert_eq!(job.queue_name.as_deref(), Some("flink_general"));
    assert_eq!(job.start_time, None);
    let cfg = job.job_config.unwrap();
    assert_eq!((cfg.cu_number, cfg.parallel_number), (Some(2), Some(1)));
    assert_eq!(cfg.checkpoint_mode, Some(CheckpointMode::ExactlyOnce));
    assert_eq!(code(c.flink_execute_graph(id).await), "DLI.0002");

    let out = c.run_flink_jobs(&[id], None).await.unwrap();
    assert!(out[0].is_accepted(), "{out:?}");
    // A second run while submitting or running is refused for this job only.
    let again = c.run_flink_jobs(&[id], None).await.unwrap();
    assert_eq!(again[0].status, OutcomeStatus::Refused);
    assert!(again[0].message.contains("already running"), "{again:?}");
    let running = svc.wait_status(id, "job_running").await;
    assert!(running.start_time.is_some());
    let plan = c.flink_execute_graph(id).await.unwrap();
    assert_eq!(plan.jid.len(), 32);
    assert_eq!(plan.state.as_deref(), Some("RUNNING"));
    assert_eq!(plan.end_time, None);

    let out = c.stop_flink_jobs(&[id], Some(true)).await.unwrap();
    assert!(out[0].is_accepted() && !out[0].shared_answer, "{out:?}");
    let stopped = svc.wait_status(id, "job_cancel_success").await;
    assert!(stopped.savepoint_path.unwrap().starts_with("obs://"));
    let plan = c.flink_execute_graph(id).await.unwrap();
    assert_eq!(plan.state.as_deref(), Some("CANCELED"));
    assert!(plan.end_time.is_some());
    let again = c.stop_flink_jobs(&[id], None).await.unwrap();
    assert_eq!(again[0].status, OutcomeStatus::Refused);
    assert!(again[0].message.contains("not running"), "{again:?}");

    // Resume from the savepoint, then delete while running (any state, 003 §9.11).
    assert!(c.run_flink_jobs(&[id], Some(true)).await.unwrap()[0].is_accepted());
    let resumed = svc.wait_status(id, "job_running").await;
    assert!(resumed.status_desc.unwrap().contains("savepoint"));
    c.delete_flink_job(id).await.unwrap();
    assert_eq!(code(c.flink_job(id).await), "DLI.0002");
    assert_eq!(code(c.delete_flink_job(id).await), "DLI.0002");
    let all = c
        .list_all_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    assert!(all.iter().all(|j| j.job_id != id));
    // The name is free again.
    svc.create_sql("car_speed", KAFKA_SQL).await;
    svc.stop().await;
}

#[tokio::test]
async fn batches_mix_valid_running_and_unknown_jobs() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let a = svc.create_sql("a", KAFKA_SQL).await;
    let b = svc.create_sql("b", KAFKA_SQL).await;
    c.run_flink_jobs(&[a], None).await.unwrap();
    svc.wait_status(a, "job_running").await;
    let out = c.run_flink_jobs(&[a, b], None).await.unwrap();
    let st: Vec<_> = out.iter().map(|o| (o.job_id, o.status)).collect();
    assert_eq!(
        st,
        [(a, OutcomeStatus::Refused), (b, OutcomeStatus::Accepted)]
    );
    // One unknown id refuses the whole request and changes nothing.
    svc.wait_status(b, "job_running").await;
    let e = c.stop_flink_jobs(&[b, 999_999], None).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("DLI.0002"), "{e:?}");
    assert_eq!(e.http_status, Some(400));
    assert_eq!(svc.status(b).await, "job_running");
    assert_eq!(code(c.run_flink_jobs(&[], None).await), "DLI.0001");
    let out = c.stop_flink_jobs(&[a, b], None).await.unwrap();
    assert!(out.iter().all(|o| o.is_accepted()), "{out:?}");
    svc.wait_status(a, "job_cancel_success").await;
    let out = c.delete_flink_jobs(&[a, b]).await.unwrap();
    assert!(out.iter().all(|o| o.is_accepted() && o.shared_answer));
    assert_eq!(code(c.flink_job(b).await), "DLI.0002");
    assert_eq!(code(c.delete_flink_jobs(&[a]).await), "DLI.0002");
    svc.stop().await;
}

#[tokio::test]
async fn create_and_update_validation() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let id = svc.create_sql("valid_1", KAFKA_SQL).await;
    let bad = |f: fn(&mut CreateSqlJobRequest)| {
        let mut r = sql_job("other", KAFKA_SQL);
        f(&mut r);
        r
    };
    let cases: Vec<(CreateSqlJobRequest, &str)> = vec![
        (bad(|r| r.name = String::new()), "DLI.0001"),
        (bad(|r| r.name = "x".repeat(58)), "DLI.0001"),
        (bad(|r| r.name = "has space".into()), "DLI.0001"),
        (bad(|r| r.name = "valid_1".into()), "DLI.0006"),
        (bad(|r| r.settings.cu_number = Some(1)), "DLI.0001"),
        (bad(|r| r.settings.cu_number = Some(401)), "DLI.0001"),
        (bad(|r| r.settings.parallel_number = Some(5)), "DLI.0001"),
        (bad(|r| r.settings.manager_cu_number = Some(2)), "DLI.0001"),
        (
            bad(|r| r.settings.queue_name = Some("nope".into())),
            "DLI.0002",
        ),
        (
            bad(|r| r.settings.checkpoint_mode = Some(CheckpointMode::Other("x".into()))),
            "DLI.0001",
        ),
        (bad(|r| r.settings.resume_max_num = Some(0)), "DLI.0001"),
        (
            bad(|r| r.settings.dirty_data_strategy = Some("3".into())),
            "DLI.0001",
        ),
        (
            bad(|r| r.settings.run_mode = Some("cloud".into())),
            "DLI.0001",
        ),
        (
            bad(|r| r.job_type = Some("flink_jar_job".into())),
            "DLI.0001",
        ),
        (bad(|r| r.settings.desc = Some("d".repeat(513))), "DLI.0001"),
        (
            bad(|r| {
                r.settings.sql_body = None;
                r.template_id = Some(7);
            }),
            "DLI.0002",
        ),
    ];
    for (req, want) in cases {
        let got = code(c.create_flink_sql_job(&req).await);
        assert_eq!(got, want, "{req:?}");
    }
    let upd = UpdateSqlJobRequest {
        name: Some("renamed".into()),
        ..Default::default()
    };
    assert_eq!(
        code(c.update_flink_sql_job(424_242, &upd).await),
        "DLI.0002"
    );
    let jar = UpdateJarJobRequest::default();
    assert_eq!(code(c.update_flink_jar_job(id, &jar).await), "DLI.0007");
    let other = svc.create_sql("valid_2", KAFKA_SQL).await;
    let clash = UpdateSqlJobRequest {
        name: Some("valid_1".into()),
        ..Default::default()
    };
    assert_eq!(
        code(c.update_flink_sql_job(other, &clash).await),
        "DLI.0006"
    );
    // A running job may be updated (the change applies to its next run).
    c.run_flink_jobs(&[other], None).await.unwrap();
    svc.wait_status(other, "job_running").await;
    let desc = UpdateSqlJobRequest {
        settings: SqlJobSettings {
            desc: Some("now".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    c.update_flink_sql_job(other, &desc).await.unwrap();
    svc.stop().await;

    // A job being processed is not updated: steps of ten minutes keep it there.
    let dir = TempDir::new().unwrap();
    let mut cfg = config(dir.path(), false);
    cfg.flink_step_ms = 600_000;
    let svc = Svc::start(cfg).await;
    let c = &svc.client;
    let slow = svc.create_sql("slow", KAFKA_SQL).await;
    c.run_flink_jobs(&[slow], None).await.unwrap();
    assert_eq!(svc.status(slow).await, "job_submitting");
    assert_eq!(code(c.update_flink_sql_job(slow, &desc).await), "DLI.0007");
    let out = c.stop_flink_jobs(&[slow], None).await.unwrap();
    assert!(out[0].is_accepted(), "{out:?}");
    assert_eq!(svc.status(slow).await, "job_canceling");
    assert_eq!(code(c.update_flink_sql_job(slow, &desc).await), "DLI.0007");
    let again = c.stop_flink_jobs(&[slow], None).await.unwrap();
    assert_eq!(again[0].status, OutcomeStatus::Refused);
    svc.stop().await;
}

#[tokio::test]
async fn update_resets_omitted_fields_or_keeps_them() {
    for keep in [false, true] {
        let dir = TempDir::new().unwrap();
        let mut cfg = config(dir.path(), false);
        if keep {
            cfg.flink_update_omitted = "keep".into();
        }
        let svc = Svc::start(cfg).await;
        let c = &svc.client;
        let mut req = sql_job("tuned", KAFKA_SQL);
        req.settings.cu_number = Some(4);
        req.settings.parallel_number = Some(6);
        req.settings.checkpoint_enabled = Some(true);
        req.settings.checkpoint_mode = Some(CheckpointMode::AtLeastOnce);
        let id = c
            .create_flink_sql_job(&req)
            .await
            .unwrap()
            .job
            .unwrap()
            .job_id;
        let before = c.flink_job(id).await.unwrap();
        let upd = UpdateSqlJobRequest {
            settings: SqlJobSettings {
                desc: Some("new description".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let t = c.update_flink_sql_job(id, &upd).await.unwrap();
        let after = c.flink_job(id).await.unwrap();
        assert!(t.job.unwrap().update_time > before.update_time);
        assert_eq!(after.desc.as_deref(), Some("new description"));
        assert_eq!(after.sql_body, before.sql_body);
        assert_eq!(after.name, "tuned");
        let cfg = after.job_config.unwrap();
        let want = if keep { (4, 6, true) } else { (2, 1, false) };
        assert_eq!(
            (
                cfg.cu_number.unwrap(),
                cfg.parallel_number.unwrap(),
                cfg.checkpoint_enabled.unwrap()
            ),
            want,
            "keep={keep}"
        );
        svc.stop().await;
    }
}

#[tokio::test]
async fn jar_jobs_create_update_and_type_checks() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let req = CreateJarJobRequest {
        name: "queue_stream".into(),
        settings: JarJobSettings {
            main_class: Some("org.apache.flink.examples.streaming.JavaQueueStream".into()),
            entrypoint: Some("javaQueueStream.jar".into()),
            dependency_jars: Some(vec!["myGroup/test.jar".into()]),
            checkpoint_path: Some("obs://bucket/cp1".into()),
            ..Default::default()
        },
        tags: vec![JobTag {
            key: "team".into(),
            value: "rt".into(),
        }],
    };
    let id = c
        .create_flink_jar_job(&req)
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    let job = c.flink_job(id).await.unwrap();
    assert_eq!(job.job_type.as_deref(), Some("flink_jar_job"));
    assert_eq!(
        job.job_config.as_ref().unwrap().dependency_jars,
        ["myGroup/test.jar"]
    );
    let mut dup = req.clone();
    dup.name = "queue_stream_2".into();
    assert_eq!(code(c.create_flink_jar_job(&dup).await), "DLI.0006");
    let upd = UpdateJarJobRequest {
        settings: JarJobSettings {
            queue_name: Some(String::new()),
            ..Default::default()
        },
        ..Default::default()
    };
    // Seed 001: queue_name 1–128 on the Jar update.
    assert_eq!(code(c.update_flink_jar_job(id, &upd).await), "DLI.0001");
    let upd = UpdateJarJobRequest {
        settings: JarJobSettings {
            entrypoint_args: Some("--window 5".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    c.update_flink_jar_job(id, &upd).await.unwrap();
    let job = c.flink_job(id).await.unwrap();
    assert_eq!(job.entrypoint_args.as_deref(), Some("--window 5"));
    assert_eq!(
        job.main_class.as_deref(),
        Some("org.apache.flink.examples.streaming.JavaQueueStream")
    );
    let sql_upd = UpdateSqlJobRequest::default();
    assert_eq!(code(c.update_flink_sql_job(id, &sql_upd).await), "DLI.0007");
    let tagged = ListFlinkJobsQuery {
        tags: vec![JobTag {
            key: "team".into(),
            value: "rt".into(),
        }],
        ..Default::default()
    };
    let hits = c.list_all_flink_jobs(&tagged).await.unwrap();
    assert_eq!(hits.iter().map(|j| j.job_id).collect::<Vec<_>>(), [id]);
    svc.stop().await;
}

#[tokio::test]
async fn fault_markers_fail_restart_and_finish() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), false)).await;
    let c = &svc.client;
    let with = |marker: &str| format!("-- dli_local_flink: {marker}\n{KAFKA_SQL}");
    let submit = svc.create_sql("f_submit", &with("submit_fail")).await;
    let crash = svc
        .create_sql("f_crash", &with("runtime_exception_after_ms=60"))
        .await;
    let finish = svc
        .create_sql("f_finish", &with("finish_after_ms=60"))
        .await;
    let stopfail = svc.create_sql("f_stop", &with("stop_fail")).await;
    let mut restart = sql_job("f_restart", &with("runtime_exception_after_ms=60"));
    restart.settings.restart_when_exception = Some(true);
    restart.settings.resume_max_num = Some(2);
    let restart = c
        .create_flink_sql_job(&restart)
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    let ids = [submit, crash, finish, stopfail, restart];
    let out = c.run_flink_jobs(&ids, None).await.unwrap();
    assert!(out.iter().all(|o| o.is_accepted()), "{out:?}");
    let failed = svc.wait_status(submit, "job_submit_fail").await;
    assert!(failed.status_desc.unwrap().contains("submit_fail"));
    svc.wait_status(crash, "job_running_exception").await;
    svc.wait_status(finish, "job_finish").await;
    let plan = c.flink_execute_graph(finish).await.unwrap();
    assert_eq!(plan.state.as_deref(), Some("FINISHED"));
    let done = svc.wait_status(restart, "job_running_exception").await;
    assert!(done.status_desc.is_some());
    svc.wait_status(stopfail, "job_running").await;
    c.stop_flink_jobs(&[stopfail], None).await.unwrap();
    svc.wait_status(stopfail, "job_cancel_fail").await;
    // Every failed state can run again.
    let again = c
        .run_flink_jobs(&[crash, finish, stopfail], None)
        .await
        .unwrap();
    assert!(again.iter().all(|o| o.is_accepted()), "{again:?}");
    svc.stop().await;
}

#[tokio::test]
async fn registry_survives_a_restart() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), true)).await;
    let demo = svc
        .client
        .list_all_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap()
        .len();
    assert!(demo >= 5, "{demo} demo jobs");
    let kept = svc.create_sql("kept", KAFKA_SQL).await;
    let gone = svc.create_sql("gone", KAFKA_SQL).await;
    svc.client.run_flink_jobs(&[kept], None).await.unwrap();
    svc.client.delete_flink_job(gone).await.unwrap();
    svc.stop().await;

    let svc = Svc::start(config(dir.path(), true)).await;
    let c = &svc.client;
    let job = svc.wait_status(kept, "job_running").await;
    assert_eq!(job.name, "kept");
    assert_eq!(code(c.flink_job(gone).await), "DLI.0002");
    let all = c
        .list_all_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), demo + 1, "demo jobs are created once");
    let next = svc.create_sql("after_restart", KAFKA_SQL).await;
    assert!(next > gone, "ids are never reused");
    svc.stop().await;
}
