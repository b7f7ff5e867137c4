//! The store's one error type and its `Result`, shared by every repository module.

use crate::crypto;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database cannot be reached at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the record was changed by someone else in the meantime (version {expected} expected)")]
    Conflict { expected: i64 },
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the master key does not match this database: restore the key it was created with (DATA_DIR/master.key, --master-key-file or OBHUT_MASTER_KEY); a key file created just now can be deleted")]
    KeyMismatch,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
