//! UserActions: handler actions, declarative rules, pseudonymous user ids.

mod support;

use std::convert::Infallible;

use axum::extract::Path;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use reqlog::actions::{Actions, Rule, StatusClass, UserActions};
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use support::*;

const KEY: &[u8] = b"test key: 32 bytes or more, kept secret";

fn site(actions: UserActions) -> Router {
    Router::new()
        .route(
            "/account/login",
            post(|actions: Actions, body: String| async move {
                let email = body.strip_prefix("email=").unwrap_or_default().to_owned();
                if email.to_ascii_lowercase().ends_with("@example.com") {
                    actions.user(&email).add("account.login");
                    StatusCode::SEE_OTHER
                } else {
                    actions.add("account.login_failed");
                    StatusCode::UNAUTHORIZED
                }
            }),
        )
        .route(
            "/newsletter/subscribe",
            post(|| async { StatusCode::SEE_OTHER }),
        )
        .route(
            "/purchase/{course}",
            post(|Path(course): Path<String>| async move {
                if course == "sold-out" {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::SEE_OTHER
                }
            }),
        )
        .route(
            "/profile",
            post(|actions: Actions| async move {
                actions.user("carol@example.com");
                assert!(actions.field("url.path", "/forged").is_err());
                assert!(actions.field("enduser.pseudo.id", "forged").is_err());
                actions.field("app.theme", "dark").unwrap();
                for _ in 0..40 {
                    actions.add("profile.updated");
                }
                actions.add_with("profile.bio", [("text", "x".repeat(5000))]);
                assert!(actions.try_add("bad name!", [("k", "v")]).is_err());
                "ok"
            }),
        )
        .layer(actions)
}

fn actions_layer() -> UserActions {
    UserActions::new()
        .pseudonym_key(KEY)
        .rule(
            Method::POST,
            "/newsletter/subscribe",
            "newsletter.subscribe",
        )
        .add_rule(
            Rule::new(Method::POST, "/purchase/{course}", "purchase").field_from_param("course"),
        )
}

async fn post_to(addr: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let resp = raw(addr, req.as_bytes()).await;
    String::from_utf8_lossy(&resp)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn by_path<'a>(records: &'a [RecordSnapshot], path: &str) -> Vec<&'a RecordSnapshot> {
    records
        .iter()
        .filter(|r| r.str("url.path") == Some(path))
        .collect()
}

