//! A freshly migrated store per test: SQLite in a temporary directory, PostgreSQL in a schema
//! of its own.

use obhut_core::contact::{ContactDraft, ContactKind, ContactPersonal, RecordClass};
use obhut_core::ids::ContactId;
use obhut_store::contacts::{NewContact, Origin};
use obhut_store::{Backend, MasterKeySource, Store, StoreOptions};

fn pg_base() -> String {
    std::env::var("OBHUT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether PostgreSQL tests can run. Under CI=true a missing server fails the test instead.
async fn pg_available() -> bool {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let ok = sqlx::AnyConnection::connect(&pg_base()).await.is_ok();
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("PostgreSQL is not reachable at {} and CI=true: the PostgreSQL tests must run", pg_base());
        }
        eprintln!("note: PostgreSQL not reachable at {}; skipping the PostgreSQL half of this test", pg_base());
    }
    ok
}

/// A migrated store and what keeps it alive (its directory).
pub struct TestStore {
    pub store: Store,
    _dir: tempfile::TempDir,
}

/// SQLite always, PostgreSQL when it answers.
pub async fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if pg_available().await {
        v.push(Backend::Postgres);
    }
    v
}

pub async fn open(backend: Backend) -> TestStore {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let schema = format!("s_{}", uuid::Uuid::new_v4().simple());
            let mut c = sqlx::AnyConnection::connect(&pg_base()).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut c).await.unwrap();
            let sep = if pg_base().contains('?') { '&' } else { '?' };
            Some(format!("{}{sep}options=-c%20search_path%3D{schema}", pg_base()))
        }
    };
    let opts = StoreOptions {
        database_url,
        data_dir: dir.path().to_path_buf(),
        master_key: MasterKeySource::DataDir(dir.path().to_path_buf()),
        max_connections: 4,
    };
    let store = Store::open(&opts).await.unwrap_or_else(|e| panic!("open {backend:?}: {e}"));
    assert!(store.migrate().await.unwrap() > 0);
    TestStore { store, _dir: dir }
}

/// A contact with nothing in it but its id.
pub async fn add_contact(store: &Store) -> ContactId {
    let id = ContactId::new();
    let draft = ContactDraft {
        kind: ContactKind::B2c,
        record_class: RecordClass::default(),
        team: None,
        organization_id: None,
        owner_id: None,
        language: None,
        tags: Vec::new(),
        personal: ContactPersonal::default(),
    };
    let origin = Origin { source: "cli".into(), detail: None, import_run_id: None };
    let mut tx = store.begin().await.unwrap();
    obhut_store::contacts::insert_contacts(&mut tx, &store.crypto, &[NewContact { id, draft: &draft, origin: &origin }], 1, "test")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
