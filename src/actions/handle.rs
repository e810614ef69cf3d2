//! [`Actions`]: what handlers use to record what a user did.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::pseudonym::Pseudonymizer;
use crate::record::handle::{cap_value, MAX_KEY_LEN};
use crate::{FieldError, FieldValue, RecordHandle};

/// Most actions one request may record; more are refused.
pub const MAX_ACTIONS: usize = 16;
/// Most fields one action may carry; more are refused.
pub const MAX_ACTION_FIELDS: usize = 16;

/// Why an action was not recorded.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionError {
    /// The name is empty, longer than 64 bytes, or has characters other than ASCII
    /// letters, digits, `.`, `_` and `-` (use names like `account.login`).
    InvalidName(String),
    /// A field key is invalid, or is `name` (the action's own name).
    InvalidField(String),
    /// The request already has 16 actions, or the action has more than 16 fields.
    TooMany,
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::InvalidName(n) => write!(
                f,
                "action name {n:?} is not valid: use 1 to 64 ASCII letters, digits, `.`, `_` or `-`, like `account.login`"
            ),
            ActionError::InvalidField(k) => write!(
                f,
                "action field {k:?} is not valid: use 1 to 64 ASCII letters, digits, `.`, `_` or `-`, and not `name`"
            ),
            ActionError::TooMany => write!(
                f,
                "too many actions or action fields (at most {MAX_ACTIONS} actions of {MAX_ACTION_FIELDS} fields per request)"
            ),
        }
    }
}

impl std::error::Error for ActionError {}

/// Records what the user did, on the request's log line.
///
/// Get it from the request ([`Actions::from_request`], [`Actions::from_extensions`], or
/// as an axum extractor with the `axum` feature). In a tonic method,
/// `Actions::from_extensions(request.extensions())`: tonic's `Request` keeps the HTTP
/// request's extensions. It writes into the record that
/// [`RequestLog`](crate::RequestLog) keeps for the request; without a `RequestLog`
/// outside, every call does nothing, so handlers never need to check.
///
/// User identifiers go through the [`Pseudonymizer`] of the
/// [`UserActions`](super::UserActions) layer (or the process default): the line gets
/// `enduser.pseudo.id: "u_3f2a…"`, never the e-mail address.
///
/// # Example
/// ```
/// use reqlog::actions::Actions;
///
/// fn logged_in(req: &http::Request<()>, email: &str) {
///     let actions = Actions::from_request(req);
///     actions.user(email).add("account.login");
///     actions.add_with("purchase", [("course", "python-jumpstart")]);
/// }
/// # logged_in(&http::Request::new(()), "bob@example.com");
/// ```
#[derive(Clone, Default)]
pub struct Actions {
    record: Option<RecordHandle>,
}

impl fmt::Debug for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actions")
            .field("recording", &self.is_recording())
            .finish()
    }
}

impl Actions {
    /// The actions of the request whose extensions these are (a no-op handle if there
    /// is no `RequestLog`).
    pub fn from_extensions(extensions: &http::Extensions) -> Actions {
        Actions {
            record: RecordHandle::from_extensions(extensions).cloned(),
        }
    }

    /// The actions of this request (a no-op handle if there is no `RequestLog`).
    pub fn from_request<B>(request: &http::Request<B>) -> Actions {
        Actions::from_extensions(request.extensions())
    }

    /// Whether calls reach a log line (a `RequestLog` is outside).
    pub fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    /// Sets `enduser.pseudo.id` to the pseudonym of `identifier` (an e-mail or a user name).
    /// The raw identifier is hashed here and never stored.
    pub fn user(&self, identifier: &str) -> &Self {
        if let Some(record) = &self.record {
            let p = self.pseudonymizer();
            let mut r = record.lock();
            let start = r.text.mark();
            p.write(identifier, r.text.buf());
            let span = r.text.span_from(start);
            r.set_user_id(span);
        }
        self
    }

    /// The pseudonym `identifier` gets on the line, to keep in a session so later
    /// requests can say who the user is with [`Actions::known_user`].
    pub fn pseudonym(&self, identifier: &str) -> String {
        self.pseudonymizer().pseudonymize(identifier)
    }

