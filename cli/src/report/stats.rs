//! The aggregation: one pass over the records, every table bounded.
//!
//! Caps (documented in the module docs of `report`): see the constants below. A table
//! that reached its cap says so, and its counts are marked as estimates.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use super::agent::{self, CRAWLER, KINDS, SCANNER};
use super::impostors::Impostors;
use super::parse::{Entry, Event, Skip, Text};
use super::robots::Disallowed;
use super::sketch::{hash64, Distinct, Histogram, Hll, TopK};
use super::time::Micros;
use super::timeline::{Timeline, SLOTS};
use reqlog::probe::Classifier;

/// Routes (or paths) counted for "top routes".
pub(crate) const ROUTES_CAP: usize = 1000;
/// Paths counted for "top probed paths" and "not found".
pub(crate) const PATHS_CAP: usize = 1000;
/// Clients counted for "top clients" among attackers.
pub(crate) const CLIENTS_CAP: usize = 1000;
/// Crawlers counted by name.
pub(crate) const CRAWLERS_CAP: usize = 64;
/// Distinct pages counted exactly per crawler (then estimated).
pub(crate) const PAGES_CAP: usize = 4096;
/// (crawler, status, path) triples counted for refused and missing pages.
pub(crate) const MISSES_CAP: usize = 500;
/// Action names, probe categories, probe rules, action details.
pub(crate) const NAMES_CAP: usize = 256;
/// Users whose funnel steps are remembered (distinct users are counted beyond it).
pub(crate) const USERS_CAP: usize = 200_000;
/// User agents whose guessed kind is remembered, and the longest one remembered
/// (at most 2 MiB).
const UA_CACHE_CAP: usize = 4096;
const UA_CACHE_KEY_MAX: usize = 512;

/// The funnel's steps, in order.
pub(crate) const FUNNEL: [&str; 3] = ["newsletter.subscribe", "account.login", "purchase"];

/// What was read, and what was skipped and why.
#[derive(Clone, Debug, Default)]
pub(crate) struct InputCounts {
    pub(crate) lines: u64,
    pub(crate) formats: [u64; 3],
    pub(crate) blank: u64,
    pub(crate) malformed: u64,
    pub(crate) foreign: u64,
    pub(crate) too_long: u64,
    pub(crate) filtered: u64,
    pub(crate) starts: u64,
    pub(crate) dropped_records: u64,
    pub(crate) dropped_lines: u64,
    pub(crate) other_events: u64,
    pub(crate) without_time: u64,
    pub(crate) without_duration: u64,
    pub(crate) kinds_guessed: u64,
    /// Requests whose line has the detector's fields (`visitor.kind`).
    pub(crate) with_detector: u64,
    pub(crate) actions_unreadable: u64,
    /// Request lines kept as one in N (`sample.rate` above 1): each counted N times.
    pub(crate) sampled_lines: u64,
    /// Request lines read (each counted once, whatever its `sample.rate`).
    pub(crate) request_lines: u64,
    /// Requests without the detector's fields, classified with its rules, and the
    /// probes found among them.
    pub(crate) probes_inferred_from: u64,
    pub(crate) probes_inferred: u64,
}

/// A probe verdict: from the line, or from the detector's rules when the line has none.
struct Probe<'a> {
    category: Cow<'a, [u8]>,
    rule: Cow<'a, [u8]>,
}

/// Per route.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteData {
    pub(crate) client_errors: u64,
    pub(crate) server_errors: u64,
    pub(crate) duration_us: u64,
    pub(crate) timed: u64,
}

/// Per crawler.
#[derive(Clone, Debug)]
pub(crate) struct CrawlerData {
    pub(crate) ok: u64,
    pub(crate) refused: u64,
    pub(crate) not_found: u64,
    pub(crate) robots: u64,
    /// Requests whose line says the crawler was verified (`visitor.verified: true`).
    pub(crate) verified: u64,
    pub(crate) pages: Distinct,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
}

impl Default for CrawlerData {
    fn default() -> Self {
        CrawlerData {
            ok: 0,
            refused: 0,
            not_found: 0,
            robots: 0,
            verified: 0,
            pages: Distinct::new(PAGES_CAP),
            first: None,
            last: None,
        }
    }
}

