//! The routes, their handlers and the in-memory state: sessions and the course catalog.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Form, Path, State};
use axum::handler::Handler;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use reqlog::actions::Actions;
use reqlog::RouteHook;

use super::html;

/// The password that logs anyone in: this is a demo.
const PASSWORD: &str = "letmein";
const SESSION_COOKIE: &str = "session";
const CLEAR_COOKIE: &str = "session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0";

/// A course of the catalog.
pub struct Course {
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// Lecture slugs and titles.
    pub lectures: &'static [(&'static str, &'static str)],
}

pub const COURSES: &[Course] = &[
    Course {
        slug: "python-jumpstart",
        title: "Python Jumpstart",
        summary: "From your first script to a small web app.",
        lectures: &[
            ("welcome", "Welcome"),
            ("variables", "Variables and types"),
            ("functions", "Functions"),
        ],
    },
    Course {
        slug: "rust-for-pythonistas",
        title: "Rust for Pythonistas",
        summary: "Ownership, traits and cargo, explained with Python at your side.",
        lectures: &[
            ("welcome", "Welcome"),
            ("ownership", "Ownership"),
            ("traits", "Traits are protocols"),
        ],
    },
    Course {
        slug: "async-in-depth",
        title: "Async in Depth",
        summary: "Futures, executors and cancellation, from the ground up.",
        lectures: &[
            ("welcome", "Welcome"),
            ("futures", "What a future is"),
            ("cancellation", "Cancellation"),
        ],
    },
];

fn find_course(slug: &str) -> Option<&'static Course> {
    COURSES.iter().find(|c| c.slug == slug)
}

/// One logged-in visitor.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// The user's pseudonym (`u_…`, reqlog's keyed hash), never the address itself.
    pub account: Option<String>,
    /// Slugs of the courses bought.
    pub bought: HashSet<String>,
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    /// Pseudonyms of the subscribed addresses.
    subscribers: Arc<Mutex<HashSet<String>>>,
    /// `http://host:port`, for the absolute URLs of robots.txt and the sitemap.
    base_url: Arc<str>,
}

impl AppState {
    pub fn new(base_url: impl Into<Arc<str>>) -> Self {
        AppState {
            sessions: Arc::default(),
            subscribers: Arc::default(),
            base_url: base_url.into(),
        }
    }

    /// `http://host:port`, as given to [`AppState::new`].
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A panicking request must not take the site down with it: take the data anyway.
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the request's session, if its cookie names one.
    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        self.sessions().get(session_cookie(headers)?).cloned()
    }

    /// Runs `f` on the request's session, if its cookie names one.
    fn with_session<R>(&self, headers: &HeaderMap, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        self.sessions().get_mut(session_cookie(headers)?).map(f)
    }
}

/// The site's routes, without the logging layers (see `app` in `main.rs`).
pub fn routes(state: AppState) -> Router {
    // `RouteHook` on each handler: the route on the line, with the logging layers
    // around the whole router (`stack.rs`).
    Router::new()
        .route("/", get(home.layer(RouteHook)))
        .route("/health", get((|| async { "ok" }).layer(RouteHook)))
        .route("/robots.txt", get(robots.layer(RouteHook)))
        .route("/sitemap.xml", get(sitemap.layer(RouteHook)))
        .route("/account/login", post(login.layer(RouteHook)))
        .route("/account/logout", post(logout.layer(RouteHook)))
        .route("/newsletter/subscribe", post(subscribe.layer(RouteHook)))
        .route("/courses/{course}", get(course_page.layer(RouteHook)))
        .route(
            "/courses/{course}/lectures/{lecture}",
            get(lecture_page.layer(RouteHook)),
        )
        .route("/purchase/{course}", post(purchase.layer(RouteHook)))
        .route("/stream", get(stream.layer(RouteHook)))
        .route(
            "/payment/callback",
            get(super::payment::callback.layer(RouteHook)),
        )
        .fallback(not_found)
        .with_state(state)
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let subscribers = state
        .subscribers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    html::home(state.session(&headers).as_ref(), subscribers)
}

/// The site's robots.txt: served at `/robots.txt`, and given to the probe detector
/// (`main.rs`) so a crawler's fetch of what it disallows says `robots.disallowed`.
pub fn robots_txt(base_url: &str) -> String {
    format!("User-agent: *\nDisallow: /courses/*/lectures/\nSitemap: {base_url}/sitemap.xml\n")
}

async fn robots(State(state): State<AppState>) -> impl IntoResponse {
    let body = robots_txt(&state.base_url);
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}

