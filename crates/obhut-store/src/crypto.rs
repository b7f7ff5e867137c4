//! Envelope encryption and blind indexes.
//!
//! Every data subject (a contact; an organization for its own details) has a random
//! 256-bit key. Its personal fields are sealed with XChaCha20-Poly1305 under that key, the
//! record id bound as associated data so a sealed value cannot be moved to another record.
//! The subject key is stored wrapped under a key derived from the master key. Destroying the
//! wrapped key (erasure) makes every copy of the subject's data unreadable (crypto-shredding).
//! Lookups use keyed blind indexes: HMAC-SHA-256 under a second derived key, truncated.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// Bytes of a blind index token: 128 bits keep collisions negligible at any size we serve.
pub const BLIND_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key file {path} cannot be read: {source}")]
    ReadKey { path: PathBuf, source: std::io::Error },
    #[error("the master key file {path} cannot be created: {source}")]
    CreateKey { path: PathBuf, source: std::io::Error },
    #[error("the master key must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error("a sealed value cannot be opened: wrong key, or the data was changed")]
    Open,
    #[error("a sealed value has an unknown format")]
    Format,
}

/// Where the master key comes from. Production keeps it outside the data directory.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// Hex in an environment variable or secret store, already read.
    Hex(secrecy::SecretString),
    /// A file holding the key in hex.
    File(PathBuf),
    /// `DATA_DIR/master.key`, created with mode 0600 on first use: the zero-setup default.
    DataDir(PathBuf),
}

fn parse_hex_key(s: &str) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let bytes = Zeroizing::new(hex::decode(s.trim()).map_err(|_| CryptoError::BadKey)?);
    let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::BadKey)?;
    Ok(Zeroizing::new(arr))
}

/// Reads the master key, creating the data-directory key file on first use.
pub fn load_master_key(source: &MasterKeySource) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    use secrecy::ExposeSecret;
    match source {
        MasterKeySource::Hex(s) => parse_hex_key(s.expose_secret()),
        MasterKeySource::File(p) => {
            let s = Zeroizing::new(std::fs::read_to_string(p).map_err(|e| CryptoError::ReadKey { path: p.clone(), source: e })?);
            parse_hex_key(&s)
        }
        MasterKeySource::DataDir(dir) => {
            crate::files::data_dir(dir).map_err(|e| CryptoError::CreateKey { path: dir.clone(), source: e })?;
            let p = dir.join("master.key");
            match std::fs::read_to_string(&p) {
                Ok(s) => parse_hex_key(&Zeroizing::new(s)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&p),
                Err(e) => Err(CryptoError::ReadKey { path: p, source: e }),
            }
        }
    }
}

fn create_key_file(p: &Path) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    let hexed = Zeroizing::new(format!("{}\n", hex::encode(key.as_ref())));
    let err = |e| CryptoError::CreateKey { path: p.to_path_buf(), source: e };
    // create_new: two processes starting at once never overwrite each other's key.
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(p) {
        Ok(mut f) => {
            f.write_all(hexed.as_bytes()).map_err(err)?;
            f.sync_all().map_err(err)?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let s = Zeroizing::new(std::fs::read_to_string(p).map_err(|e| CryptoError::ReadKey { path: p.to_path_buf(), source: e })?);
            parse_hex_key(&s)
        }
        Err(e) => Err(err(e)),
    }
}

/// The keys derived from the master key. Cheap to share behind an `Arc`.
pub struct Crypto {
    kek: XChaCha20Poly1305,
    /// HMAC state with the blind-index key already absorbed; cloned per token.
    blind_mac: Hmac<Sha256>,
    /// HMAC state for the audit chain's head (its checkpoint).
    checkpoint_mac: Hmac<Sha256>,
    /// The installation's own data key (erasure records, backups).
    data: XChaCha20Poly1305,
    /// Every sort bucket with the letters it stands for (see [`Crypto::sort_bucket`]), built
    /// on first use.
    sort_table: std::sync::OnceLock<Vec<(u64, [u8; SORT_PREFIX])>>,
}

/// How many leading letters of a name's sort key its sort bucket stands for.
pub const SORT_PREFIX: usize = 4;

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(<keys>)")
    }
}

/// A data subject's own key, unwrapped. Zeroed when dropped.
pub struct SubjectKey(Zeroizing<[u8; 32]>);

