//! The default policies, walked as a matrix: roles × actions × record kinds × classes, and
//! roles × fields × classes × reading/writing. Every expected answer is written out here,
//! independently of the policies, so a change to either shows up.

use super::*;
use obhut_core::purpose::default_purposes;

const TODAY: i64 = 20_000;
const CRM: [Resource; 6] = [Resource::Contact, Resource::Organization, Resource::Activity, Resource::Deal, Resource::Ticket, Resource::Task];

fn gate() -> Gate {
    let g = Gate::new();
    g.set_registry(&default_purposes("2026-01-01"));
    g
}

fn grant() -> ProcessorGrant {
    ProcessorGrant {
        key: "callcenter".into(),
        purposes: vec!["phone_marketing".into()],
        scope_tag: "cc".into(),
        from_day: TODAY - 10,
        until_day: TODAY + 10,
    }
}

fn actor(role: Role) -> Actor {
    let mut a = Actor::new(Some(UserId::new()), "t", role, Channel::Api);
    if role == Role::Processor {
        a.processor = Some(grant());
    }
    a
}

/// What the default policies are meant to allow, for an actor of scope "all" on a record
/// in a processor's scope, under the processor's purpose.
fn expected(role: Role, action: Action, resource: Resource, class: &str) -> bool {
    use Action::*;
    let crm = CRM.contains(&resource);
    let settings = matches!(resource, Resource::Audit | Resource::Purpose | Resource::Policy | Resource::Processor);
    match role {
        Role::Admin => true,
        Role::Dpo => matches!(action, Read | Export) || (settings && matches!(action, Administer | Create | Update | Delete)),
        Role::User => (crm && class == "standard" && !matches!(action, Administer)) || (resource == Resource::Pipeline && action == Read),
        Role::Hr => {
            (crm && (class == "standard" || class == "hr") && matches!(action, Read | Create | Update | Delete))
                || (resource == Resource::Pipeline && action == Read)
        }
        Role::Guest => action == Read && ((crm && class == "standard") || resource == Resource::Pipeline),
        Role::Processor => {
            matches!(resource, Resource::Contact | Resource::Activity) && class == "standard" && matches!(action, Read | Update | Create)
        }
    }
}

