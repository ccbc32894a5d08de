//! The pgwire query handlers: thin adapters from pgwire's simple and extended query
//! callbacks to the [`Router`], plus the client watch: while a statement runs, a
//! ParameterStatus heartbeat is written to the client (every driver accepts one at any
//! time); when that write fails the client is gone, the statement future is dropped, and
//! its DLI job is cancelled by the runner's guard.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use futures::{FutureExt, SinkExt};
use pgwire::api::DEFAULT_NAME;
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldFormat, Response,
};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::Entry;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, ConnectionHandle};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{FieldDescription, NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{Describe, TARGET_TYPE_BYTE_STATEMENT};
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::startup::ParameterStatus;

use super::client::session;
use super::encode;
use super::extended::GatewayParser;
use super::output::Output;
use super::plan::Plan;
use super::progress::ProgressEvent;
use super::router::Router;
use super::session::Session;

/// The pgwire query handler: a thin adapter over [`Router`].
pub struct QueryHandler {
    router: Arc<Router>,
    parser: Arc<GatewayParser>,
}

impl QueryHandler {
    pub fn new(router: Arc<Router>) -> Self {
        Self {
            parser: Arc::new(GatewayParser::new(router.clone())),
            router,
        }
    }
}

#[async_trait]
impl SimpleQueryHandler for QueryHandler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(&self.router, client);
        let every = self.router.heartbeat();
        let before = reported(&self.router, &session);
        let outputs = watch_client(
            client,
            every,
            &session,
            self.router.simple_query(&session, query),
        )
        .await?;
        report_changes(client, before, reported(&self.router, &session)).await?;
        // Notices first, and a leading COPY sent here (pgwire's cancel still covers it);
        // everything else is encoded last, with the streaming cancel installed.
        let mut ready = Vec::with_capacity(outputs.len());
        for (i, o) in outputs.into_iter().enumerate() {
            let out = match o {
                Ok(out) => out,
                Err(e) => {
                    ready.push(Err(e));
                    continue;
                }
            };
            let (notices, out) = encode::notices(out);
            send_notices(client, notices).await?;
            match out {
                Output::Copy(rows, format) if i == 0 => {
                    ready.push(Ok(Sent(super::copy_out::send(client, rows, format).await?)));
                }
                other => ready.push(Ok(Pending(other))),
            }
        }
        let cancel = streaming_cancel(client).await.map(FutureExt::shared);
        let mut responses: Vec<Response> = ready
            .into_iter()
            .map(|r| match r {
                Ok(Sent(response)) => response,
                Ok(Pending(out)) => {
                    let out = match &cancel {
                        Some(c) => out.cancellable(c.clone().boxed()),
                        None => out,
                    };
                    encode::body(out, |_| FieldFormat::Text)
                }
                Err(e) => encode::error_response(e),
            })
            .collect();
        if responses.is_empty() {
            responses.push(Response::EmptyQuery);
        }
        Ok(responses)
    }
}