/// Per attacking client.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientData {
    pub(crate) probes: u64,
    pub(crate) not_found: u64,
    /// Probe category slots seen (bit per slot of [`Names`]).
    pub(crate) categories: u32,
    pub(crate) scanning: bool,
    pub(crate) blocked: u64,
    pub(crate) scanner_agent: bool,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    pub(crate) user_agent: Option<Box<str>>,
}

/// Names given a chart slot in order of appearance; the last slot is "other".
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    names: Vec<Box<str>>,
}

impl Names {
    pub(crate) fn slot(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| **n == *name) {
            return i;
        }
        if self.names.len() < SLOTS - 1 {
            self.names.push(name.into());
            self.names.len() - 1
        } else {
            SLOTS - 1
        }
    }

    /// The name of a slot; `None` for "other".
    pub(crate) fn name(&self, slot: usize) -> Option<&str> {
        self.names.get(slot).map(|n| &**n)
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Gives `other`'s names (a later part of the stream) slots here, in their order
    /// of appearance, and returns where each of its slots went.
    pub(crate) fn merge(&mut self, other: &Names) -> [usize; SLOTS] {
        std::array::from_fn(|i| match other.name(i) {
            Some(name) => self.slot(name),
            None => SLOTS - 1,
        })
    }
}

/// Users: funnel steps per pseudonym (up to [`USERS_CAP`]), and a sketch of all.
#[derive(Clone, Debug, Default)]
pub(crate) struct Users {
    pub(crate) steps: HashMap<u64, u8>,
    pub(crate) sketch: Hll,
    pub(crate) full: bool,
}

impl Users {
    fn see(&mut self, id: u64, steps: u8) {
        self.sketch.insert(id);
        if let Some(s) = self.steps.get_mut(&id) {
            *s |= steps;
        } else if self.steps.len() < USERS_CAP {
            self.steps.insert(id, steps);
        } else {
            self.full = true;
        }
    }

    /// Adds the users of a later part of the stream. Below the cap the result is
    /// exact; beyond it, which users the funnel remembers may differ from one pass.
    fn merge(&mut self, other: Users) {
        self.sketch.merge(&other.sketch);
        self.full |= other.full;
        for (id, steps) in other.steps {
            if let Some(s) = self.steps.get_mut(&id) {
                *s |= steps;
            } else if self.steps.len() < USERS_CAP {
                self.steps.insert(id, steps);
            } else {
                self.full = true;
            }
        }
    }

    /// Distinct users, and whether the number is an estimate.
    pub(crate) fn distinct(&self) -> (u64, bool) {
        if self.full {
            (self.sketch.estimate(), true)
        } else {
            (self.steps.len() as u64, false)
        }
    }

    /// Users who did each step and every step before it, at any time in the window.
    pub(crate) fn funnel(&self) -> [u64; 3] {
        let mut out = [0; 3];
        for &s in self.steps.values() {
            for (k, n) in out.iter_mut().enumerate() {
                let mask = (1u8 << (k + 1)) - 1;
                if s & mask == mask {
                    *n += 1;
                }
            }
        }
        out
    }
}