    /// Sets `enduser.pseudo.id` to a pseudonym made earlier by [`Actions::pseudonym`] (kept in a
    /// session, say). Only the pseudonym form `u_` + 16 hex digits is accepted, so a
    /// raw e-mail can never reach the line this way; anything else is ignored.
    ///
    /// # Example
    /// ```
    /// use reqlog::actions::Actions;
    ///
    /// let actions = Actions::default();
    /// let account = actions.pseudonym("bob@example.com"); // at login, kept in the session
    /// actions.known_user(&account).add("purchase");       // on a later request
    /// ```
    pub fn known_user(&self, pseudonym: &str) -> &Self {
        let b = pseudonym.as_bytes();
        let valid = b.len() == 18
            && b.starts_with(b"u_")
            && b[2..]
                .iter()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        if let (true, Some(record)) = (valid, &self.record) {
            let mut r = record.lock();
            let span = r.push_text(pseudonym);
            r.set_user_id(span);
        }
        self
    }

    fn pseudonymizer(&self) -> Arc<Pseudonymizer> {
        self.record
            .as_ref()
            .and_then(|r| r.cell.pseudonymizer.get().cloned())
            .unwrap_or_else(Pseudonymizer::process_default)
    }

    /// Records an action by name (`"account.login"`). Invalid names and actions past
    /// the cap are dropped; use [`Actions::try_add`] to see why.
    pub fn add(&self, name: &'static str) -> &Self {
        let _ = self.push(Cow::Borrowed(name), Vec::new());
        self
    }

    /// Records an action with fields: `add_with("purchase", [("course", "python-jumpstart")])`.
    /// Text values are capped at 1 KiB.
    pub fn add_with<I, K, V>(&self, name: &'static str, fields: I) -> &Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<Cow<'static, str>>,
        V: Into<FieldValue>,
    {
        let _ = self.try_add(name, fields);
        self
    }

    /// Like [`Actions::add_with`], but says why an action was refused.
    pub fn try_add<I, K, V>(
        &self,
        name: impl Into<Cow<'static, str>>,
        fields: I,
    ) -> Result<(), ActionError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<Cow<'static, str>>,
        V: Into<FieldValue>,
    {
        let fields = fields
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.push(name.into(), fields)
    }

    /// Adds a free field to the line (see [`RecordHandle::insert`]): schema keys such as
    /// `enduser.pseudo.id` or `url.path` are refused (also when nothing is recording).
    pub fn field(
        &self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Result<(), FieldError> {
        match &self.record {
            Some(r) => r.insert(key, value),
            // Same answer with or without a log, so handlers behave the same.
            None => crate::record::handle::check_key(&key.into()),
        }
    }

    pub(crate) fn push(
        &self,
        name: Cow<'static, str>,
        fields: Vec<(Cow<'static, str>, FieldValue)>,
    ) -> Result<(), ActionError> {
        match &self.record {
            Some(record) => push_action(record, name, fields),
            // Same answer with or without a log, so handlers behave the same.
            None => build_action(name, fields).map(drop),
        }
    }
}

pub(crate) fn push_action(
    record: &RecordHandle,
    name: Cow<'static, str>,
    fields: Vec<(Cow<'static, str>, FieldValue)>,
) -> Result<(), ActionError> {
    let action = build_action(name, fields)?;
    let mut r = record.lock();
    if r.actions().len() >= MAX_ACTIONS {
        return Err(ActionError::TooMany);
    }
    r.push_action(action);
    Ok(())
}

/// Checks an action and turns it into the record's `{"name": …, fields…}` object.
fn build_action(
    name: Cow<'static, str>,
    fields: Vec<(Cow<'static, str>, FieldValue)>,
) -> Result<FieldValue, ActionError> {
    if !valid_name(&name) {
        return Err(ActionError::InvalidName(name.chars().take(80).collect()));
    }
    if fields.len() > MAX_ACTION_FIELDS {
        return Err(ActionError::TooMany);
    }
    let mut entries = Vec::with_capacity(fields.len() + 1);
    entries.push((Cow::Borrowed("name"), FieldValue::Str(name)));
    for (key, mut value) in fields {
        if key == "name" || !valid_name(&key) {
            return Err(ActionError::InvalidField(key.chars().take(80).collect()));
        }
        cap_value(&mut value);
        entries.push((key, value));
    }
    Ok(FieldValue::Map(entries))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_KEY_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Keeps the pseudonymizer of the `UserActions` layer for this request's handlers.
pub(crate) fn attach(record: &RecordHandle, p: &Arc<Pseudonymizer>) {
    let _ = record.cell.pseudonymizer.set(p.clone());
}
