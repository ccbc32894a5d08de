//! The Flink job list through the client: every filter, paging with more jobs than
//! one page (both orders), edge child jobs only under `root_job_id`, `show_detail`,
//! and the documented parameter errors.

use dli_pg_gateway::dli::flink::*;
use tempfile::TempDir;

use super::harness::*;

#[tokio::test]
async fn list_filters_paging_and_edge_children() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(config(dir.path(), true)).await;
    let c = &svc.client;
    for i in 0..23 {
        svc.create_sql(&format!("bulk_{i:02}"), KAFKA_SQL).await;
    }
    let page = |offset: u32, order: &str| ListFlinkJobsQuery {
        name: Some("bulk_".into()),
        limit: Some(7),
        offset: Some(offset),
        order: Some(order.into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    for off in (0..28).step_by(7) {
        let p = c.list_flink_jobs(&page(off, "asc")).await.unwrap();
        let p = p.job_list.unwrap();
        assert_eq!(p.total_count, Some(23));
        seen.extend(p.jobs.into_iter().map(|j| j.name));
    }
    let want: Vec<String> = (0..23).map(|i| format!("bulk_{i:02}")).collect();
    assert_eq!(seen, want);
    let first = c.list_flink_jobs(&page(0, "desc")).await.unwrap();
    assert_eq!(first.job_list.unwrap().jobs[0].name, "bulk_22");
    let default = c
        .list_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    assert_eq!(default.job_list.unwrap().jobs.len(), 10, "default limit 10");

    let all = c
        .list_all_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    assert!(all.len() > 23 + 4);
    assert!(
        all.iter().all(|j| j.root_id.unwrap_or(-1) <= 0),
        "no edge children"
    );
    let parent = all
        .iter()
        .find(|j| j.job_type.as_deref() == Some("flink_sql_edge_job"))
        .unwrap();
    let kids = c
        .list_all_flink_jobs(&ListFlinkJobsQuery {
            root_job_id: Some(parent.job_id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(kids.len(), 1);
    assert_eq!(kids[0].root_id, Some(parent.job_id));
    for (q, pred) in [
        (
            ListFlinkJobsQuery {
                status: Some("job_running".into()),
                ..Default::default()
            },
            "job_running",
        ),
        (
            ListFlinkJobsQuery {
                job_type: Some("flink_jar_job".into()),
                ..Default::default()
            },
            "flink_jar_job",
        ),
    ] {
        let hits = c.list_all_flink_jobs(&q).await.unwrap();
        assert!(!hits.is_empty());
        assert!(
            hits.iter()
                .all(|j| j.status.as_deref() == Some(pred) || j.job_type.as_deref() == Some(pred))
        );
    }
    let detailed = c
        .list_flink_jobs(&ListFlinkJobsQuery {
            show_detail: Some(true),
            queue_name: Some("flink_general".into()),
            user_name: Some("dli".into()),
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    let jobs = detailed.job_list.unwrap().jobs;
    assert!(
        jobs.len() > 23
            && jobs
                .iter()
                .all(|j| j.job_config.is_some() && j.user_id.is_some())
    );
    let none = c
        .list_all_flink_jobs(&ListFlinkJobsQuery {
            user_name: Some("someone".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    for bad in [
        ListFlinkJobsQuery {
            limit: Some(101),
            ..Default::default()
        },
        ListFlinkJobsQuery {
            limit: Some(0),
            ..Default::default()
        },
        ListFlinkJobsQuery {
            status: Some("job_flying".into()),
            ..Default::default()
        },
        ListFlinkJobsQuery {
            order: Some("up".into()),
            ..Default::default()
        },
        ListFlinkJobsQuery {
            job_type: Some("spark".into()),
            ..Default::default()
        },
        ListFlinkJobsQuery {
            name: Some("n".repeat(58)),
            ..Default::default()
        },
    ] {
        assert_eq!(code(c.list_flink_jobs(&bad).await), "DLI.0001", "{bad:?}");
    }
    svc.stop().await;
}
