//! The job lifecycle against a scripted DLI ([`common::fake_jobs::FakeJobs`]) under
//! paused time: backoff growth and cap, waits proportional to the elapsed time, a 429
//! that pauses polling without failing the statement, the statement deadline, cancel on
//! drop, and statuses DLI does not document.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake_jobs::{FakeJobs, Step};
use dli_pg_gateway::dli::{Column, DliErrorKind, JobState};
use dli_pg_gateway::gateway::config::{PollScheduleKind, RunnerConfig};
use dli_pg_gateway::gateway::runner::{JobContext, Outcome, Runner};
use futures::StreamExt;

fn config() -> RunnerConfig {
    RunnerConfig {
        poll_schedule: PollScheduleKind::Backoff,
        poll_initial_ms: 100,
        poll_max_ms: 800,
        poll_multiplier: 2.0,
        ..RunnerConfig::default()
    }
}

fn context(timeout_ms: u64) -> JobContext {
    JobContext {
        currentdb: "default".into(),
        queue: None,
        statement_timeout_ms: timeout_ms,
        allow_truncated_results: false,
    }
}

/// Let tasks spawned by the runner (the cancel of an abandoned job) run.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test(start_paused = true)]
async fn polls_back_off_up_to_the_cap_and_return_the_rows() {
    let mut steps: Vec<Step> = (0..8).map(|_| Step::State(JobState::Running)).collect();
    steps.push(Step::State(JobState::Finished));
    let fake = Arc::new(FakeJobs::new(steps).with_result(
        vec![Column::new("n", "int")],
        vec![vec![serde_json::json!(7)]],
    ));
    let runner = Runner::new(fake.clone(), config());
    let finished = runner.run("SELECT 7", &context(0)).await.expect("runs");
    let Outcome::Rows { columns, rows, .. } = finished.outcome else {
        panic!("no rows")
    };
    let mut rows = rows.into_json().expect("preview rows");
    assert_eq!(columns, vec![Column::new("n", "int")]);
    let batch = rows.next().await.expect("a batch").expect("rows");
    assert_eq!(batch, vec![vec![serde_json::json!(7)]]);
    let polls = fake.poll_times();
    assert_eq!(polls.len(), 9);
    // The waits between polls: 100, 200, 400, 800, 800 … ms, each plus up to as much
    // again of jitter.
    for (k, pair) in polls.windows(2).enumerate() {
        let waited = pair[1] - pair[0];
        let base = Duration::from_millis((100u64 << k.min(3)).min(800));
        assert!(
            waited >= base && waited < base * 2 + Duration::from_millis(1),
            "wait {k} was {waited:?}, expected {base:?} plus jitter"
        );
    }
    assert_eq!(fake.cancel_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_query_check_sql_passed_is_not_checked_again_until_ddl_or_its_age() {
    use std::sync::atomic::Ordering;
    let fake = Arc::new(FakeJobs::new(vec![Step::State(JobState::Finished)]));
    let cfg = RunnerConfig {
        check_sql_memo_ms: 60_000,
        ..config()
    };
    let runner = Runner::new(fake.clone(), cfg);
    let checks = || fake.checks.load(Ordering::SeqCst);
    let ctx = context(0);
    runner.run("SELECT 7", &ctx).await.expect("runs");
    runner.run("SELECT 7", &ctx).await.expect("runs");
    assert_eq!((checks(), fake.submits.load(Ordering::SeqCst)), (1, 2));
    // Another database, or another text, is checked.
    let other = JobContext {
        currentdb: "other".into(),
        ..context(0)
    };
    runner.run("SELECT 7", &other).await.expect("runs");
    runner.run("SELECT 8", &ctx).await.expect("runs");
    assert_eq!(checks(), 3);
    // DDL through the gateway forgets every pass; so does age.
    runner.forget_checks();
    runner.run("SELECT 7", &ctx).await.expect("runs");
    assert_eq!(checks(), 4);
    tokio::time::sleep(Duration::from_secs(61)).await;
    runner.run("SELECT 7", &ctx).await.expect("runs");
    assert_eq!(checks(), 5);
    // What check-sql did not answer QUERY for is asked every time; 0 turns it off.
    *fake.check_type.lock().unwrap() = dli_pg_gateway::dli::JobType::Insert;
    runner
        .run("INSERT INTO t VALUES (1)", &ctx)
        .await
        .expect("runs");
    runner
        .run("INSERT INTO t VALUES (1)", &ctx)
        .await
        .expect("runs");
    assert_eq!(checks(), 7);
    let off = Runner::new(
        fake.clone(),
        RunnerConfig {
            check_sql_memo_ms: 0,
            ..config()
        },
    );
    *fake.check_type.lock().unwrap() = dli_pg_gateway::dli::JobType::Query;
    off.run("SELECT 9", &ctx).await.expect("runs");
    off.run("SELECT 9", &ctx).await.expect("runs");
    assert_eq!(checks(), 9);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_cancels_the_job_with_57014() {
    let fake = Arc::new(FakeJobs::stuck(JobState::Running));
    let runner = Runner::new(fake.clone(), config());
    let started = tokio::time::Instant::now();
    let err = runner
        .run("SELECT 1", &context(3_000))
        .await
        .expect_err("times out");
    assert_eq!(err.kind.sqlstate(), "57014");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(3_000) && took < Duration::from_millis(3_100),
        "{took:?}"
    );
    settle().await;
    assert_eq!(fake.cancel_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_statement_cancels_its_job_exactly_once() {
    let fake = Arc::new(FakeJobs::stuck(JobState::Running));
    let runner = Runner::new(fake.clone(), config());
    let ctx = context(0);
    tokio::select! {
        _ = runner.run("SELECT 1", &ctx) => panic!("a stuck job finished"),
        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
    settle().await;
    assert_eq!(fake.cancel_count(), 1);
    assert!(fake.poll_times().len() > 3);
    // Nothing more happens later.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(fake.cancel_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_status_is_a_clear_error_not_an_endless_poll() {
    for state in ["", "QUEUEING_FOREVER"] {
        let fake = Arc::new(FakeJobs::stuck(JobState::parse(state)));
        let runner = Runner::new(fake.clone(), config());
        let err = tokio::time::timeout(
            Duration::from_secs(600),
            runner.run("SELECT 1", &context(0)),
        )
        .await
        .expect("gives up by itself")
        .expect_err("an error");
        assert_eq!(err.kind.sqlstate(), "58000", "{err:?}");
        assert!(err.message.contains("unknown status"), "{}", err.message);
        assert_eq!(fake.poll_times().len(), 5);
        settle().await;
        assert_eq!(fake.cancel_count(), 1, "the job is cancelled");
    }
}

#[tokio::test(start_paused = true)]
async fn terminal_failures_and_status_errors_end_the_statement() {
    let fake = Arc::new(FakeJobs::new(vec![
        Step::State(JobState::Running),
        Step::State(JobState::Cancelled),
    ]));
    let err = Runner::new(fake.clone(), config())
        .run("SELECT 1", &context(0))
        .await
        .expect_err("cancelled elsewhere");
    assert_eq!(err.kind.sqlstate(), "57014");
    assert_eq!(
        fake.cancel_count(),
        0,
        "a terminal job is not cancelled again"
    );

    let fake = Arc::new(FakeJobs::new(vec![Step::Fail(DliErrorKind::NotFound)]));
    let err = Runner::new(fake.clone(), config())
        .run("SELECT 1", &context(0))
        .await
        .expect_err("status refused");
    assert!(err.detail.unwrap_or_default().contains("job-1"));
    assert_eq!(fake.submits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_result_larger_than_the_preview_fails_or_warns_never_silently() {
    let job = || {
        Arc::new(
            FakeJobs::new(vec![Step::State(JobState::Finished)])
                .with_result(
                    vec![Column::new("n", "int")],
                    (0..3).map(|i| vec![serde_json::json!(i)]).collect(),
                )
                .with_total(5),
        )
    };
    let err = Runner::new(job(), config())
        .run("SELECT n FROM t", &context(0))
        .await
        .expect_err("3 of 5 rows is not the result");
    assert_eq!(err.kind.sqlstate(), "54000");
    assert!(err.message.contains("has 5 rows"), "{}", err.message);
    assert!(err.message.contains("first 3"), "{}", err.message);
    assert!(
        err.hint
            .unwrap_or_default()
            .contains("dli.allow_truncated_results")
    );

    let mut ctx = context(0);
    ctx.allow_truncated_results = true;
    let finished = Runner::new(job(), config())
        .run("SELECT n FROM t", &ctx)
        .await
        .expect("truncation allowed");
    let Outcome::Rows { rows, notices, .. } = finished.outcome else {
        panic!("no rows")
    };
    let mut rows = rows.into_json().expect("preview rows");
    assert_eq!(rows.next().await.expect("batch").expect("rows").len(), 3);
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].message.contains("has 5 rows"),
        "{:?}",
        notices[0]
    );

    // A complete result (the count agrees) has no warning.
    let fake = Arc::new(
        FakeJobs::new(vec![Step::State(JobState::Finished)])
            .with_result(
                vec![Column::new("n", "int")],
                vec![vec![serde_json::json!(1)]],
            )
            .with_total(1),
    );
    let finished = Runner::new(fake, config())
        .run("SELECT 1", &context(0))
        .await
        .expect("complete");
    let Outcome::Rows { notices, .. } = finished.outcome else {
        panic!("no rows")
    };
    assert!(notices.is_empty());
}

#[tokio::test(start_paused = true)]
async fn proportional_waits_grow_with_the_time_the_job_has_run() {
    let mut steps: Vec<Step> = (0..80).map(|_| Step::State(JobState::Running)).collect();
    steps.push(Step::State(JobState::Finished));
    let fake = Arc::new(FakeJobs::new(steps).with_result(vec![Column::new("n", "int")], vec![]));
    let runner = Runner::new(fake.clone(), RunnerConfig::default());
    let submitted = tokio::time::Instant::now();
    runner.run("SELECT 7", &context(0)).await.expect("runs");
    let polls = fake.poll_times();
    assert_eq!(polls.len(), 81);
    // Default: wait 5 ms + 4 % of the time since submission, no jitter (tokio's timer
    // rounds up to the next millisecond).
    assert_eq!(polls[0] - submitted, Duration::from_millis(5));
    for pair in polls.windows(2) {
        let expected = Duration::from_millis(5) + (pair[0] - submitted).mul_f64(0.04);
        let waited = pair[1] - pair[0];
        assert!(
            waited >= expected && waited <= expected + Duration::from_millis(1),
            "waited {waited:?}, expected {expected:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_throttled_status_pauses_polling_and_the_statement_goes_on() {
    let steps = vec![
        Step::State(JobState::Running),
        Step::Fail(DliErrorKind::Throttled),
        Step::Fail(DliErrorKind::Throttled),
        Step::State(JobState::Running),
        Step::State(JobState::Finished),
    ];
    let fake = Arc::new(FakeJobs::new(steps).with_result(vec![Column::new("n", "int")], vec![]));
    let runner = Runner::new(fake.clone(), RunnerConfig::default());
    runner.run("SELECT 7", &context(0)).await.expect("runs");
    let polls = fake.poll_times();
    assert_eq!(polls.len(), 5);
    // No Retry-After given: each 429 pauses the status budget for a second.
    assert!(polls[2] - polls[1] >= Duration::from_secs(1));
    assert!(polls[3] - polls[2] >= Duration::from_secs(1));
    assert_eq!(fake.cancel_count(), 0);
}
