//! The privacy gate: every read, write, export and disclosure of personal data asks here first.
//!
//! Decisions come from Cedar policies (`policies/default.cedar`, then whatever administrators
//! save), validated against the schema in `policies/schema.cedarschema`. A service names the
//! action and the record (its kind, class, owner, team and tags) and the gate answers; field
//! rules say which fields of a record an actor may see or write. No handler or command
//! checks roles itself. Refusals are logged by [`crate::app::App::authorize`].

use crate::error::ServiceError;
use cedar_policy::{
    ActionConstraint, Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, PrincipalConstraint,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use obhut_core::fields::{FieldDef, CATALOG};
use obhut_core::ids::UserId;
use obhut_core::purpose::Purpose;
use obhut_core::user::{Role, Scope};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};

pub const SCHEMA: &str = include_str!("../policies/schema.cedarschema");
pub const DEFAULT_POLICIES: &str = include_str!("../policies/default.cedar");

/// Through which surface an actor acts (recorded in the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Api,
    Ui,
    Cli,
    Job,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Ui => "ui",
            Self::Cli => "cli",
            Self::Job => "job",
        }
    }
}

/// What a processor's users are granted (Art. 28): purposes, the tag marking the records in
/// scope, and the window as days since 1970-01-01.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProcessorGrant {
    pub key: String,
    pub purposes: Vec<String>,
    pub scope_tag: String,
    pub from_day: i64,
    pub until_day: i64,
}

/// Who is acting: a signed-in user, a token holder, an operator at the command line, or a job.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: Role,
    pub channel: Channel,
    pub scope: Scope,
    pub teams: Vec<String>,
    /// For processor users: the grant of their processor; `None` for a processor user whose
    /// processor is unknown (then everything is refused).
    pub processor: Option<ProcessorGrant>,
}

impl Actor {
    /// An actor with a role and nothing else set (scope all, no teams).
    pub fn new(user_id: Option<UserId>, name: &str, role: Role, channel: Channel) -> Self {
        Self { user_id, name: name.into(), role, channel, scope: Scope::All, teams: Vec::new(), processor: None }
    }
    /// The operator at the command line: whoever can read the data directory and master key
    /// is an administrator of this installation.
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Self::new(None, &format!("cli:{who}"), Role::Admin, Channel::Cli)
    }
    pub fn job(name: &str) -> Self {
        Self::new(None, &format!("job:{name}"), Role::Admin, Channel::Job)
    }
    /// Obhut itself, for what an installation does on its own (seeding, jobs).
    pub fn system() -> Self {
        Self::new(None, "system", Role::Admin, Channel::Cli)
    }

    /// How the actor is named in the audit trail: `<channel>:user:<id>` or the CLI/job name.
    pub fn audit_name(&self) -> String {
        match self.user_id {
            Some(id) => format!("{}:user:{id}", self.channel.as_str()),
            None => self.name.clone(),
        }
    }

    /// The principal's id in the policies.
    fn principal_id(&self) -> String {
        self.user_id.map(|u| u.to_string()).unwrap_or_else(|| self.name.clone())
    }
}

/// What kind of record an action touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Contact,
    Organization,
    Activity,
    Deal,
    Ticket,
    /// Tasks and follow-ups, decided like the record they are on.
    Task,
    Pipeline,
    User,
    /// The audit trail and its verification.
    Audit,
    /// The purpose registry and the controller's details (Art. 30).
    Purpose,
    /// The gate's own policies.
    Policy,
    /// Processors (Art. 28).
    Processor,
}

impl Resource {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Organization => "organization",
            Self::Activity => "activity",
            Self::Deal => "deal",
            Self::Ticket => "ticket",
            Self::Task => "task",
            Self::Pipeline => "pipeline",
            Self::User => "user",
            Self::Audit => "audit",
            Self::Purpose => "purpose",
            Self::Policy => "policy",
            Self::Processor => "processor",
        }
    }
    /// Records of the CRM carry a class; the installation's settings are of the class "settings".
    fn default_class(self) -> &'static str {
        match self {
            Self::Contact | Self::Organization | Self::Activity | Self::Deal | Self::Ticket | Self::Task => "standard",
            _ => "settings",
        }
    }
    pub const ALL: [Resource; 12] = [
        Self::Contact,
        Self::Organization,
        Self::Activity,
        Self::Deal,
        Self::Ticket,
        Self::Task,
        Self::Pipeline,
        Self::User,
        Self::Audit,
        Self::Purpose,
        Self::Policy,
        Self::Processor,
    ];
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Bulk export: personal data leaves in bulk (a disclosure).
    Export,
    Import,
    /// Installation settings: users, tokens, pipeline stages, purposes, policies, processors.
    Administer,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
            Self::Import => "import",
            Self::Administer => "administer",
        }
    }
    pub const ALL: [Action; 7] = [Self::Read, Self::Create, Self::Update, Self::Delete, Self::Export, Self::Import, Self::Administer];
}

