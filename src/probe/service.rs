//! [`ProbeDetectorService`]: classifies the request, blocks if asked, counts 404s.

use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{HeaderName, USER_AGENT};
use http::{Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::Shared;
use super::{ClientKind, ProbeVerdict};
use crate::request_log::{peer, resolve, Client, Resolved};
use crate::{Level, RecordHandle};

/// The service made by [`ProbeDetector`](super::ProbeDetector).
#[derive(Clone)]
pub struct ProbeDetectorService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for ProbeDetectorService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeDetectorService")
            .finish_non_exhaustive()
    }
}

impl<S> ProbeDetectorService<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        ProbeDetectorService { inner, shared }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ProbeDetectorService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        let handle = RecordHandle::from_request(&req).cloned();
        // The client RequestLog resolved (also for requests it skips), else our own view
        // through the same code and our trusted proxies. Only a client that is not a
        // trusted proxy is counted or blocked, by its rate key (an IPv6 /64 by default).
        let client = match &handle {
            Some(h) => h.cell.client,
            None => match req.extensions().get::<Resolved>() {
                Some(Resolved(client)) => *client,
                None => resolve(peer(req.extensions()), req.headers(), &shared.proxies),
            },
        };
        let key = client
            .countable()
            .map(|ip| shared.tracker.rule().client_key(ip));
        let ua = req.headers().get(USER_AGENT).map(|v| v.as_bytes());
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let probe = shared.classifier.classify(req.method(), target, ua);
        let agent = shared.classifier.user_agent(ua);
        let scanning = key.is_some_and(|ip| shared.tracker.is_scanning(ip));
        // A trusted proxy's own request (its health check) is never refused.
        let is_proxy = matches!(client, Client::Proxy(_));
        // A crawler's claim is checked only when the user agent names one (browsers pay
        // nothing), against the client RequestLog resolved, never a trusted proxy.
        let verified = match (&shared.verifier, agent.kind, agent.name) {
            (Some(v), ClientKind::Crawler, Some(name)) => {
                client.countable().and_then(|ip| v.check(name, ip))
            }
            _ => None,
        };
        let scanner = scanning || agent.kind == ClientKind::Scanner;
        let block = match () {
            _ if is_proxy => None,
            _ if scanner && shared.block.is_some() => shared.block,
            _ if verified == Some(false) => shared.impostor_block,
            _ => None,
        };
        let blocked = block.is_some();
        let verdict = ProbeVerdict {
            probe,
            agent,
            verified,
            scanning,
            blocked,
        };
        match &handle {
            Some(h) => {
                write_record(h, &verdict);
                // Only for the line, and only for crawlers: nobody else obeys robots.txt.
                if let (Some(robots), ClientKind::Crawler) = (&shared.robots, verdict.agent.kind) {
                    if !robots.allows(verdict.agent.name, target) {
                        h.lock().set_robots_disallowed(true);
                    }
                }
            }
            None => {
                req.extensions_mut().insert(verdict.clone());
            }
        }
        // A page elsewhere that embeds broken images of ours makes its visitors' browsers
        // send cross-site no-cors 404s: those must not get a visitor flagged.
        let key = key.filter(|_| !cross_site_subresource(req.headers()));
        let tracking = key.map(|ip| Tracking {
            ip,
            path_hash: shared.path_hash(req.uri().path()),
            handle: handle.clone(),
            shared: self.shared.clone(),
        });
        match block {
            Some(block) => ResponseFuture::blocked(block, tracking),
            None => ResponseFuture::new(self.inner.call(req), tracking),
        }
    }
}

/// What the response needs to count a 404 against the client.
pub(crate) struct Tracking {
    pub(crate) ip: IpAddr,
    pub(crate) path_hash: u64,
    pub(crate) handle: Option<RecordHandle>,
    pub(crate) shared: Arc<Shared>,
}

impl Tracking {
    /// Counts a not-found answer; marks the line if the client is now flagged.
    pub(crate) fn not_found(&self) {
        if self.shared.not_found(self.ip, self.path_hash) {
            if let Some(h) = &self.handle {
                let mut r = h.lock();
                r.set_scanning(true);
                r.min_level = r.min_level.max(Level::Warn);
            }
        }
    }
}

/// A subresource another site made the browser fetch (`<img>`, `<script>`, CSS, fonts,
/// media): `Sec-Fetch-Site: cross-site`, `Sec-Fetch-Mode: no-cors` and a subresource
/// `Sec-Fetch-Dest`. Browsers set these headers and a page's scripts cannot change them.
/// A non-browser can send them to escape the 404 rule (its probes are still named by
/// their signatures): that is the price of never blocking a visitor for someone else's
/// page.
fn cross_site_subresource(headers: &http::HeaderMap) -> bool {
    static SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
    static MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
    static DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
    let is = |name: &HeaderName, want: &[&[u8]]| {
        headers
            .get(name)
            .is_some_and(|v| want.iter().any(|w| v.as_bytes().eq_ignore_ascii_case(w)))
    };
    is(&SITE, &[b"cross-site"])
        && is(&MODE, &[b"no-cors"])
        && is(
            &DEST,
            &[
                b"image",
                b"script",
                b"style",
                b"font",
                b"audio",
                b"video",
                b"track",
                b"object",
                b"embed",
                b"manifest",
                b"xslt",
                b"empty",
            ],
        )
}

fn write_record(handle: &RecordHandle, v: &ProbeVerdict) {
    let mut r = handle.lock();
    if let Some(m) = &v.probe {
        r.set_probe_category(m.category.as_str());
        r.set_probe_rule(m.rule.clone());
        if let Some(p) = &m.param {
            r.set_probe_param(p.clone());
        }
    }
    r.set_visitor_kind(v.agent.kind.as_str());
    match v.agent.kind {
        ClientKind::Crawler => {
            if let Some(name) = v.agent.name {
                r.set_crawler(name);
            }
            r.set_user_agent_synthetic("bot");
        }
        ClientKind::Scanner => r.set_user_agent_synthetic("bot"),
        _ => {}
    }
    if let Some(verified) = v.verified {
        r.set_client_verified(verified);
    }
    r.set_scanning(v.scanning);
    r.set_blocked(v.blocked);
    if v.probe.is_some() || v.scanning || v.blocked {
        r.min_level = r.min_level.max(Level::Warn);
    }
    drop(r);
    let _ = handle.cell.verdict.set(v.clone());
}