fn action_names(r: &RecordSnapshot) -> Vec<String> {
    r.get("visitor.actions")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .map(|x| x["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn handlers_and_rules_record_actions_with_pseudonymous_users() {
    let memory = MemorySink::new();
    let file = tempfile_path("actions");
    let (writer, guard) = reqlog::sink::writer(std::fs::File::create(&file).unwrap());
    let tee = reqlog::sink::from_fn({
        let memory = memory.clone();
        move |r: &reqlog::Record| {
            use reqlog::sink::Sink;
            memory.emit(r);
            writer.emit(r);
        }
    });
    let app = site(actions_layer()).layer(RequestLog::new().sink(tee));
    let addr = serve_axum(app).await;

    assert_eq!(
        post_to(addr, "/account/login", "email=Bob@Example.com").await,
        303
    );
    assert_eq!(
        post_to(addr, "/account/login", "email=bob@example.com").await,
        303
    );
    assert_eq!(
        post_to(addr, "/account/login", "email=mallory@evil.test").await,
        401
    );
    assert_eq!(
        post_to(addr, "/newsletter/subscribe", "email=bob@example.com").await,
        303
    );
    assert_eq!(post_to(addr, "/purchase/python-jumpstart", "").await, 303);
    assert_eq!(post_to(addr, "/purchase/sold-out", "").await, 409);
    let records = memory.wait_for(6, WAIT).await;
    assert_eq!(records.len(), 6);

    let logins = by_path(&records, "/account/login");
    let ok: Vec<_> = logins
        .iter()
        .filter(|r| r.u64("http.response.status_code") == Some(303))
        .collect();
    assert_eq!(ok.len(), 2);
    let id = ok[0].str("enduser.pseudo.id").unwrap();
    assert!(id.starts_with("u_") && id.len() == 18, "{id}");
    assert_eq!(
        ok[1].str("enduser.pseudo.id"),
        Some(id),
        "same user, same id"
    );
    assert_eq!(
        id,
        UserActions::new()
            .pseudonym_key(KEY)
            .pseudonymizer()
            .pseudonymize("bob@example.com")
    );
    assert_eq!(action_names(ok[0]), ["account.login"]);
    let failed = logins
        .iter()
        .find(|r| r.u64("http.response.status_code") == Some(401))
        .unwrap();
    assert_eq!(action_names(failed), ["account.login_failed"]);
    assert_eq!(failed.get("enduser.pseudo.id"), None);

    let sub = by_path(&records, "/newsletter/subscribe")[0];
    assert_eq!(action_names(sub), ["newsletter.subscribe"]);
    let bought = by_path(&records, "/purchase/python-jumpstart")[0];
    assert_eq!(
        bought.get("visitor.actions").unwrap()[0],
        serde_json::json!({"name": "purchase", "course": "python-jumpstart"})
    );
    let refused = by_path(&records, "/purchase/sold-out")[0];
    assert!(
        action_names(refused).is_empty(),
        "rules fire on success only"
    );

    // The privacy guarantee: no e-mail in any sink's output.
    drop(guard);
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.lines().count(), 6);
    for output in [
        written,
        records.iter().map(|r| r.line()).collect::<String>(),
    ] {
        for secret in ["bob@", "Bob@", "mallory", "example.com"] {
            assert!(!output.contains(secret), "{secret} reached a sink");
        }
    }
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn fields_are_safe_and_capped() {
    let memory = MemorySink::new();
    let app = site(actions_layer()).layer(RequestLog::new().sink(memory.clone()));
    let addr = serve_axum(app).await;
    assert_eq!(post_to(addr, "/profile", "").await, 200);
    let r = &memory.wait_for(1, WAIT).await[0];
    assert_eq!(r.str("url.path"), Some("/profile"));
    assert!(r.str("enduser.pseudo.id").unwrap().starts_with("u_"));
    assert_eq!(r.str("app.theme"), Some("dark"));
    let actions = r.get("visitor.actions").unwrap().as_array().unwrap();
    assert_eq!(actions.len(), reqlog::actions::MAX_ACTIONS);
    assert!(!r.line().contains("profile.bio"), "past the cap");
}

#[tokio::test]
async fn without_request_log_everything_is_a_no_op() {
    let addr = serve_axum(site(actions_layer())).await;
    assert_eq!(
        post_to(addr, "/account/login", "email=bob@example.com").await,
        303
    );
    assert_eq!(post_to(addr, "/newsletter/subscribe", "").await, 303);
    assert_eq!(
        post_to(addr, "/profile", "").await,
        200,
        "the handler's asserts hold"
    );
}

#[tokio::test]
async fn plain_hyper_service_with_rules_and_handle() {
    let memory = MemorySink::new();
    let svc = tower::service_fn(|req: Request<_>| async move {
        let actions = Actions::from_request(&req);
        if req.uri().path() == "/logout" {
            actions.user("dave@example.com").add("account.logout");
        }
        Ok::<_, Infallible>(
            Response::builder()
                .status(303)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .layer(UserActions::new().pseudonym_key(KEY).add_rule(
            Rule::new(Method::POST, "/subscribe", "newsletter.subscribe").on(StatusClass::Success),
        ))
        .map_request(|req: Request<reqlog::request_log::RequestBody<hyper::body::Incoming>>| req)
        .service(svc);
    let addr = serve(svc).await;
    post_to(addr, "/logout", "").await;
    post_to(addr, "/subscribe", "").await;
    let records = memory.wait_for(2, WAIT).await;
    assert_eq!(
        action_names(by_path(&records, "/logout")[0]),
        ["account.logout"]
    );
    assert_eq!(
        action_names(by_path(&records, "/subscribe")[0]),
        ["newsletter.subscribe"]
    );
    assert!(!records.iter().any(|r| r.line().contains("dave")));
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("reqlog-test-{name}-{}.log", std::process::id()))
}
