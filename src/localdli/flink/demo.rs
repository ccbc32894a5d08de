//! Demo Flink jobs, created when the registry is first created (`[local]
//! flink_demo_jobs`): SQL and Jar jobs in several states, an edge parent with one child
//! (listed only with `root_job_id`), so `SELECT … FROM dli_flink.jobs` has something
//! to show and a small page size gives several pages.
//!
//! Owns: the demo definitions.

use super::machine::{self, Timing};
use super::model::JobRecord;
use super::registry::Jobs;

/// Seed 000's job: Kafka → select → Kafka.
pub const CAR_SPEED_SQL: &str = "CREATE TABLE car_infos (\n  car_id STRING,\n  car_owner STRING,\n  car_brand STRING,\n  car_speed INT\n) WITH (\n  'connector' = 'kafka',\n  'topic' = 'car_infos',\n  'properties.bootstrap.servers' = 'kafka:9092',\n  'format' = 'json'\n);\nCREATE TABLE car_speed_out (\n  car_id STRING,\n  car_owner STRING,\n  car_brand STRING,\n  car_speed INT\n) WITH (\n  'connector' = 'kafka',\n  'topic' = 'car_speed_out',\n  'properties.bootstrap.servers' = 'kafka:9092',\n  'format' = 'json'\n);\nINSERT INTO car_speed_out SELECT car_id, car_owner, car_brand, car_speed FROM car_infos;\n";

const FAST_CARS_SQL: &str = "CREATE TABLE cars (car_id STRING, car_speed INT) WITH ('connector' = 'datagen');\nCREATE TABLE fast_cars (car_id STRING, car_speed INT) WITH ('connector' = 'print');\nINSERT INTO fast_cars SELECT car_id, car_speed FROM cars WHERE car_speed > 120;\n";

const EDGE_SQL: &str = "CREATE TABLE sensor (id STRING, temp DOUBLE) WITH ('connector' = 'edgehub');\nCREATE TABLE alarms (id STRING, temp DOUBLE) WITH ('connector' = 'edgehub');\nINSERT INTO alarms SELECT id, temp FROM sensor WHERE temp > 80;\n";

/// Adds the demo jobs (created `now`, some already run).
pub fn seed(jobs: &mut Jobs, now: i64, owner: &str, queue: &str, t: Timing) {
    let base = |name: &str, job_type: &str, desc: &str| JobRecord {
        name: name.into(),
        desc: desc.into(),
        job_type: job_type.into(),
        queue_name: queue.into(),
        owner: owner.into(),
        create_time: now,
        update_time: now,
        ..JobRecord::default()
    };
    let started = |job: &mut JobRecord| {
        machine::run(job, now, false, t);
        // Started long enough ago that the submission is over.
        if let Some(p) = job.pending.as_mut() {
            p.at_ms = now;
        }
        machine::advance(job, now, t);
    };

    let mut j = base(
        "demo_car_speed",
        "flink_opensource_sql_job",
        "Seed 000's Kafka to Kafka job.",
    );
    j.sql_body = CAR_SPEED_SQL.into();
    j.run_mode = "exclusive_cluster".into();
    jobs.insert(j);

    let mut j = base(
        "demo_fast_cars",
        "flink_opensource_sql_job",
        "Running: cars faster than 120.",
    );
    j.sql_body = FAST_CARS_SQL.into();
    j.run_mode = "exclusive_cluster".into();
    j.config.checkpoint_enabled = true;
    started(&mut j);
    jobs.insert(j);

    let mut j = base(
        "demo_legacy_sql",
        "flink_sql_job",
        "A stopped job of DLI's own SQL dialect, with a savepoint.",
    );
    j.sql_body = FAST_CARS_SQL.into();
    started(&mut j);
    machine::stop(&mut j, now, true, Timing { step_ms: 0 });
    machine::advance(&mut j, now, Timing { step_ms: 0 });
    jobs.insert(j);

    let mut j = base("demo_queue_stream", "flink_jar_job", "003 §4.4's Jar job.");
    j.run_mode = "exclusive_cluster".into();
    j.main_class = Some("org.apache.flink.examples.streaming.JavaQueueStream".into());
    j.config.entrypoint = Some("javaQueueStream.jar".into());
    jobs.insert(j);

    let mut j = base(
        "demo_word_count",
        "flink_jar_job",
        "A Jar job whose submission failed.",
    );
    j.run_mode = "exclusive_cluster".into();
    j.main_class = Some("org.apache.flink.examples.streaming.WordCount".into());
    j.config.entrypoint = Some("wordCount.jar".into());
    j.entrypoint_args = Some("--dli-local-flink=submit_fail".into());
    started(&mut j);
    jobs.insert(j);

    let mut parent = base(
        "demo_edge_alarms",
        "flink_sql_edge_job",
        "An edge job (parent).",
    );
    parent.sql_body = EDGE_SQL.into();
    parent.run_mode = "edge_node".into();
    parent.config.edge_group_ids = Some(vec!["edge-group-1".into()]);
    started(&mut parent);
    let parent_id = jobs.insert(parent);

    let mut child = base(
        "demo_edge_alarms_node1",
        "flink_sql_edge_job",
        "An edge job's child on one edge node.",
    );
    child.sql_body = EDGE_SQL.into();
    child.run_mode = "edge_node".into();
    child.config.root_id = parent_id;
    child.config.edge_group_ids = Some(vec!["edge-group-1".into()]);
    started(&mut child);
    jobs.insert(child);
}