/// One record as the policies see it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub resource: Resource,
    pub class: &'a str,
    pub owner: Option<UserId>,
    pub team: Option<&'a str>,
    pub tags: &'a [String],
}

impl<'a> Target<'a> {
    pub fn new(resource: Resource, class: &'a str, owner: Option<UserId>, team: Option<&'a str>, tags: &'a [String]) -> Self {
        Self { resource, class, owner, team, tags }
    }
}

/// See [`Gate::checker`].
pub struct Checker<'g> {
    gate: &'g Gate,
    actor: &'g Actor,
    action: Action,
    purpose: &'g str,
    today: i64,
    seen: HashMap<(Resource, String, Option<UserId>, Option<String>, Vec<String>), bool>,
}

impl Checker<'_> {
    /// Whether the record is allowed (the same answer as [`Gate::check`]).
    pub fn allows(&mut self, target: &Target<'_>) -> bool {
        let key = (target.resource, target.class.to_string(), target.owner, target.team.map(str::to_string), target.tags.to_vec());
        if let Some(&ok) = self.seen.get(&key) {
            return ok;
        }
        let ok = self.gate.check(self.actor, self.action, target, self.purpose, self.today).is_ok();
        self.seen.insert(key, ok);
        ok
    }
}

/// Reading or writing a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldAccess {
    Read,
    Write,
}

/// A refusal: the message for the caller and the policies that decided it (for the log).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub message: String,
    pub policies: Vec<String>,
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        ServiceError::Forbidden(r.message)
    }
}

/// The policies in force, and for each role and action the slice of them that can apply.
struct Loaded {
    version: i64,
    source: String,
    set: PolicySet,
    /// Cedar evaluates every policy it is given, so each decision gets only the policies whose
    /// scope can match its principal's role and its action (the others could not apply).
    slices: RwLock<HashMap<(Role, String), Arc<PolicySet>>>,
    /// Each policy's `@id` (what refusals name), read once: looking an annotation up parses its key.
    ids: HashMap<cedar_policy::PolicyId, String>,
}

impl Loaded {
    fn new(version: i64, source: &str, set: PolicySet) -> Self {
        let ids = set.policies().map(|p| (p.id().clone(), p.annotation("id").map_or_else(|| p.id().to_string(), str::to_string))).collect();
        Self { version, source: source.to_string(), set, slices: RwLock::new(HashMap::new()), ids }
    }

    fn slice(&self, role: Role, action: &str) -> Arc<PolicySet> {
        if let Some(s) = self.slices.read().ok().and_then(|m| m.get(&(role, action.to_string())).cloned()) {
            return s;
        }
        let role_uid = uid("Obhut::Role", role.as_str());
        let action_uid = uid("Obhut::Action", action);
        let mut sub = PolicySet::new();
        for p in self.set.policies() {
            let principal_ok = match p.principal_constraint() {
                PrincipalConstraint::In(u) | PrincipalConstraint::IsIn(_, u) if u.type_name() == role_uid.type_name() => u == role_uid,
                _ => true,
            };
            let action_ok = match p.action_constraint() {
                ActionConstraint::Any => true,
                ActionConstraint::Eq(a) => a == action_uid,
                ActionConstraint::In(list) => list.contains(&action_uid),
            };
            if principal_ok && action_ok {
                // Ids are unique in the whole set, so they are in a part of it.
                let _ = sub.add(p.clone());
            }
        }
        let sub = Arc::new(sub);
        if let Ok(mut m) = self.slices.write() {
            m.insert((role, action.to_string()), sub.clone());
        }
        sub
    }
}

/// The gate: schema, the policies in force, and what the purpose registry says about fields.
pub struct Gate {
    schema: Schema,
    authorizer: Authorizer,
    loaded: RwLock<Arc<Loaded>>,
    /// For each catalogued field, the active purposes that justify it; and each purpose's
    /// compatible purposes (Art. 6(4)).
    registry: RwLock<Arc<RegistryView>>,
    /// Field decisions depend on the actor, the record's class and the purpose only: cached.
    field_cache: Mutex<HashMap<FieldKey, Arc<Vec<&'static str>>>>,
}