#[test]
fn the_record_matrix_holds() {
    let g = gate();
    let tags = vec!["cc".to_string()];
    let mut checked = 0;
    for role in Role::ALL {
        let a = actor(role);
        for resource in Resource::ALL {
            let classes: &[&str] = if CRM.contains(&resource) { &["standard", "hr"] } else { &["settings"] };
            for class in classes {
                for action in Action::ALL {
                    let t = Target::new(resource, class, a.user_id, None, &tags);
                    let got = g.check(&a, action, &t, "phone_marketing", TODAY).is_ok();
                    assert_eq!(got, expected(role, action, resource, class), "{role:?} {action:?} {resource:?} class {class}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 6 * (6 * 2 + 6) * 7);
}

#[test]
fn a_checker_decides_like_the_gate_record_by_record() {
    let g = gate();
    let (scoped, none) = (vec!["cc".to_string()], Vec::new());
    for role in Role::ALL {
        let a = actor(role);
        let mut checker = g.checker(&a, Action::Read, "phone_marketing", TODAY);
        // Each target twice, in an order that mixes them: the remembered answer is the gate's.
        for round in 0..2 {
            for (class, tags, own) in [("standard", &scoped, true), ("hr", &scoped, true), ("standard", &none, false), ("standard", &none, true), ("hr", &none, false)] {
                let owner = if own { a.user_id } else { Some(UserId::new()) };
                let t = Target::new(Resource::Contact, class, owner, None, tags);
                let direct = g.check(&a, Action::Read, &t, "phone_marketing", TODAY).is_ok();
                assert_eq!(checker.allows(&t), direct, "{role:?} {class} {tags:?} own {own}, round {round}");
            }
        }
    }
}

/// Which fields each role may read or write, by record class (processor: under the purpose
/// phone_marketing, which needs the name and the phone number).
fn expected_field(role: Role, access: FieldAccess, def: &FieldDef, class: &str) -> bool {
    let phone_marketing = ["user.name", "user.contact.phone_number"].contains(&def.category);
    match role {
        Role::Admin | Role::Hr => true,
        Role::Dpo => access == FieldAccess::Read,
        Role::User => !(def.sensitive && class == "hr"),
        Role::Guest => access == FieldAccess::Read && !def.sensitive,
        Role::Processor => phone_marketing,
    }
}

#[test]
fn the_field_matrix_holds() {
    let g = gate();
    let mut checked = 0;
    for role in Role::ALL {
        let a = actor(role);
        for class in ["standard", "hr"] {
            for access in [FieldAccess::Read, FieldAccess::Write] {
                let hidden = g.hidden_fields(&a, "contact", class, "phone_marketing", access, TODAY);
                for def in obhut_core::fields::fields_of("contact") {
                    let visible = !hidden.contains(&def.name);
                    assert_eq!(visible, expected_field(role, access, def, class), "{role:?} {access:?} {} class {class}", def.name);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 6 * 2 * 2 * 10);
}

#[test]
fn ownership_and_teams_narrow_a_users_reach() {
    let g = gate();
    let mut a = actor(Role::User);
    let other = Some(UserId::new());
    let t_other = Target::new(Resource::Contact, "standard", other, Some("nord"), &[]);
    let t_own = Target::new(Resource::Contact, "standard", a.user_id, None, &[]);
    assert!(g.check(&a, Action::Read, &t_other, "contract", TODAY).is_ok(), "scope all reaches everything");
    a.scope = Scope::Own;
    assert!(g.check(&a, Action::Read, &t_own, "contract", TODAY).is_ok());
    let refused = g.check(&a, Action::Update, &t_other, "contract", TODAY).err().map(|r| r.policies);
    assert_eq!(refused, Some(vec!["scope-own".to_string()]));
    a.scope = Scope::Team;
    assert!(g.check(&a, Action::Read, &t_other, "contract", TODAY).is_err());
    a.teams = vec!["nord".into()];
    assert!(g.check(&a, Action::Read, &t_other, "contract", TODAY).is_ok());
    // Organizations are shared: scopes narrow people's records, not companies.
    let org = Target::new(Resource::Organization, "standard", other, None, &[]);
    a.teams.clear();
    assert!(g.check(&a, Action::Read, &org, "contract", TODAY).is_ok());
}

#[test]
fn a_processor_is_held_to_its_grant() {
    let g = gate();
    let a = actor(Role::Processor);
    let tagged = vec!["cc".to_string()];
    let in_scope = Target::new(Resource::Contact, "standard", None, None, &tagged);
    let out_of_scope = Target::new(Resource::Contact, "standard", None, None, &[]);
    assert!(g.check(&a, Action::Read, &in_scope, "phone_marketing", TODAY).is_ok());
    let policy = |r: Result<(), Refusal>| r.err().map(|r| r.policies).unwrap_or_default();
    assert_eq!(policy(g.check(&a, Action::Read, &out_of_scope, "phone_marketing", TODAY)), vec!["processor-scope"]);
    assert_eq!(policy(g.check(&a, Action::Read, &in_scope, "newsletter", TODAY)), vec!["processor-purpose"]);
    assert_eq!(policy(g.check(&a, Action::Read, &in_scope, "phone_marketing", TODAY + 11)), vec!["processor-window"]);
    assert_eq!(policy(g.check(&a, Action::Read, &in_scope, "phone_marketing", TODAY - 11)), vec!["processor-window"]);
    assert!(g.check(&a, Action::Export, &in_scope, "phone_marketing", TODAY).is_err());
    // A processor user whose processor is unknown gets nothing.
    let mut lost = a.clone();
    lost.processor = None;
    assert!(g.check(&lost, Action::Read, &in_scope, "phone_marketing", TODAY).is_err());
    // Fields: under its purpose, only what that purpose needs.
    let hidden = g.hidden_fields(&a, "contact", "standard", "phone_marketing", FieldAccess::Read, TODAY);
    assert!(hidden.contains(&"emails") && hidden.contains(&"birthday") && !hidden.contains(&"phones"));
}

#[test]
fn a_policy_that_does_not_validate_is_refused_with_the_validators_message() {
    let g = gate();
    let unknown_attr = r#"permit (principal, action == Obhut::Action::"read", resource) when { principal.department == "x" };"#;
    let e = g.validate(unknown_attr).err().unwrap_or_default();
    assert!(e.contains("department"), "{e}");
    let syntax = "permit (principal, action, resource";
    assert!(g.validate(syntax).is_err());
    let unknown_type = r#"permit (principal in Obhut::Group::"x", action, resource);"#;
    assert!(g.validate(unknown_type).is_err());
    // And nothing changed: the defaults are still in force.
    assert_eq!(g.policies().1, DEFAULT_POLICIES);
    assert!(g.install(1, unknown_attr).is_err());
    assert_eq!(g.policies().0, 0);
}

#[test]
fn an_installed_policy_set_takes_effect_at_once() {
    let g = gate();
    let guest = actor(Role::Guest);
    let t = Target::new(Resource::Contact, "standard", None, None, &[]);
    assert!(g.check(&guest, Action::Read, &t, "contract", TODAY).is_ok());
    let stricter = DEFAULT_POLICIES.replace("@id(\"guest-read\")\npermit", "@id(\"guest-read\")\nforbid");
    assert!(g.install(2, &stricter).is_ok());
    assert!(g.check(&guest, Action::Read, &t, "contract", TODAY).is_err());
}
