//! `RouteHook`: `RequestLog` (with `ProbeDetector` and `UserActions`) around the whole
//! axum router, each handler reporting its route; the line is the one `RequestLog`
//! inside the router writes.

use std::time::Duration;

use axum::body::Body;
use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;
use http::{Method, Request};
use http_body_util::BodyExt;
use reqlog::actions::UserActions;
use reqlog::probe::ProbeDetector;
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::{RequestLog, RouteHook};
use tower::{Service, ServiceBuilder, ServiceExt};

async fn page() -> &'static str {
    "page"
}

fn routes(hook: bool) -> Router {
    let router = Router::new();
    if hook {
        router
            .route("/courses/{course}", get(page.layer(RouteHook)))
            .route("/reset/{token}", get(page.layer(RouteHook)))
            .route("/newsletter/subscribe", post(page.layer(RouteHook)))
    } else {
        router
            .route("/courses/{course}", get(page))
            .route("/reset/{token}", get(page))
            .route("/newsletter/subscribe", post(page))
    }
}

/// The three layers, outermost first (a macro: the stack's type is long).
macro_rules! layers {
    ($memory:expr, $max_field_len:expr) => {
        ServiceBuilder::new()
            .layer(
                RequestLog::new()
                    .sink($memory.clone())
                    .max_field_len($max_field_len),
            )
            .layer(ProbeDetector::new())
            .layer(UserActions::new().rule(
                Method::POST,
                "/newsletter/subscribe",
                "newsletter.subscribe",
            ))
    };
}

/// One request through `svc` to its last byte, and its line.
async fn line<S>(svc: S, memory: &MemorySink, method: Method, path: &str) -> RecordSnapshot
where
    S: Service<Request<Body>, Response = http::Response<Body>, Error = std::convert::Infallible>,
{
    memory.clear();
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let resp = svc.oneshot(req).await.unwrap();
    resp.into_body().collect().await.unwrap();
    let records = memory.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(records.len(), 1, "{records:#?}");
    records.into_iter().next().unwrap()
}

/// The same request inside the router (`Router::layer`) and outside it with hooks.
async fn both(method: Method, path: &str, max_field_len: usize) -> [RecordSnapshot; 2] {
    let memory = MemorySink::new();
    let inside = routes(false).layer(layers!(memory, max_field_len));
    let a = line(inside, &memory, method.clone(), path).await;
    let outside = ServiceBuilder::new()
        .map_response(|r: http::Response<_>| r.map(Body::new))
        .layer(layers!(memory, max_field_len).into_inner())
        .service(routes(true));
    let b = line(outside, &memory, method, path).await;
    [a, b]
}

#[tokio::test]
async fn the_route_is_on_the_line_outside_the_router() {
    let [inside, outside] = both(Method::GET, "/courses/rust?ref=x", 4096).await;
    assert_eq!(inside.str("http.route"), Some("/courses/{course}"));
    assert_eq!(outside.str("http.route"), Some("/courses/{course}"));
    assert_eq!(outside.str("url.path"), Some("/courses/rust"));
    assert_eq!(outside.u64("http.response.status_code"), Some(200));
}

#[tokio::test]
async fn a_sensitive_route_parameter_is_redacted_outside_the_router_too() {
    let [inside, outside] = both(Method::GET, "/reset/s3cr3t-t0ken", 4096).await;
    assert_eq!(inside.str("url.path"), Some("/reset/[REDACTED]"));
    assert_eq!(outside.str("url.path"), inside.str("url.path"));
    assert_eq!(outside.str("http.route"), Some("/reset/{token}"));
    assert!(!outside.line().contains("s3cr3t"), "{}", outside.line());
}

#[tokio::test]
async fn a_long_route_is_capped_like_inside() {
    let [inside, outside] = both(Method::GET, "/courses/rust", 12).await;
    assert_eq!(outside.str("http.route"), inside.str("http.route"));
    assert!(outside.str("http.route").unwrap().ends_with("…[truncated]"));
}

#[tokio::test]
async fn rules_and_probes_work_outside_the_router() {
    let [inside, outside] = both(Method::POST, "/newsletter/subscribe", 4096).await;
    assert_eq!(
        outside.get("visitor.actions"),
        inside.get("visitor.actions")
    );
    assert!(
        outside.line().contains("newsletter.subscribe"),
        "{}",
        outside.line()
    );
    let [inside, outside] = both(Method::GET, "/wp-login.php", 4096).await;
    assert_eq!(inside.str("probe.category"), Some("wordpress"));
    assert_eq!(outside.str("probe.category"), Some("wordpress"));
    // No route matched: none on either line.
    assert_eq!(outside.str("http.route"), None);
}

#[tokio::test]
async fn without_request_log_the_hook_does_nothing() {
    let resp = routes(true)
        .oneshot(Request::get("/courses/rust").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn with_request_log_inside_too_the_route_is_taken_once() {
    let memory = MemorySink::new();
    let app = routes(true).layer(layers!(memory, 12));
    let line = line(app, &memory, Method::GET, "/courses/rust").await;
    // Capped by the inside layer; the hook left it.
    let [inside, _] = both(Method::GET, "/courses/rust", 12).await;
    assert!(line.str("http.route").unwrap().ends_with("…[truncated]"));
    assert_eq!(line.str("http.route"), inside.str("http.route"));
}
