mod common;
use common::*;
use dli_pg_gateway::catalog::DliCatalog;
use dli_pg_gateway::dli::DliClient;
use dli_pg_gateway::gateway::catalog_hook::{CatalogContext, CatalogService};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch() {
    let wh = tempfile::tempdir().unwrap();
    let base = test_config(wh.path(), false);
    let svc = dli_pg_gateway::localdli::start(base.local.clone()).await.unwrap();
    let mut cfg = base.clone();
    cfg.dli.endpoint = svc.endpoint();
    cfg.dli.project_id = svc.project_id().to_string();
    cfg.dli.auth.domain_name = cfg.local.iam_domain.clone();
    cfg.dli.auth.user_name = cfg.local.iam_user.clone();
    cfg.dli.auth.password = cfg.local.iam_password.clone();
    let cat = DliCatalog::new(DliClient::new(cfg.dli.clone()).unwrap(), &cfg.catalog, "15.0").unwrap();
    let ctx = CatalogContext { currentdb: "default".into(), user: "dli".into() };
    let d = cat.describe("SELECT t.oid, t.typname FROM pg_catalog.pg_type t WHERE t.oid = any($1::oid[])", &ctx).await;
    println!("{d:?}");
}
