//! HTTP: a listener per service, cuttable connections, and the route→auth→faults→log pipeline.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::errors::{Shape, api_error};
use crate::faults::{Decision, Reject};
use crate::http::{Reply, Req};
use crate::requests::{RequestLogEntry, redacted_body};
use crate::route::Ctx;
use crate::service::Service;
use crate::state::{Shared, State};
use crate::{admin, auth, flow, services};

/// AK/SK requests are limited to 12 MB (otc-api.md §6.2); nothing larger is ever needed.
const MAX_BODY: usize = 12 * 1024 * 1024;

// ---------------------------------------------------------------- routing types

// ---------------------------------------------------------------- pipeline

struct Outcome {
    reply: Reply,
    latency_ms: u64,
    drop_response: bool,
}

fn run(shared: &Shared, service: Service, req: &Req) -> Outcome {
    let now = shared.clock.now_ms();
    shared.with_state(|st| {
        crate::lifecycle::settle(&mut st.world, now);
        let request_id = st.request_id();
        let mut fault = None;
        let mut auth_kind = "none";
        let mut api = String::new();
        let mut rate_limited = false;
        let mut retry_after = None;
        let mut decision = Decision::default();
        let routed = services::route(service, req);
        let reply = 'reply: {
            let Some(routed) = routed else {
                break 'reply api_error(
                    if service == Service::Iam { Shape::Keystone } else { Shape::Gateway },
                    StatusCode::NOT_FOUND,
                    "APIG.0101",
                    "The API does not exist or has not been published in the environment",
                    &request_id,
                );
            };
            api = flow::api_of(
                &req.method,
                &req.segments,
                routed.pid.as_deref(),
                services::is_route_word,
            );
            let mut caller = None;
            if routed.needs_auth {
                match auth::authenticate(st, service, req, routed.pid.as_deref(), now, &request_id)
                {
                    Ok((kind, who)) => {
                        auth_kind = kind;
                        caller = Some(who);
                    }
                    Err(reply) => break 'reply reply,
                }
            }
            if let Some((reply, wait)) =
                flow_control(st, service, &api, caller.as_deref(), req, now, &request_id)
            {
                rate_limited = true;
                retry_after = Some(wait);
                break 'reply reply;
            }
            decision = st.world.faults.decide(&mut st.fault_rng, service, &req.method, &req.segments);
            match decision.reject {
                Some(Reject::Throttle { retry_after }) => {
                    fault = Some("throttle");
                    break 'reply api_error(
                        Shape::Gateway,
                        StatusCode::TOO_MANY_REQUESTS,
                        "APIG.0308",
                        "The throttling threshold has been reached: policy user over ratelimit,limit:60,time:1 minute",
                        &request_id,
                    )
                    .with_header(RETRY_AFTER, retry_after.to_string());
                }
                Some(Reject::ServerError { status }) => {
                    fault = Some("error");
                    break 'reply server_error(service, status, &request_id);
                }
                None => {}
            }
            let mut cx = Ctx {
                st,
                req,
                now,
                pid: routed.pid.clone().unwrap_or_default(),
                faults: &decision,
                origins: &shared.origins,
            };
            match (routed.handler)(&mut cx) {
                Ok(reply) => reply,
                Err(e) => e.into_reply(service, &request_id),
            }
        };
        if decision.drop_response {
            fault = Some("drop_response");
        }
        st.log.push(RequestLogEntry {
            seq: 0,
            at_ms: now,
            service,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.raw_query.clone(),
            status: reply.status.as_u16(),
            auth: auth_kind.to_owned(),
            body: redacted_body(&req.body),
            fault: fault.map(str::to_owned),
            api,
            rate_limited,
            retry_after,
        });
        Outcome {
            // The gateway's clock, not the machine's: a client estimates the cloud's clock
            // offset from it.
            reply: reply
                .with_header(
                    axum::http::HeaderName::from_static("x-request-id"),
                    request_id,
                )
                .with_header(axum::http::header::DATE, crate::timefmt::http_date(now)),
            latency_ms: decision.latency_ms,
            drop_response: decision.drop_response,
        }
    })
}