#[derive(Default)]
struct RegistryView {
    version: u64,
    justifying: HashMap<(&'static str, &'static str), Vec<String>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct FieldKey {
    principal: String,
    role: Role,
    scope: Scope,
    processor: Option<ProcessorGrant>,
    record_kind: &'static str,
    class: String,
    purpose: String,
    access: FieldAccess,
    today: i64,
    policies: i64,
    registry: u64,
}

/// The schema's entity type names, parsed once (parsing one runs Cedar's parser).
fn type_name(ty: &str) -> EntityTypeName {
    static NAMES: std::sync::LazyLock<HashMap<&'static str, EntityTypeName>> = std::sync::LazyLock::new(|| {
        ["Obhut::Role", "Obhut::User", "Obhut::Record", "Obhut::Field", "Obhut::Action"]
            .into_iter()
            .map(|t| (t, EntityTypeName::from_str(t).unwrap_or_else(|e| unreachable!("entity type {t}: {e}"))))
            .collect()
    });
    match NAMES.get(ty) {
        Some(t) => t.clone(),
        None => EntityTypeName::from_str(ty).unwrap_or_else(|e| unreachable!("entity type {ty}: {e}")),
    }
}

fn uid(ty: &str, id: &str) -> EntityUid {
    // Type names here are constants of the schema; ids are arbitrary strings.
    EntityUid::from_type_name_and_id(type_name(ty), EntityId::new(id))
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_string())
}

fn set(v: &[String]) -> RestrictedExpression {
    RestrictedExpression::new_set(v.iter().map(|x| s(x)))
}