async fn sitemap(State(state): State<AppState>) -> impl IntoResponse {
    let xml = html::sitemap(&state.base_url);
    ([(CONTENT_TYPE, "application/xml; charset=utf-8")], xml)
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Records `account.login` (with the pseudonymous `enduser.pseudo.id`) or `account.login_failed`
/// from the handler: the way for actions that depend on what the handler decides.
async fn login(
    State(state): State<AppState>,
    actions: Actions,
    Form(form): Form<Login>,
) -> Response {
    if form.password != PASSWORD {
        actions.add("account.login_failed");
        let page = html::message(
            "Login failed",
            "Wrong email or password. (Psst: the password is letmein.)",
        );
        return (StatusCode::UNAUTHORIZED, page).into_response();
    }
    actions.user(&form.email).add("account.login");
    let id = new_session_id();
    let session = Session {
        account: Some(actions.pseudonym(&form.email)),
        bought: HashSet::new(),
    };
    // Sessions live as long as the process: fine for a demo, not for a real site.
    state.sessions().insert(id.clone(), session);
    let cookie = format!("{SESSION_COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/");
    ([(SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

async fn logout(
    State(state): State<AppState>,
    actions: Actions,
    headers: HeaderMap,
) -> impl IntoResponse {
    if let Some(id) = session_cookie(&headers) {
        if let Some(session) = state.sessions().remove(id) {
            if let Some(account) = &session.account {
                actions.known_user(account);
            }
            actions.add("account.logout");
        }
    }
    ([(SET_COOKIE, CLEAR_COOKIE)], Redirect::to("/"))
}

#[derive(Deserialize)]
struct Subscribe {
    #[serde(default)]
    email: String,
}

/// The `newsletter.subscribe` action comes from a rule in `main.rs`; the handler only
/// says who subscribed (pseudonymously).
async fn subscribe(
    State(state): State<AppState>,
    actions: Actions,
    Form(form): Form<Subscribe>,
) -> Redirect {
    if !form.email.trim().is_empty() {
        actions.user(&form.email);
        state
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(actions.pseudonym(&form.email));
    }
    Redirect::to("/")
}

async fn course_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    match find_course(&slug) {
        Some(course) => html::course(course, state.session(&headers).as_ref()).into_response(),
        None => unknown_course(&slug),
    }
}

async fn lecture_page(
    State(state): State<AppState>,
    Path((slug, lecture)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(course) = find_course(&slug) else {
        return unknown_course(&slug);
    };
    if !state
        .session(&headers)
        .is_some_and(|s| s.bought.contains(course.slug))
    {
        let page = html::message("Not yet yours", "Buy this course to watch its lectures.");
        return (StatusCode::FORBIDDEN, page).into_response();
    }
    match course.lectures.iter().find(|(s, _)| *s == lecture) {
        Some((_, title)) => html::lecture(course, title).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            html::message("Not found", "This course has no such lecture."),
        )
            .into_response(),
    }
}

/// The `purchase` action (field `course`) comes from a rule in `main.rs`; the handler
/// says who bought it.
async fn purchase(
    State(state): State<AppState>,
    actions: Actions,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(course) = find_course(&slug) else {
        return unknown_course(&slug);
    };
    let bought = state.with_session(&headers, |s| {
        s.bought.insert(course.slug.to_owned());
        s.account.clone()
    });
    if let Some(Some(account)) = &bought {
        actions.known_user(account);
    }
    match bought {
        Some(_) => Redirect::to(&format!("/courses/{}", course.slug)).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            html::message("Log in first", "Log in to buy a course."),
        )
            .into_response(),
    }
}

/// Ten chunks, 100 ms apart: the record is written when the last one is sent.
async fn stream() -> impl IntoResponse {
    let ticks = tokio::time::interval(Duration::from_millis(100));
    let chunks = futures_util::stream::unfold((ticks, 1), |(mut ticks, n)| async move {
        if n > 10 {
            return None;
        }
        ticks.tick().await;
        let chunk = Bytes::from(format!("chunk {n} of 10\n"));
        Some((Ok::<_, Infallible>(chunk), (ticks, n + 1)))
    });
    (
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from_stream(chunks),
    )
}

async fn not_found(uri: Uri) -> impl IntoResponse {
    let text = format!("Nothing lives at {}.", uri.path());
    (StatusCode::NOT_FOUND, html::message("Not found", &text))
}

fn unknown_course(slug: &str) -> Response {
    let text = format!("There is no course called “{slug}”.");
    (StatusCode::NOT_FOUND, html::message("Not found", &text)).into_response()
}

/// The `session` cookie's value, from any `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .filter(|id| !id.is_empty())
}

/// 128 bits as hex. `RandomState` draws its keys from the OS once per thread and
/// changes them for every new instance, so hashing the time and a counter under two
/// fresh instances gives ids no one outside the process can predict. A real site
/// would use a vetted generator (`getrandom`); this example keeps to `std`.
fn new_session_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = || RandomState::new().hash_one((now, n));
    format!("{:016x}{:016x}", half(), half())
}
