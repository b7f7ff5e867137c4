//! How long the privacy gate takes to decide: record decisions (Cedar) and field masks
//! (cached after the first), per second on one core. Usage: gate_bench [ITERATIONS]

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obhut_core::ids::UserId;
use obhut_core::user::Role;
use obhut_server::gate::{Action, Actor, Channel, FieldAccess, Gate, Resource, Target};

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let gate = Gate::new();
    gate.set_registry(&obhut_core::purpose::default_purposes("2026-01-01"));
    let actor = Actor::new(Some(UserId::new()), "anna", Role::User, Channel::Api);
    let owner = Some(UserId::new());
    let tags = vec!["kunde".to_string()];
    let target = Target::new(Resource::Contact, "standard", owner, None, &tags);
    let started = std::time::Instant::now();
    let mut allowed = 0u32;
    for _ in 0..n {
        allowed += u32::from(gate.check(&actor, Action::Read, &target, "contract", 20_000).is_ok());
    }
    let t = started.elapsed();
    println!(
        "record decisions: {n} in {t:?}: {:.0}/s, {:.1} µs each ({allowed} allowed)",
        f64::from(n) / t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / f64::from(n)
    );
    let started = std::time::Instant::now();
    let mut hidden = 0usize;
    for _ in 0..n {
        hidden += gate.hidden_fields(&actor, "contact", "standard", "contract", FieldAccess::Read, 20_000).len();
    }
    let t = started.elapsed();
    println!("field masks (cached): {n} in {t:?}: {:.1} µs each ({hidden} hidden)", t.as_secs_f64() * 1e6 / f64::from(n));
}