impl Crypto {
    pub fn new(master: &[u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"obhut-v1"), master);
        let mut kek = Zeroizing::new([0u8; 32]);
        let mut blind = Zeroizing::new([0u8; 64]);
        // Both expansions ask for 32 bytes, far below HKDF's limit, so they cannot fail.
        let _ = hk.expand(b"key-encryption-key", kek.as_mut());
        let _ = hk.expand(b"blind-index-key", blind.as_mut());
        let mut checkpoint = Zeroizing::new([0u8; 64]);
        let _ = hk.expand(b"audit-checkpoint-key", checkpoint.as_mut());
        // A 64-byte key is exactly SHA-256's block size, so the fixed-size constructor applies.
        let blind_mac = <Hmac<Sha256> as Mac>::new(blind.as_ref().into());
        let checkpoint_mac = <Hmac<Sha256> as Mac>::new(checkpoint.as_ref().into());
        let mut data = Zeroizing::new([0u8; 32]);
        let _ = hk.expand(b"installation-data-key", data.as_mut());
        Self {
            kek: XChaCha20Poly1305::new(kek.as_ref().into()),
            blind_mac,
            checkpoint_mac,
            data: XChaCha20Poly1305::new(data.as_ref().into()),
            sort_table: std::sync::OnceLock::new(),
        }
    }

    fn sort_token(&self, prefix: &str) -> u64 {
        let t = self.blind("s", prefix);
        u64::from_be_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]])
    }

    /// The stored sort bucket of a name's sort key (letters a-z and spaces): a keyed hash of
    /// its first [`SORT_PREFIX`] characters, so the database learns which names share their
    /// beginning (what the blind name index tells already) and nothing of their order or letters.
    pub fn sort_bucket(&self, sort_key: &str) -> String {
        let prefix: String = sort_key.chars().filter(|c| c.is_ascii_lowercase() || *c == ' ').take(SORT_PREFIX).collect();
        format!("{:016x}", self.sort_token(&prefix))
    }

    /// The stored city token of a contact: a keyed hash of the folded city name (the blind
    /// index's key), so the database can tell which contacts share a city and not which city.
    pub fn city_token(&self, city: &str) -> Option<String> {
        let folded = obhut_core::search::fold(city);
        if folded.is_empty() {
            return None;
        }
        Some(self.blind("c", &folded).iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The letters a stored sort bucket stands for: looked up in the table of every prefix of
    /// up to four characters of a-z and space (551,881 of them), which only the holder of the
    /// key can build.
    pub fn sort_prefix(&self, bucket: &str) -> Option<String> {
        let token = u64::from_str_radix(bucket, 16).ok()?;
        let table = self.sort_table.get_or_init(|| {
            let mut t = Vec::with_capacity(551_881);
            let mut p = [0u8; SORT_PREFIX];
            fn walk(c: &Crypto, t: &mut Vec<(u64, [u8; SORT_PREFIX])>, p: &mut [u8; SORT_PREFIX], len: usize) {
                let s: String = p[..len].iter().map(|&b| b as char).collect();
                t.push((c.sort_token(&s), *p));
                if len == SORT_PREFIX {
                    return;
                }
                for b in std::iter::once(b' ').chain(b'a'..=b'z') {
                    p[len] = b;
                    walk(c, t, p, len + 1);
                    p[len] = 0;
                }
            }
            walk(self, &mut t, &mut p, 0);
            t.sort_unstable();
            t
        });
        let i = table.binary_search_by_key(&token, |e| e.0).ok()?;
        Some(table[i].1.iter().take_while(|&&b| b != 0).map(|&b| b as char).collect())
    }

    pub fn new_subject_key(&self) -> SubjectKey {
        let mut k = Zeroizing::new([0u8; 32]);
        // ThreadRng is a ChaCha CSPRNG seeded (and periodically reseeded) from the OS: as
        // good for keys as OsRng, without a system call for each of a million contacts.
        rand::thread_rng().fill_bytes(k.as_mut());
        SubjectKey(k)
    }

    /// Wraps a subject key under the master-derived key, bound to the subject's id.
    pub fn wrap(&self, subject_id: &str, key: &SubjectKey) -> Vec<u8> {
        seal_with(&self.kek, subject_id.as_bytes(), key.0.as_ref())
    }

    pub fn unwrap_key(&self, subject_id: &str, wrapped: &[u8]) -> Result<SubjectKey, CryptoError> {
        let plain = Zeroizing::new(open_with(&self.kek, subject_id.as_bytes(), wrapped)?);
        let arr: [u8; 32] = plain.as_slice().try_into().map_err(|_| CryptoError::Format)?;
        Ok(SubjectKey(Zeroizing::new(arr)))
    }

    /// Seals data of the installation itself (not of one data subject: erasure records,
    /// backups) under a key derived from the master key, binding `aad`.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        seal_with(&self.data, aad, plain)
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.data, aad, sealed)
    }

    /// The MAC that signs the audit chain's head: its sequence number and hash.
    pub fn checkpoint(&self, seq: i64, hash: &[u8]) -> Vec<u8> {
        let mut mac = self.checkpoint_mac.clone();
        mac.update(&seq.to_be_bytes());
        mac.update(hash);
        mac.finalize().into_bytes().to_vec()
    }

    /// The pseudonym of a subject: a keyed token (`PSN-` and 16 base32 characters) that
    /// nobody can turn back into the subject without the vault the DPO resolves it from.
    pub fn pseudonym(&self, subject_id: &str) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut mac = self.blind_mac.clone();
        mac.update(b"pseudonym");
        mac.update(&[0]);
        mac.update(subject_id.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut out = String::from("PSN-");
        // 16 characters of 5 bits: 80 bits of the MAC.
        let mut acc: u128 = 0;
        for b in &bytes[..10] {
            acc = (acc << 8) | u128::from(*b);
        }
        for i in (0..16).rev() {
            out.push(char::from(ALPHABET[((acc >> (i * 5)) & 31) as usize]));
        }
        out
    }

    /// The blind index of `value` (already normalised) for lookups of `kind`.
    pub fn blind(&self, kind: &str, value: &str) -> [u8; BLIND_LEN] {
        let mut mac = self.blind_mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let mut out = [0u8; BLIND_LEN];
        out.copy_from_slice(&mac.finalize().into_bytes()[..BLIND_LEN]);
        out
    }
}