impl QueryHandler {
    /// Describe of a portal. A SQL cursor (`DECLARE`) is a portal too in Postgres, and
    /// psycopg's server-side cursors describe it by name to learn its columns.
    async fn describe_portal_or_cursor<C>(
        &self,
        client: &mut C,
        message: Describe,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Plan>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        if client.portal_store().get_portal(name).is_some() {
            return self._on_describe(client, message).await;
        }
        let cursor_fields = session(&self.router, client).cursors.fields(name);
        let Ok(fields) = cursor_fields else {
            return self._on_describe(client, message).await;
        };
        let fields = encode::fields(&fields, |_| FieldFormat::Text)
            .iter()
            .map(FieldDescription::from)
            .collect();
        client
            .send(PgWireBackendMessage::RowDescription(RowDescription::new(
                fields,
            )))
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryHandler {
    type Statement = Plan;
    type QueryParser = GatewayParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    /// Describe of a statement: ParameterDescription, then NoData when the statement
    /// returns no rows. (pgwire's default sends an empty RowDescription instead whenever
    /// there are parameters, which makes pgjdbc treat every INSERT as a query.)
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type != TARGET_TYPE_BYTE_STATEMENT {
            return self.describe_portal_or_cursor(client, message).await;
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let stmt = match client.portal_store().get_statement(name) {
            Some(Entry::Value(stmt)) => stmt,
            _ => return self._on_describe(client, message).await,
        };
        let described = self.do_describe_statement(client, &stmt).await?;
        let oids = described.parameters.iter().map(|t| t.oid()).collect();
        client
            .send(PgWireBackendMessage::ParameterDescription(
                ParameterDescription::new(oids),
            ))
            .await?;
        let tail = if described.fields.is_empty() {
            PgWireBackendMessage::NoData(NoData::new())
        } else {
            let fields = described
                .fields
                .iter()
                .map(FieldDescription::from)
                .collect();
            PgWireBackendMessage::RowDescription(RowDescription::new(fields))
        };
        client.send(tail).await?;
        Ok(())
    }

    async fn do_describe_statement<C>(
        &self,
        client: &mut C,
        target: &StoredStatement<Self::Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(&self.router, client);
        let every = self.router.heartbeat();
        let work = super::extended::describe_statement(&self.router, &session, target);
        watch_cancellable(client, every, &session, work).await
    }

    async fn do_describe_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(&self.router, client);
        let every = self.router.heartbeat();
        let work = super::extended::describe_portal(&self.router, &session, portal);
        watch_cancellable(client, every, &session, work).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(&self.router, client);
        let every = self.router.heartbeat();
        let before = reported(&self.router, &session);
        let work = super::extended::execute(&self.router, &session, portal);
        let output = watch_client(client, every, &session, work).await??;
        report_changes(client, before, reported(&self.router, &session)).await?;
        let (notices, output) = encode::notices(output);
        send_notices(client, notices).await?;
        let format = portal.result_column_format.clone();
        match output {
            // Sent here, under pgwire's cancel signal.
            Output::Copy(rows, copy) => super::copy_out::send(client, rows, copy).await,
            Output::Rows(rows) if max_rows == 0 => {
                encode::send_rows(client, rows, move |i| encode::result_format(&format, i)).await
            }
            // A row limit: pgwire keeps the stream in the portal and sends up to
            // `max_rows` per Execute (PortalSuspended in between).
            // Last, with no await after it: rows stream after this returns.
            other => {
                let other = match streaming_cancel(client).await {
                    Some(cancel) => other.cancellable(cancel.boxed()),
                    None => other,
                };
                Ok(encode::body(other, move |i| {
                    encode::result_format(&format, i)
                }))
            }
        }
    }
}

/// A simple-query statement's response: already sent (a leading COPY), or to encode.
enum Prepared {
    Sent(Response),
    Pending(Output),
}
use Prepared::{Pending, Sent};

/// The session's reported settings (Postgres' `GUC_REPORT` ones) and their values.
fn reported(router: &Router, session: &super::session::Session) -> Vec<(&'static str, String)> {
    let values = super::local::session_values(session.snapshot(), router.facts());
    crate::settings::reported(&values).collect()
}

/// A reported setting the statement changed (`SET standard_conforming_strings = off`,
/// `SET application_name`) is announced with ParameterStatus, as Postgres does, so
/// drivers that quote values themselves follow it.
async fn report_changes<C>(
    client: &mut C,
    before: Vec<(&'static str, String)>,
    after: Vec<(&'static str, String)>,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for (name, value) in after {
        if !before.iter().any(|(n, v)| *n == name && *v == value) {
            let status = ParameterStatus::new(name.to_string(), value);
            client
                .feed(PgWireBackendMessage::ParameterStatus(status))
                .await?;
        }
    }
    Ok(())
}

/// Warnings for the client, sent before the statement's response.
async fn send_notices<C>(client: &mut C, notices: Vec<NoticeResponse>) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for n in notices {
        client.feed(PgWireBackendMessage::NoticeResponse(n)).await?;
    }
    Ok(())
}

/// Run `work`, writing a harmless ParameterStatus to the client every `every`; if the
/// client cannot be written to, give up on `work` (dropping it cancels its DLI job).
/// Meanwhile the statement's progress reports are sent as NOTICEs: only here, while it
/// waits, so never inside a row stream.
async fn watch_client<C, F>(
    client: &mut C,
    every: std::time::Duration,
    session: &Session,
    work: F,
) -> PgWireResult<F::Output>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    F: std::future::Future,
{
    let (sink, mut progress) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
    session.listen_progress(Some(sink));
    let out = watch_with(client, every, &mut progress, work).await;
    session.listen_progress(None);
    out
}

async fn watch_with<C, F>(
    client: &mut C,
    every: std::time::Duration,
    progress: &mut tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    work: F,
) -> PgWireResult<F::Output>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    F: std::future::Future,
{
    tokio::pin!(work);
    let start = tokio::time::Instant::now() + every;
    let mut tick = tokio::time::interval_at(start, every);
    loop {
        tokio::select! {
            out = &mut work => return Ok(out),
            Some(event) = progress.recv() => {
                let notice = NoticeResponse::from(event.notice().into_notice_info());
                if let Err(e) = client.send(PgWireBackendMessage::NoticeResponse(notice)).await {
                    tracing::info!(peer = %client.socket_addr(), "client went away mid-statement; cancelling its work");
                    return Err(e.into());
                }
            }
            _ = tick.tick() => {
                let app = client.metadata().get("application_name").cloned().unwrap_or_default();
                let beat = PgWireBackendMessage::ParameterStatus(ParameterStatus::new("application_name".to_string(), app));
                if let Err(e) = client.send(beat).await {
                    tracing::info!(peer = %client.socket_addr(), "client went away mid-statement; cancelling its work");
                    return Err(e.into());
                }
            }
        }
    }
}

/// A Describe that may run a DLI job: watched like a statement, and cancellable.
async fn watch_cancellable<C, F, T>(
    client: &mut C,
    every: std::time::Duration,
    session: &Session,
    work: F,
) -> PgWireResult<T>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    F: std::future::Future<Output = PgWireResult<T>>,
{
    let cancel = cancel_signal(client).await;
    watch_client(client, every, session, cancellable(cancel, work)).await?
}

/// A cancel signal for rows that stream after the statement's work is done (pgwire
/// watches only the work). Installing it supersedes pgwire's signal, so it is taken last.
async fn streaming_cancel<C: ClientInfo>(
    client: &C,
) -> Option<futures::future::BoxFuture<'static, bool>> {
    let rx = cancel_signal(client).await?;
    Some(rx.map(|r| r.is_ok()).boxed())
}

/// pgwire makes Execute and simple queries cancellable; a Describe may run a DLI job too
/// (see [`super::extended`]), so it listens for a CancelRequest the same way.
async fn cancel_signal<C: ClientInfo>(
    client: &C,
) -> Option<futures::channel::oneshot::Receiver<()>> {
    let handle = client.session_extensions().get::<Arc<ConnectionHandle>>()?;
    Some(handle.start_query().await)
}

async fn cancellable<F, T>(
    cancel: Option<futures::channel::oneshot::Receiver<()>>,
    work: F,
) -> PgWireResult<T>
where
    F: std::future::Future<Output = PgWireResult<T>>,
{
    match cancel {
        Some(rx) => {
            tokio::pin!(work);
            tokio::select! {
                out = &mut work => out,
                _ = rx => Err(PgWireError::QueryCanceled),
            }
        }
        None => work.await,
    }
}
