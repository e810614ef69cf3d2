//! [`UserActions`]: the layer and its builder.

use std::fmt;
use std::sync::Arc;

use http::Method;
use tower_layer::Layer;

use super::pseudonym::Pseudonymizer;
use super::rules::Rule;
use super::service::UserActionsService;

/// Lets handlers and declarative rules record what users do on the request's line.
///
/// Place it inside [`RequestLog`](crate::RequestLog). It gives handlers the key that
/// pseudonymises user ids ([`Actions::user`](super::Actions::user)) and records the
/// actions of its [`Rule`]s when a request matches and the response status fits. Without
/// a `RequestLog` outside it does nothing.
///
/// # Example
/// ```
/// use axum::{routing::post, Router};
/// use http::Method;
/// use reqlog::{actions::UserActions, RequestLog};
///
/// let app: Router = Router::new()
///     .route("/newsletter/subscribe", post(|| async { "thanks" }))
///     .layer(UserActions::new().rule(Method::POST, "/newsletter/subscribe", "newsletter.subscribe"))
///     .layer(RequestLog::new());
/// ```
#[derive(Clone)]
pub struct UserActions {
    pub(crate) config: Arc<Config>,
}

pub(crate) struct Config {
    pub(crate) rules: Vec<Rule>,
    pub(crate) pseudonymizer: Arc<Pseudonymizer>,
}

impl fmt::Debug for UserActions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserActions")
            .field("rules", &self.config.rules)
            .field("pseudonymizer", &self.config.pseudonymizer)
            .finish()
    }
}

impl Default for UserActions {
    fn default() -> Self {
        UserActions::new()
    }
}

impl UserActions {
    /// No rules; user ids pseudonymised with the key in `REQLOG_USER_ID_KEY`, or a
    /// random per-process key (ids then differ across restarts).
    pub fn new() -> Self {
        UserActions {
            config: Arc::new(Config {
                rules: Vec::new(),
                pseudonymizer: Pseudonymizer::process_default(),
            }),
        }
    }

    fn config(&mut self) -> &mut Config {
        // Only builders mutate; clones made before keep their settings.
        if Arc::get_mut(&mut self.config).is_none() {
            self.config = Arc::new(Config {
                rules: self.config.rules.clone(),
                pseudonymizer: self.config.pseudonymizer.clone(),
            });
        }
        Arc::get_mut(&mut self.config).unwrap_or_else(|| unreachable!("just made unique"))
    }

    /// Records `name` when a `method` request matches `pattern` and succeeds
    /// (status below 400). For other statuses or fields, use [`UserActions::add_rule`].
    pub fn rule(self, method: Method, pattern: &'static str, name: &'static str) -> Self {
        self.add_rule(Rule::new(method, pattern, name))
    }

    /// Adds a [`Rule`].
    ///
    /// # Example
    /// ```
    /// use http::Method;
    /// use reqlog::actions::{Rule, StatusClass, UserActions};
    ///
    /// let layer = UserActions::new()
    ///     .add_rule(Rule::new(Method::POST, "/purchase/{course}", "purchase").field_from_param("course"))
    ///     .add_rule(Rule::new(Method::POST, "/account/login", "account.login_failed").on(StatusClass::Exact(401)));
    /// ```
    pub fn add_rule(mut self, rule: Rule) -> Self {
        self.config().rules.push(rule);
        self
    }

    /// Pseudonymises user ids with this secret key (32 random bytes or more), so ids
    /// stay the same across restarts and instances.
    pub fn pseudonym_key(mut self, key: &[u8]) -> Self {
        self.config().pseudonymizer = Arc::new(Pseudonymizer::from_key(key));
        self
    }

    /// The pseudonymizer handlers' ids go through (to pseudonymise ids elsewhere the
    /// same way, such as in an admin tool that looks users up in the log).
    pub fn pseudonymizer(&self) -> &Pseudonymizer {
        &self.config.pseudonymizer
    }
}

impl<S> Layer<S> for UserActions {
    type Service = UserActionsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        UserActionsService::new(inner, self.config.clone())
    }
}