impl SubjectKey {
    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
    /// Seals `plain`, binding `aad` (the record's id and kind) to it.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        seal_with(&self.cipher(), aad, plain)
    }
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.cipher(), aad, sealed)
    }
    pub fn seal_json<T: serde::Serialize>(&self, aad: &[u8], value: &T) -> Vec<u8> {
        // Serialising our own plain structs to a Vec cannot fail.
        let plain = Zeroizing::new(serde_json::to_vec(value).unwrap_or_default());
        self.seal(aad, &plain)
    }
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, aad: &[u8], sealed: &[u8]) -> Result<T, CryptoError> {
        let plain = Zeroizing::new(self.open(aad, sealed)?);
        serde_json::from_slice(&plain).map_err(|_| CryptoError::Format)
    }
}

fn seal_with(c: &XChaCha20Poly1305, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    // Encryption only fails for plaintexts beyond 256 GiB.
    let ct = c.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad }).unwrap_or_default();
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open_with(c: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(CryptoError::Format);
    }
    let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_LEN]);
    c.decrypt(nonce, Payload { msg: &sealed[1 + NONCE_LEN..], aad }).map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn crypto() -> Crypto {
        Crypto::new(&[7u8; 32])
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_record() {
        let c = crypto();
        let k = c.new_subject_key();
        let s = k.seal(b"contact:1", b"Erika");
        assert_eq!(k.open(b"contact:1", &s).ok(), Some(b"Erika".to_vec()));
        assert!(k.open(b"contact:2", &s).is_err());
        assert!(c.new_subject_key().open(b"contact:1", &s).is_err());
        assert!(!s.windows(5).any(|w| w == b"Erika"));
    }

    #[test]
    fn wrapped_keys_are_bound_to_their_subject() {
        let c = crypto();
        let k = c.new_subject_key();
        let w = c.wrap("a", &k);
        assert!(c.unwrap_key("a", &w).is_ok());
        assert!(c.unwrap_key("b", &w).is_err());
        assert!(Crypto::new(&[8u8; 32]).unwrap_key("a", &w).is_err());
    }

    #[test]
    fn blind_indexes_are_keyed_and_separated_by_kind() {
        let a = crypto();
        assert_eq!(a.blind("email", "x@y.de"), a.blind("email", "x@y.de"));
        assert_ne!(a.blind("email", "x@y.de"), a.blind("phone", "x@y.de"));
        assert_ne!(a.blind("email", "x@y.de"), Crypto::new(&[8u8; 32]).blind("email", "x@y.de"));
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let src = MasterKeySource::DataDir(dir.path().to_path_buf());
        let k1 = load_master_key(&src).map(|k| *k).ok();
        let k2 = load_master_key(&src).map(|k| *k).ok();
        assert!(k1.is_some());
        assert_eq!(k1, k2);
        let mode = std::fs::metadata(dir.path().join("master.key")).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode, Some(0o600));
    }

    proptest! {
        #[test]
        fn seal_open_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512), aad in proptest::collection::vec(any::<u8>(), 0..64)) {
            let c = crypto();
            let k = c.new_subject_key();
            prop_assert_eq!(k.open(&aad, &k.seal(&aad, &data)).ok(), Some(data));
        }
        #[test]
        fn tampered_ciphertexts_never_open(data in proptest::collection::vec(any::<u8>(), 1..128), pos in any::<usize>()) {
            let c = crypto();
            let k = c.new_subject_key();
            let mut s = k.seal(b"x", &data);
            let i = pos % s.len();
            s[i] ^= 1;
            prop_assert!(k.open(b"x", &s).is_err());
        }
    }
}