/// The gateway's flow control, before faults and handlers: `Some` is the 429 to send and
/// its `Retry-After`.
/// Token issuing is counted per user name, as IAM's own threshold is (IAM.0012).
fn flow_control(
    st: &mut State,
    service: Service,
    api: &str,
    caller: Option<&str>,
    req: &Req,
    now: i64,
    request_id: &str,
) -> Option<(Reply, u64)> {
    if !st.world.flow_control.enabled {
        return None;
    }
    let caller = caller.map_or_else(|| anonymous_caller(req), str::to_owned);
    let limit = st.world.flow_control.limit(service, api);
    let retry_after = if st.world.flow_control.sliding {
        st.flow.take_sliding(&caller, service, api, limit, now)
    } else {
        st.flow.take(&caller, service, api, limit, now)
    }
    .err()?;
    let shape = if service == Service::Iam {
        Shape::Keystone
    } else {
        Shape::Gateway
    };
    Some((
        api_error(
            shape,
            StatusCode::TOO_MANY_REQUESTS,
            "APIG.0308",
            &format!("The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 minute"),
            request_id,
        )
        .with_header(RETRY_AFTER, retry_after.to_string()),
        retry_after,
    ))
}

/// Who asks for a token: the user named in the body (all anonymous callers share one bucket).
fn anonymous_caller(req: &Req) -> String {
    serde_json::from_slice::<serde_json::Value>(&req.body)
        .ok()
        .and_then(|b| {
            let user = &b["auth"]["identity"]["password"]["user"];
            user["id"]
                .as_str()
                .or(user["name"].as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn server_error(service: Service, status: u16, request_id: &str) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (code, msg) = services::module(service).internal_error;
    api_error(Shape::of(service), status, code, msg, request_id)
}

// ---------------------------------------------------------------- axum glue

#[derive(Clone)]
struct App {
    shared: Arc<Shared>,
    service: Service,
}

async fn handle(
    AxumState(app): AxumState<App>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return api_error(
            Shape::Gateway,
            StatusCode::PAYLOAD_TOO_LARGE,
            "APIG.0201",
            "Request entity too large",
            "",
        )
        .into_response();
    };
    let req = Req::new(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        parts.headers,
        body.to_vec(),
    );
    if req.segments.first().is_some_and(|s| s == "_sim") {
        return admin::handle(&app.shared, &req).into_response();
    }
    let outcome = run(&app.shared, app.service, &req);
    if outcome.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(outcome.latency_ms)).await;
    }
    if outcome.drop_response {
        // The request already took effect; cutting the connection now leaves the client with
        // the ambiguous "did it run?" case that exactly-once submission must survive.
        conn.kill.store(true, Ordering::SeqCst);
    }
    outcome.reply.into_response()
}

/// The running servers and the signal that stops them.
pub(crate) struct Servers {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Servers {
    pub(crate) async fn shutdown(&mut self, grace: Duration) {
        let _ = self.stop.send(true);
        for handle in &mut self.handles {
            if tokio::time::timeout(grace, &mut *handle).await.is_err() {
                handle.abort();
            }
        }
        self.handles.clear();
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for handle in &self.handles {
            handle.abort();
        }
    }
}

pub(crate) fn spawn(shared: &Arc<Shared>, listeners: Vec<(Service, TcpListener)>) -> Servers {
    let (stop, _) = watch::channel(false);
    let mut handles = Vec::new();
    for (service, listener) in listeners {
        let app = Router::new().fallback(handle).with_state(App {
            shared: Arc::clone(shared),
            service,
        });
        let mut rx = stop.subscribe();
        let serve = axum::serve(
            KillableListener(listener),
            app.into_make_service_with_connect_info::<ConnHandle>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        });
        handles.push(tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::warn!(%service, error = %e, "simulator server stopped");
            }
        }));
    }
    Servers { stop, handles }
}

// ---------------------------------------------------------------- cuttable connections

/// A TCP listener whose connections carry a kill switch the handler can flip.
struct KillableListener(TcpListener);

/// Per-connection info handed to the handler: the peer and the kill switch.
#[derive(Debug, Clone)]
struct ConnHandle {
    kill: Arc<AtomicBool>,
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    return (
                        KillableStream {
                            inner: stream,
                            kill: Arc::clone(&kill),
                        },
                        ConnHandle { kill },
                    );
                }
                // Accept errors (e.g. too many open files) are transient; back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        let _: SocketAddr = self.0.local_addr()?;
        Ok(ConnHandle {
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// Once killed, reads see end-of-stream and writes fail, so hyper drops the connection
/// without sending the response.
struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "response dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