/// Everything the report counts.
#[derive(Clone, Debug)]
pub(crate) struct Stats {
    pub(crate) input: InputCounts,
    pub(crate) requests: u64,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    /// Index 0: no status or outside 100..=599; 1 to 5: 1xx to 5xx.
    pub(crate) status_classes: [u64; 6],
    pub(crate) status_codes: BTreeMap<u16, u64>,
    pub(crate) outcomes: TopK<()>,
    pub(crate) durations: Histogram,
    pub(crate) bytes: u64,
    pub(crate) routes: TopK<RouteData>,
    pub(crate) kinds: [u64; KINDS.len()],
    pub(crate) timeline: Timeline,
    pub(crate) probe_slots: Names,
    pub(crate) action_slots: Names,
    // Users.
    pub(crate) actions: TopK<()>,
    pub(crate) action_total: u64,
    pub(crate) action_details: TopK<()>,
    pub(crate) users: Users,
    pub(crate) requests_with_user: u64,
    // Search engines.
    pub(crate) crawlers: TopK<CrawlerData>,
    pub(crate) crawler_misses: TopK<()>,
    pub(crate) crawler_requests: u64,
    /// Disallowed fetches of verified and not-yet-known crawlers (`robots.rs`).
    pub(crate) robots: Disallowed,
    // Attackers.
    /// Crawler claims that failed verification (`impostors.rs`).
    pub(crate) impostors: Impostors,
    pub(crate) probes: u64,
    pub(crate) first_probe: Option<Micros>,
    pub(crate) last_probe: Option<Micros>,
    pub(crate) categories: TopK<()>,
    pub(crate) rules: TopK<Box<str>>,
    pub(crate) probed_paths: TopK<()>,
    pub(crate) attackers: TopK<ClientData>,
    pub(crate) scanning_clients: Distinct,
    pub(crate) blocked_clients: Distinct,
    pub(crate) blocked_requests: u64,
    pub(crate) not_found: TopK<()>,
    ua_cache: HashMap<Box<str>, (usize, Option<&'static str>)>,
    /// Built on first use: lines with the detector's fields never need it.
    classifier: Option<Classifier>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            input: InputCounts::default(),
            requests: 0,
            first: None,
            last: None,
            status_classes: [0; 6],
            status_codes: BTreeMap::new(),
            outcomes: TopK::new(16),
            durations: Histogram::default(),
            bytes: 0,
            routes: TopK::new(ROUTES_CAP),
            kinds: [0; KINDS.len()],
            timeline: Timeline::default(),
            probe_slots: Names::default(),
            action_slots: Names::default(),
            actions: TopK::new(NAMES_CAP),
            action_total: 0,
            action_details: TopK::new(NAMES_CAP),
            users: Users::default(),
            requests_with_user: 0,
            crawlers: TopK::new(CRAWLERS_CAP),
            crawler_misses: TopK::new(MISSES_CAP),
            crawler_requests: 0,
            robots: Disallowed::default(),
            impostors: Impostors::default(),
            probes: 0,
            first_probe: None,
            last_probe: None,
            categories: TopK::new(NAMES_CAP),
            rules: TopK::new(NAMES_CAP),
            probed_paths: TopK::new(PATHS_CAP),
            attackers: TopK::new(CLIENTS_CAP),
            scanning_clients: Distinct::new(100_000),
            blocked_clients: Distinct::new(100_000),
            blocked_requests: 0,
            not_found: TopK::new(PATHS_CAP),
            ua_cache: HashMap::new(),
            classifier: None,
        }
    }
}

pub(crate) fn widen(first: &mut Option<Micros>, last: &mut Option<Micros>, t: Option<Micros>) {
    if let Some(t) = t {
        *first = Some(first.map_or(t, |f| f.min(t)));
        *last = Some(last.map_or(t, |l| l.max(t)));
    }
}

/// A pseudonym `u_` + 16 hex digits is already a 64-bit keyed hash: use its value.
fn user_key(id: &[u8]) -> u64 {
    match id {
        [b'u', b'_', hex @ ..] if hex.len() == 16 => {
            match std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            {
                Some(n) => n,
                None => hash64(id),
            }
        }
        _ => hash64(id),
    }
}

/// Text from the line, unescaped the first time it is needed.
struct LazyText<'a> {
    text: Option<Text<'a>>,
    missing: &'static str,
    bytes: OnceCell<Cow<'a, [u8]>>,
}

impl<'a> LazyText<'a> {
    fn new(text: Option<Text<'a>>, missing: &'static str) -> Self {
        LazyText {
            text,
            missing,
            bytes: OnceCell::new(),
        }
    }

    fn get(&self) -> &[u8] {
        self.bytes.get_or_init(|| match self.text {
            Some(t) => t.bytes(),
            None => Cow::Borrowed(self.missing.as_bytes()),
        })
    }
}

