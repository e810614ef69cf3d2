//! The pages. Everything that did not come from this file goes through [`escape`].

use std::fmt::Write;

use axum::response::Html;

use super::site::{Course, Session, COURSES};

/// Escapes text for HTML and XML, in element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body`, which must already be HTML.
fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} · Courses</title></head>\n<body>\n<p><a href=\"/\">Courses</a></p>\n\
         <h1>{}</h1>\n{body}</body></html>\n",
        escape(title),
        escape(title),
    ))
}

/// A page with one sentence of text (errors, refusals).
pub fn message(title: &str, text: &str) -> Html<String> {
    page(title, &format!("<p>{}</p>\n", escape(text)))
}

pub fn home(session: Option<&Session>, subscribers: usize) -> Html<String> {
    let mut body = String::new();
    match session {
        None => body.push_str(
            "<form method=\"post\" action=\"/account/login\">\
             <input type=\"email\" name=\"email\" placeholder=\"you@example.com\">\
             <input type=\"password\" name=\"password\" placeholder=\"password\">\
             <button>Log in</button></form>\n",
        ),
        Some(session) => {
            let account = session
                .account
                .as_deref()
                .map_or_else(String::new, |a| format!(" (account {a})"));
            let _ = writeln!(
                body,
                "<form method=\"post\" action=\"/account/logout\">You are logged in{account}. \
                 <button>Log out</button></form>"
            );
        }
    }
    body.push_str("<h2>Courses</h2>\n<ul>\n");
    for course in COURSES {
        let _ = writeln!(
            body,
            "<li><a href=\"/courses/{slug}\">{title}</a> — {summary} {buy}</li>",
            slug = course.slug,
            title = escape(course.title),
            summary = escape(course.summary),
            buy = session.map_or_else(String::new, |s| purchase_button(course, s)),
        );
    }
    let _ = write!(
        body,
        "</ul>\n<h2>Newsletter</h2>\n<p>{subscribers} reader(s) subscribed.</p>\n\
         <form method=\"post\" action=\"/newsletter/subscribe\">\
         <input type=\"email\" name=\"email\" placeholder=\"you@example.com\">\
         <button>Subscribe</button></form>\n"
    );
    page("Courses", &body)
}

/// "Buy" for a course not bought yet, "bought" otherwise.
fn purchase_button(course: &Course, session: &Session) -> String {
    if session.bought.contains(course.slug) {
        "<em>bought</em>".to_owned()
    } else {
        format!(
            "<form method=\"post\" action=\"/purchase/{}\" style=\"display:inline\"><button>Buy</button></form>",
            course.slug
        )
    }
}

pub fn course(course: &Course, session: Option<&Session>) -> Html<String> {
    let mut body = format!("<p>{}</p>\n", escape(course.summary));
    let owned = session.is_some_and(|s| s.bought.contains(course.slug));
    body.push_str(match (session, owned) {
        (_, true) => "<p>You own this course.</p>\n",
        (Some(_), false) => "",
        (None, false) => "<p><a href=\"/\">Log in</a> to buy this course.</p>\n",
    });
    if let (Some(session), false) = (session, owned) {
        body.push_str(&purchase_button(course, session));
    }
    body.push_str("<h2>Lectures</h2>\n<ol>\n");
    for (slug, title) in course.lectures {
        let _ = writeln!(
            body,
            "<li><a href=\"/courses/{}/lectures/{slug}\">{}</a></li>",
            course.slug,
            escape(title)
        );
    }
    body.push_str("</ol>\n");
    page(course.title, &body)
}

pub fn lecture(course: &Course, title: &str) -> Html<String> {
    let body = format!(
        "<p>A lecture of <a href=\"/courses/{}\">{}</a>. Imagine a video here.</p>\n",
        course.slug,
        escape(course.title)
    );
    page(title, &body)
}

/// The home page and every course page.
pub fn sitemap(base_url: &str) -> String {
    let base = escape(base_url);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let _ = writeln!(xml, "<url><loc>{base}/</loc></url>");
    for course in COURSES {
        let _ = writeln!(xml, "<url><loc>{base}/courses/{}</loc></url>", course.slug);
    }
    xml.push_str("</urlset>\n");
    xml
}
