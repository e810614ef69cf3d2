//! The policy's decisions, one rule at a time.

use super::*;
use crate::record::Arena;

fn request(route: &str, status: u16, micros: u64) -> Record {
    let mut r = Record::blank("http.request", Arena::default());
    let span = r.push_text(route);
    r.set_route(span);
    r.set_status(status);
    r.set_outcome(Outcome::Ok);
    r.set_duration_micros(micros);
    r
}

fn kept(policy: &Keep, r: &Record, times: usize) -> usize {
    (0..times).filter(|_| policy.decide(r).keeps()).count()
}

#[test]
fn new_keeps_everything_unmarked() {
    let policy = Keep::new();
    let d = policy.decide(&request("/", 200, 10));
    assert_eq!(d, Decision::Sampled(1));
    assert_eq!(d.rate(), None);
}

#[test]
fn one_in_n_per_route_keeps_the_first_and_every_nth() {
    let policy = Keep::new().one_in(20);
    let busy = request("/busy", 200, 10);
    let quiet = request("/quiet", 200, 10);
    let decisions: Vec<Decision> = (0..41).map(|_| policy.decide(&busy)).collect();
    assert_eq!(decisions[0], Decision::Sampled(20));
    assert_eq!(decisions[0].rate(), Some(20));
    assert_eq!(decisions[1], Decision::SampledOut);
    assert_eq!(decisions.iter().filter(|d| d.keeps()).count(), 3); // 0, 20, 40
                                                                   // The busy route did not use up the quiet one's turn.
    assert_eq!(policy.decide(&quiet), Decision::Sampled(20));
    assert_eq!(policy.decide(&quiet), Decision::SampledOut);
}

#[test]
fn failures_probes_suspects_actions_and_slow_requests_are_always_kept() {
    let policy = Keep::new()
        .one_in(1000)
        .slower_than(Duration::from_millis(500));
    let mut cases: Vec<(Record, Decision)> = Vec::new();
    for status in [404, 500, 503] {
        cases.push((request("/a", status, 10), Decision::Failed));
    }
    for outcome in [Outcome::Error, Outcome::Panic, Outcome::Aborted] {
        let mut r = request("/a", 200, 10);
        r.set_outcome(outcome);
        cases.push((r, Decision::Failed));
    }
    let mut probe = request("/a", 200, 10);
    probe.set_probe_category("wordpress");
    cases.push((probe, Decision::Probe));
    let mut blocked = request("/a", 200, 10);
    blocked.set_blocked(true);
    cases.push((blocked, Decision::Blocked));
    let mut impostor = request("/a", 200, 10);
    impostor.set_client_verified(false);
    cases.push((impostor, Decision::Blocked));
    let mut action = request("/a", 303, 10);
    action.push_action(crate::FieldValue::from("purchase"));
    cases.push((action, Decision::Action));
    cases.push((request("/a", 200, 500_001), Decision::Slow));
    for (r, want) in &cases {
        for _ in 0..5 {
            assert_eq!(policy.decide(r), *want, "{r:?}");
        }
        assert_eq!(want.rate(), None);
    }
    // Exactly at the threshold is not slower than it.
    assert_eq!(kept(&policy, &request("/b", 200, 500_000), 1000), 1);
}

#[test]
fn client_errors_can_be_sampled() {
    let policy = Keep::new().one_in(10).sample_client_errors();
    assert_eq!(kept(&policy, &request("/a", 404, 10), 100), 10);
    assert_eq!(kept(&policy, &request("/a", 500, 10), 100), 100);
}

#[test]
fn drop_rules_win_and_closures_keep() {
    let policy = Keep::new()
        .one_in(10)
        .drop_when(|r| r.route() == Some("/health") && r.status() == Some(200))
        .when(|r| r.route() == Some("/checkout"));
    assert_eq!(
        policy.decide(&request("/health", 200, 10)),
        Decision::DroppedByRule
    );
    assert_eq!(
        policy.decide(&request("/health", 503, 10)),
        Decision::Failed
    );
    assert_eq!(kept(&policy, &request("/checkout", 200, 10), 50), 50);
    assert_eq!(
        policy.decide(&request("/checkout", 200, 10)),
        Decision::Closure
    );
    // A drop rule wins over a failure when it says so.
    let everything = Keep::new().drop_when(|_| true);
    assert_eq!(
        everything.decide(&request("/a", 500, 10)),
        Decision::DroppedByRule
    );
}

#[test]
fn requests_without_a_route_count_by_first_segment() {
    let mut r = Record::blank("http.request", Arena::default());
    let span = r.push_text("/wp-admin/setup.php");
    r.set_path(span);
    assert_eq!(route_key(&r), b"/wp-admin");
    let mut root = Record::blank("http.request", Arena::default());
    let span = root.push_text("/");
    root.set_path(span);
    assert_eq!(route_key(&root), b"/");
    assert_eq!(
        route_key(&Record::blank("http.request", Arena::default())),
        b"/"
    );
}

#[test]
fn a_full_table_falls_back_to_one_shared_counter() {
    let counters = Counters::new();
    for i in 0..SLOTS * 2 {
        counters.tick(format!("/r{i}").as_bytes());
    }
    // Every key got a slot or the overflow counter; nothing was lost.
    let in_slots: u64 = counters
        .seen
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .sum();
    let overflow = counters.overflow.load(Ordering::Relaxed);
    assert_eq!(in_slots + overflow, (SLOTS * 2) as u64);
    assert!(overflow >= SLOTS as u64, "{overflow}");
    // A key that has a slot keeps counting in it.
    assert_eq!(counters.tick(b"/r0"), 1);
}

#[test]
fn the_policy_describes_itself() {
    let policy = Keep::new()
        .one_in(20)
        .slower_than(Duration::from_millis(500))
        .drop_when(|_| false);
    let text = format!("{policy:?}");
    assert!(text.contains("1 in 20"), "{text}");
    assert!(text.contains("slower than 500 ms"), "{text}");
    assert!(text.contains("1 drop rule"), "{text}");
}