impl Gate {
    /// The gate with the default policies (the store's saved ones are loaded by the app).
    pub fn new() -> Self {
        let schema = parse_schema();
        let set = validate_with(&schema, DEFAULT_POLICIES).unwrap_or_else(|e| unreachable!("the default policies do not validate: {e}"));
        Self {
            schema,
            authorizer: Authorizer::new(),
            loaded: RwLock::new(Arc::new(Loaded::new(0, DEFAULT_POLICIES, set))),
            registry: RwLock::new(Arc::new(RegistryView::default())),
            field_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Parses and validates a policy set against the schema; the validator's messages on failure.
    pub fn validate(&self, source: &str) -> Result<PolicySet, String> {
        validate_with(&self.schema, source)
    }

    /// Puts a validated policy set in force.
    pub fn install(&self, version: i64, source: &str) -> Result<(), String> {
        let set = self.validate(source)?;
        if let Ok(mut l) = self.loaded.write() {
            *l = Arc::new(Loaded::new(version, source, set));
        }
        if let Ok(mut c) = self.field_cache.lock() {
            c.clear();
        }
        Ok(())
    }

    pub fn policies(&self) -> (i64, String) {
        let l = self.current();
        (l.version, l.source.clone())
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded.read().map(|l| l.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Takes in the purpose registry: which active purposes justify each field.
    pub fn set_registry(&self, purposes: &[Purpose]) {
        let mut justifying = HashMap::new();
        for def in CATALOG {
            let keys = obhut_core::fields::justifying(def, purposes).into_iter().map(str::to_string).collect();
            justifying.insert((def.record_type, def.name), keys);
        }
        if let Ok(mut r) = self.registry.write() {
            let version = r.version + 1;
            *r = Arc::new(RegistryView { version, justifying });
        }
    }

    /// The active purposes that justify a field.
    pub fn justifying(&self, def: &FieldDef) -> Vec<String> {
        self.registry.read().ok().and_then(|r| r.justifying.get(&(def.record_type, def.name)).cloned()).unwrap_or_default()
    }

    fn principal(&self, actor: &Actor) -> Entity {
        let id = actor.principal_id();
        let p = actor.processor.as_ref();
        let attrs = HashMap::from([
            ("id".to_string(), s(&id)),
            ("scope".to_string(), s(actor.scope.as_str())),
            ("teams".to_string(), set(&actor.teams)),
            ("processor".to_string(), s(p.map_or("", |p| p.key.as_str()))),
            ("processor_purposes".to_string(), set(p.map_or(&[][..], |p| &p.purposes[..]))),
            ("processor_scope_tag".to_string(), s(p.map_or("", |p| p.scope_tag.as_str()))),
            // A processor user without a known processor gets an empty window.
            ("processor_from".to_string(), RestrictedExpression::new_long(p.map_or(1, |p| p.from_day))),
            ("processor_until".to_string(), RestrictedExpression::new_long(p.map_or(0, |p| p.until_day))),
        ]);
        let parents = HashSet::from([uid("Obhut::Role", actor.role.as_str())]);
        Entity::new(uid("Obhut::User", &id), attrs, parents).unwrap_or_else(|e| unreachable!("principal entity: {e}"))
    }

    fn decide(&self, actor: &Actor, action: &str, resource: Entity, context: Vec<(String, RestrictedExpression)>) -> (bool, Vec<String>) {
        let loaded = self.current();
        let principal = self.principal(actor);
        let (p_uid, r_uid) = (principal.uid(), resource.uid());
        let role = Entity::new_no_attrs(uid("Obhut::Role", actor.role.as_str()), HashSet::new());
        let Ok(entities) = Entities::from_entities([principal, resource, role], None) else {
            return (false, vec![]);
        };
        let Ok(context) = Context::from_pairs(context) else { return (false, vec![]) };
        let Ok(request) = cedar_policy::Request::new(p_uid, uid("Obhut::Action", action), r_uid, context, None) else {
            return (false, vec![]);
        };
        let set = loaded.slice(actor.role, action);
        let answer = self.authorizer.is_authorized(&request, &set, &entities);
        let reasons = answer.diagnostics().reason().map(|p| loaded.ids.get(p).cloned().unwrap_or_else(|| p.to_string()));
        (answer.decision() == Decision::Allow, reasons.collect())
    }

    fn context(actor: &Actor, purpose: &str, today: i64) -> Vec<(String, RestrictedExpression)> {
        vec![
            ("purpose".to_string(), s(purpose)),
            ("channel".to_string(), s(actor.channel.as_str())),
            ("today".to_string(), RestrictedExpression::new_long(today)),
        ]
    }

    /// May the actor do this to this record, for this purpose?
    pub fn check(&self, actor: &Actor, action: Action, target: &Target<'_>, purpose: &str, today: i64) -> Result<(), Refusal> {
        let attrs = HashMap::from([
            ("kind".to_string(), s(target.resource.kind())),
            ("class".to_string(), s(target.class)),
            ("owner".to_string(), s(&target.owner.map(|o| o.to_string()).unwrap_or_default())),
            ("team".to_string(), s(target.team.unwrap_or(""))),
            ("tags".to_string(), set(target.tags)),
        ]);
        let record = Entity::new(uid("Obhut::Record", target.resource.kind()), attrs, HashSet::new())
            .unwrap_or_else(|e| unreachable!("record entity: {e}"));
        let (allowed, policies) = self.decide(actor, action.as_str(), record, Self::context(actor, purpose, today));
        if allowed {
            return Ok(());
        }
        let class = if target.class == target.resource.default_class() { String::new() } else { format!(" of the class {}", target.class) };
        let why =
            if policies.is_empty() { "no policy permits it".to_string() } else { format!("refused by the policy {}", policies.join(", ")) };
        Err(Refusal {
            message: format!(
                "the role {} may not {} {} records{class}: {why}",
                actor.role.as_str(),
                action.as_str(),
                target.resource.kind()
            ),
            policies,
        })
    }

    /// A checker for many records under one actor, action, purpose and day (a list, a search):
    /// the decision depends only on a record's kind, class, owner, team and tags, so records
    /// alike are decided once.
    pub fn checker<'g>(&'g self, actor: &'g Actor, action: Action, purpose: &'g str, today: i64) -> Checker<'g> {
        Checker { gate: self, actor, action, purpose, today, seen: HashMap::new() }
    }

    /// May the actor do this to some record of this kind: one of their own, of their team,
    /// in their processor's scope. Lists and creations ask this first; each record handed out
    /// or stored is then checked on its own.
    pub fn check_kind(&self, actor: &Actor, action: Action, resource: Resource, purpose: &str, today: i64) -> Result<(), Refusal> {
        let tags: Vec<String> = actor.processor.iter().map(|p| p.scope_tag.clone()).collect();
        let target = Target {
            resource,
            class: resource.default_class(),
            owner: actor.user_id,
            team: actor.teams.first().map(String::as_str),
            tags: &tags,
        };
        self.check(actor, action, &target, purpose, today)
    }

    /// What of a kind's records the actor may reach for an action, as a filter for the
    /// database, derived from the policies by asking them about typical records: which
    /// classes, whether records of other owners (or only the actor's own and their teams'),
    /// whether only records with the processor's scope tag. `hide_restricted` is left to the
    /// caller (Art. 18 is decided outside the policies).
    pub fn reach(&self, actor: &Actor, action: Action, resource: Resource, purpose: &str, today: i64) -> obhut_store::reach::Reach {
        use obhut_core::contact::RecordClass;
        let scope_tags: Vec<String> = actor.processor.iter().map(|p| p.scope_tag.clone()).collect();
        let first_team = actor.teams.first().map(String::as_str);
        let may = |class: RecordClass, owner: Option<UserId>, team: Option<&str>, tags: &[String]| {
            let t = Target { resource, class: class.as_str(), owner, team, tags };
            self.check(actor, action, &t, purpose, today).is_ok()
        };
        let classes: Vec<RecordClass> =
            [RecordClass::Standard, RecordClass::Hr].into_iter().filter(|c| may(*c, actor.user_id, first_team, &scope_tags)).collect();
        let Some(&class) = classes.first() else {
            return obhut_store::reach::Reach { classes: Some(classes), ..Default::default() };
        };
        let owner_or_teams = if may(class, None, None, &scope_tags) {
            None
        } else {
            let teams = actor.teams.iter().filter(|t| may(class, None, Some(t.as_str()), &scope_tags)).cloned().collect();
            // An actor without an account (the CLI, a job) owns nothing.
            Some((actor.user_id.unwrap_or(UserId(uuid::Uuid::nil())), teams))
        };
        let required_tag = match actor.processor.as_ref() {
            Some(p) if !may(class, actor.user_id, first_team, &[]) => Some(p.scope_tag.clone()),
            _ => None,
        };
        obhut_store::reach::Reach { classes: Some(classes), owner_or_teams, required_tag, hide_restricted: false }
    }

    /// The fields of a record kind the actor may not read (or write) in a record of this class,
    /// for this purpose.
    pub fn hidden_fields(
        &self,
        actor: &Actor,
        record_kind: &'static str,
        class: &str,
        purpose: &str,
        access: FieldAccess,
        today: i64,
    ) -> Arc<Vec<&'static str>> {
        let (policies, registry) = (self.current().version, self.registry.read().map(|r| r.version).unwrap_or(0));
        let key = FieldKey {
            principal: actor.principal_id(),
            role: actor.role,
            scope: actor.scope,
            processor: actor.processor.clone(),
            record_kind,
            class: class.to_string(),
            purpose: purpose.to_string(),
            access,
            today,
            policies,
            registry,
        };
        if let Some(hit) = self.field_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        let action = match access {
            FieldAccess::Read => "read_field",
            FieldAccess::Write => "write_field",
        };
        let mut hidden = Vec::new();
        for def in obhut_core::fields::fields_of(record_kind) {
            let attrs = HashMap::from([
                ("record_kind".to_string(), s(def.record_type)),
                ("name".to_string(), s(def.name)),
                ("category".to_string(), s(def.category)),
                ("sensitive".to_string(), RestrictedExpression::new_bool(def.sensitive)),
                ("purposes".to_string(), set(&self.justifying(def))),
            ]);
            let field = Entity::new(uid("Obhut::Field", &format!("{}.{}", def.record_type, def.name)), attrs, HashSet::new())
                .unwrap_or_else(|e| unreachable!("field entity: {e}"));
            let mut ctx = Self::context(actor, purpose, today);
            ctx.push(("record_class".to_string(), s(class)));
            if !self.decide(actor, action, field, ctx).0 {
                hidden.push(def.name);
            }
        }
        let hidden = Arc::new(hidden);
        if let Ok(mut c) = self.field_cache.lock() {
            if c.len() > 10_000 {
                c.clear();
            }
            c.insert(key, hidden.clone());
        }
        hidden
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

fn parse_schema() -> Schema {
    let (schema, _warnings) =
        Schema::from_cedarschema_str(SCHEMA).unwrap_or_else(|e| unreachable!("the gate's schema does not parse: {e}"));
    schema
}

fn validate_with(schema: &Schema, source: &str) -> Result<PolicySet, String> {
    let set = PolicySet::from_str(source).map_err(|e| {
        let mut m = format!("{e}");
        for cause in std::iter::successors(std::error::Error::source(&e), |c| c.source()) {
            m.push_str(&format!(": {cause}"));
        }
        m
    })?;
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    if result.validation_passed() {
        Ok(set)
    } else {
        let msgs: Vec<String> = result.validation_errors().map(|e| format!("{e}")).collect();
        Err(msgs.join("; "))
    }
}

#[cfg(test)]
mod tests;