/// A key from the log, cut to `max` bytes for the tables (not inside a UTF-8 sequence).
pub(crate) fn cut(b: &[u8], max: usize) -> &[u8] {
    if b.len() <= max {
        return b;
    }
    let mut end = max;
    while end > 0 && b[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    &b[..end]
}

impl InputCounts {
    fn merge(&mut self, o: &InputCounts) {
        self.lines += o.lines;
        for (a, b) in self.formats.iter_mut().zip(&o.formats) {
            *a += b;
        }
        self.blank += o.blank;
        self.malformed += o.malformed;
        self.foreign += o.foreign;
        self.too_long += o.too_long;
        self.filtered += o.filtered;
        self.starts += o.starts;
        self.dropped_records += o.dropped_records;
        self.dropped_lines += o.dropped_lines;
        self.other_events += o.other_events;
        self.without_time += o.without_time;
        self.without_duration += o.without_duration;
        self.kinds_guessed += o.kinds_guessed;
        self.with_detector += o.with_detector;
        self.actions_unreadable += o.actions_unreadable;
        self.sampled_lines += o.sampled_lines;
        self.request_lines += o.request_lines;
        self.probes_inferred_from += o.probes_inferred_from;
        self.probes_inferred += o.probes_inferred;
    }
}

impl Stats {
    /// An empty `Stats` that reuses this one's classifier and user-agent cache (both
    /// costly to build), for the next part of a parallel read.
    pub(crate) fn next_part(&mut self) -> Stats {
        Stats {
            classifier: self.classifier.take(),
            ua_cache: std::mem::take(&mut self.ua_cache),
            ..Stats::default()
        }
    }

    /// Adds the counts of `other`, read from the part of the input that follows this
    /// one's. Merged in input order, the parts give the report one pass gives, with two
    /// exceptions: when a bounded table overflowed (its counts are then marked `~`),
    /// which keys it keeps and their upper bounds may differ slightly; and with more
    /// than 11 probe categories or action names, a part counts the names it met after
    /// its 11th in its charts' "other" series, so a name with its own series may lose
    /// some counts to "other" there (the tables are exact).
    pub(crate) fn merge(&mut self, mut other: Stats) {
        let probes = self.probe_slots.merge(&other.probe_slots);
        let actions = self.action_slots.merge(&other.action_slots);
        self.input.merge(&other.input);
        self.requests += other.requests;
        widen(&mut self.first, &mut self.last, other.first);
        widen(&mut self.first, &mut self.last, other.last);
        for (a, b) in self.status_classes.iter_mut().zip(&other.status_classes) {
            *a += b;
        }
        for (code, n) in std::mem::take(&mut other.status_codes) {
            *self.status_codes.entry(code).or_default() += n;
        }
        self.outcomes.merge(other.outcomes, |_, _| {});
        self.durations.merge(&other.durations);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.routes.merge(other.routes, |a, b| {
            a.client_errors += b.client_errors;
            a.server_errors += b.server_errors;
            a.duration_us = a.duration_us.saturating_add(b.duration_us);
            a.timed += b.timed;
        });
        for (a, b) in self.kinds.iter_mut().zip(&other.kinds) {
            *a += b;
        }
        self.timeline.merge(other.timeline, &probes, &actions);
        self.actions.merge(other.actions, |_, _| {});
        self.action_total += other.action_total;
        self.action_details.merge(other.action_details, |_, _| {});
        self.users.merge(other.users);
        self.requests_with_user += other.requests_with_user;
        self.crawlers.merge(other.crawlers, |a, b| {
            a.ok += b.ok;
            a.refused += b.refused;
            a.not_found += b.not_found;
            a.robots += b.robots;
            a.verified += b.verified;
            a.pages.merge(b.pages);
            widen(&mut a.first, &mut a.last, b.first);
            widen(&mut a.first, &mut a.last, b.last);
        });
        self.crawler_misses.merge(other.crawler_misses, |_, _| {});
        self.crawler_requests += other.crawler_requests;
        self.robots.merge(other.robots);
        self.impostors.merge(other.impostors);
        self.probes += other.probes;
        widen(
            &mut self.first_probe,
            &mut self.last_probe,
            other.first_probe,
        );
        widen(
            &mut self.first_probe,
            &mut self.last_probe,
            other.last_probe,
        );
        self.categories.merge(other.categories, |_, _| {});
        self.rules.merge(other.rules, |a, b| {
            if a.is_empty() {
                *a = b;
            }
        });
        self.probed_paths.merge(other.probed_paths, |_, _| {});
        // The other part's category bits are its own slots: renumber them to these.
        let renumber = |bits: u32| -> u32 {
            (0..SLOTS)
                .filter(|i| bits & (1 << i) != 0)
                .fold(0, |out, i| out | 1 << probes[i])
        };
        for c in other.attackers.data_mut() {
            c.categories = renumber(c.categories);
        }
        self.attackers.merge(other.attackers, |a, b| {
            a.probes += b.probes;
            a.not_found += b.not_found;
            a.categories |= b.categories;
            a.scanning |= b.scanning;
            a.blocked += b.blocked;
            a.scanner_agent |= b.scanner_agent;
            widen(&mut a.first, &mut a.last, b.first);
            widen(&mut a.first, &mut a.last, b.last);
            if a.user_agent.is_none() {
                a.user_agent = b.user_agent;
            }
        });
        self.scanning_clients.merge(other.scanning_clients);
        self.blocked_clients.merge(other.blocked_clients);
        self.blocked_requests += other.blocked_requests;
        self.not_found.merge(other.not_found, |_, _| {});
    }

    /// Counts a line that was skipped.
    pub(crate) fn skipped(&mut self, why: Skip) {
        self.input.lines += 1;
        match why {
            Skip::Blank => self.input.blank += 1,
            Skip::Malformed => self.input.malformed += 1,
            Skip::Foreign => self.input.foreign += 1,
        }
    }

    /// Counts a line longer than the reader's cap.
    pub(crate) fn too_long(&mut self) {
        self.input.lines += 1;
        self.input.too_long += 1;
    }

    /// Counts a line that is a record; `keep` says whether it passed the filters.
    pub(crate) fn record(&mut self, e: &Entry<'_>, keep: bool) {
        self.input.lines += 1;
        self.input.formats[e.format.index()] += 1;
        match e.event {
            Event::Request if keep => self.request(e),
            Event::Request => self.input.filtered += 1,
            Event::Start => self.input.starts += 1,
            Event::Dropped => {
                self.input.dropped_records += 1;
                self.input.dropped_lines += e.dropped.unwrap_or(0);
            }
            Event::Other => self.input.other_events += 1,
        }
    }

    fn classifier(&mut self) -> &Classifier {
        self.classifier.get_or_insert_with(Classifier::default)
    }

    /// The client kind (index in [`KINDS`]) and, for a crawler, its name.
    fn kind_of<'a>(&mut self, e: &Entry<'a>) -> (usize, Option<Cow<'a, str>>) {
        if let Some(kind) = e.kind {
            self.input.with_detector += 1;
            return (agent::kind_index(kind.raw()), e.crawler.map(|c| c.decode()));
        }
        self.input.kinds_guessed += 1;
        let ua = e.user_agent.map(|u| u.decode());
        let key = ua.as_deref().unwrap_or("");
        let (kind, name) = match self.ua_cache.get(key) {
            Some(&hit) => hit,
            None => {
                let guess = agent::classify(self.classifier(), key);
                // Only ordinary user agents are remembered: the cache stays small.
                if key.len() <= UA_CACHE_KEY_MAX {
                    if self.ua_cache.len() >= UA_CACHE_CAP {
                        self.ua_cache.clear();
                    }
                    self.ua_cache.insert(key.into(), guess);
                }
                guess
            }
        };
        (kind, name.map(Cow::Borrowed))
    }

    /// Counts a request; a line kept as one in N (`sample.rate`) counts N times in
    /// every count, sum and percentile. Distinct counts (users, pages, clients) count
    /// what the lines name: a sampled log may not name every one.
    fn request(&mut self, e: &Entry<'_>) {
        let w = e.weight;
        self.input.request_lines += 1;
        self.input.sampled_lines += u64::from(w > 1);
        self.requests += w;
        widen(&mut self.first, &mut self.last, e.time);
        if e.time.is_none() {
            self.input.without_time += w;
        }
        let status = e.status.filter(|s| (100..=599).contains(s));
        self.status_classes[status.map_or(0, |s| usize::from(s / 100))] += w;
        if let Some(s) = status {
            *self.status_codes.entry(s).or_default() += w;
        }
        if let Some(o) = e.outcome {
            self.outcomes.add(cut(&o.bytes(), 32), w, |_| {});
        }
        match e.duration_us {
            Some(us) => self.durations.record_n(us, w),
            None => self.input.without_duration += w,
        }
        self.bytes = self
            .bytes
            .saturating_add(e.bytes.unwrap_or(0).saturating_mul(w));

        // Decoded only when a table needs it: most requests need just the route.
        let path = LazyText::new(e.path, "(no path)");
        let route = e.route.map(|r| r.bytes());
        let route = match &route {
            Some(r) => r,
            None => path.get(),
        };
        self.routes.add(cut(route, 256), w, |r| {
            match status {
                Some(400..=499) => r.client_errors += w,
                Some(500..=599) => r.server_errors += w,
                _ => {}
            }
            if let Some(us) = e.duration_us {
                r.duration_us = r.duration_us.saturating_add(us.saturating_mul(w));
                r.timed += w;
            }
        });

        let (kind, crawler) = self.kind_of(e);
        self.kinds[kind] += w;
        let probe = match e.probe_category {
            Some(category) => Some(Probe {
                category: category.bytes(),
                rule: e
                    .probe_rule
                    .map_or(Cow::Borrowed(&b"(no rule)"[..]), |r| r.bytes()),
            }),
            // The detector did not see this request: classify it with its rules.
            None if e.kind.is_none() => self.infer_probe(e, path.get()),
            None => None,
        };
        let probe_slot = probe
            .as_ref()
            .map(|p| self.probe_slots.slot(&String::from_utf8_lossy(&p.category)));
        // A failed crawler claim is an impostor's request: among the attackers, not
        // the search engines.
        if kind == CRAWLER && e.verified == Some(false) {
            let name = cut(
                crawler.as_deref().unwrap_or("(unnamed crawler)").as_bytes(),
                64,
            );
            let client = LazyText::new(e.client, "(no address)");
            self.impostors
                .record(e, name, cut(client.get(), 64), cut(path.get(), 256));
        } else if kind == CRAWLER {
            self.crawler(e, crawler.as_deref(), status, path.get());
        }
        if let Some(p) = &probe {
            self.probe(e, p, path.get());
        }
        if probe.is_some() || kind == SCANNER || e.scanning || e.blocked {
            let client = LazyText::new(e.client, "(no address)");
            let client = client.get();
            let ua = e.user_agent.map(|u| u.decode());
            self.attackers.add(cut(client, 64), w, |c| {
                c.probes += w * u64::from(probe.is_some());
                c.not_found += w * u64::from(status == Some(404));
                if let Some(slot) = probe_slot {
                    c.categories |= 1 << slot;
                }
                c.scanning |= e.scanning;
                c.blocked += w * u64::from(e.blocked);
                c.scanner_agent |= kind == SCANNER;
                widen(&mut c.first, &mut c.last, e.time);
                if c.user_agent.is_none() {
                    c.user_agent = ua
                        .as_deref()
                        .map(|u| String::from_utf8_lossy(cut(u.as_bytes(), 200)).into());
                }
            });
            if e.scanning {
                self.scanning_clients.insert(hash64(client));
            }
            if e.blocked {
                self.blocked_requests += w;
                self.blocked_clients.insert(hash64(client));
            }
        }
        if status == Some(404) {
            self.not_found.add(cut(path.get(), 256), w, |_| {});
        }

        let steps = match e.actions {
            Some(actions) => self.actions(e.time, actions, w),
            None => 0,
        };
        if let Some(id) = e.user_id {
            self.requests_with_user += w;
            self.users.see(user_key(id.raw()), steps);
        }
        if let Some(t) = e.time {
            let bucket = self.timeline.at(t);
            bucket.kinds[kind] += w;
            if let Some(slot) = probe_slot {
                bucket.probes[slot] += w;
            }
        }
    }

    fn crawler(&mut self, e: &Entry<'_>, name: Option<&str>, status: Option<u16>, path: &[u8]) {
        let w = e.weight;
        self.crawler_requests += w;
        let name = cut(name.unwrap_or("(unnamed crawler)").as_bytes(), 64);
        self.crawlers.add(name, w, |c| {
            match status {
                Some(200..=299) => {
                    c.ok += w;
                    c.pages.insert(hash64(path));
                }
                Some(401 | 403) => c.refused += w,
                Some(404 | 410) => c.not_found += w,
                _ => {}
            }
            c.robots += w * u64::from(path == b"/robots.txt");
            c.verified += w * u64::from(e.verified == Some(true));
            widen(&mut c.first, &mut c.last, e.time);
        });
        self.robots.record(e, name, cut(path, 256));
        if let Some(s @ 400..=599) = status {
            let mut key = name.to_vec();
            key.push(0);
            key.extend_from_slice(s.to_string().as_bytes());
            key.push(0);
            key.extend_from_slice(cut(path, 256));
            self.crawler_misses.add(&key, w, |_| {});
        }
    }

    /// A probe verdict for a request the detector did not see, from its rules.
    fn infer_probe(&mut self, e: &Entry<'_>, path: &[u8]) -> Option<Probe<'static>> {
        self.input.probes_inferred_from += 1;
        let method = e.method.map(|m| m.bytes());
        let method = method
            .as_deref()
            .and_then(|m| http::Method::from_bytes(m).ok())
            .unwrap_or(http::Method::GET);
        let mut target = String::from_utf8_lossy(path).into_owned();
        if let Some(query) = e.query {
            target.push('?');
            target.push_str(&query.decode());
        }
        let ua = e.user_agent.map(|u| u.bytes());
        let found = self
            .classifier()
            .classify(&method, &target, ua.as_deref())?;
        self.input.probes_inferred += 1;
        Some(Probe {
            category: Cow::Borrowed(found.category.as_str().as_bytes()),
            rule: Cow::Owned(found.rule.as_bytes().to_vec()),
        })
    }

    fn probe(&mut self, e: &Entry<'_>, probe: &Probe<'_>, path: &[u8]) {
        let w = e.weight;
        self.probes += w;
        widen(&mut self.first_probe, &mut self.last_probe, e.time);
        let category = cut(&probe.category, 64);
        self.categories.add(category, w, |_| {});
        self.rules.add(cut(&probe.rule, 64), w, |c| {
            if c.is_empty() {
                *c = String::from_utf8_lossy(category).into();
            }
        });
        self.probed_paths.add(cut(path, 256), w, |_| {});
    }

    /// Counts the actions of one line, `w` times; returns its funnel steps as bits.
    fn actions(&mut self, time: Option<Micros>, actions: Text<'_>, w: u64) -> u8 {
        let text = actions.decode();
        let Ok(serde_json::Value::Array(list)) = serde_json::from_str(&text) else {
            self.input.actions_unreadable += 1;
            return 0;
        };
        let mut steps = 0u8;
        for action in &list {
            let Some(fields) = action.as_object() else {
                continue;
            };
            let name = fields
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("(unnamed)");
            let name = String::from_utf8_lossy(cut(name.as_bytes(), 64));
            let name = &*name;
            self.actions.add(name.as_bytes(), w, |_| {});
            self.action_total += w;
            if let Some(step) = FUNNEL.iter().position(|s| *s == name) {
                steps |= 1 << step;
            }
            let slot = self.action_slots.slot(name);
            if let Some(t) = time {
                self.timeline.at(t).actions[slot] += w;
            }
            for (key, value) in fields.iter().filter(|(k, _)| *k != "name") {
                let value = match value {
                    serde_json::Value::String(s) => {
                        String::from_utf8_lossy(cut(s.as_bytes(), 64)).into_owned()
                    }
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                let key = String::from_utf8_lossy(cut(key.as_bytes(), 64));
                let detail = format!("{name} {key}={value}");
                self.action_details.add(detail.as_bytes(), w, |_| {});
            }
        }
        steps
    }
}
