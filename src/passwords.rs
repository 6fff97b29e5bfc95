//! Human passwords: argon2id with the crate's defaults (m=19456 KiB, t=2, p=1).
//!
//! One verification costs ~20 ms of CPU and 19 MiB. Left alone, a flood of wrong passwords
//! would pile those up until the server runs out of memory, so verifications queue behind a
//! permit per core and reuse a fixed set of memory blocks. Callers check throttling first.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};
use prometheus_client::metrics::counter::Counter;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a new password. Slow by design: run it off the async executor.
pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// A PHC string with the default parameters and random salt and output. Verifying against it
/// costs what verifying against a real hash costs, and making it costs nothing: hashing one
/// at start would take the 19 MiB of an argon2 run before any password is ever checked.
fn dummy_hash() -> String {
    use crate::domain::secret::random_bytes;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let params = Params::default();
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(random_bytes::<16>()),
        STANDARD_NO_PAD.encode(random_bytes::<32>()),
    )
}

pub struct PasswordVerifier {
    permits: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
    max_buffers: usize,
    /// Verified against when the user does not exist, so that answer takes as long as a
    /// wrong password for a real user.
    dummy_hash: String,
    /// Verifications run, for the metrics.
    pub checks: Counter,
}

impl PasswordVerifier {
    pub fn new(parallelism: usize) -> Arc<Self> {
        let parallelism = parallelism.max(1);
        let dummy_hash = dummy_hash();
        Arc::new(Self {
            permits: Semaphore::new(parallelism),
            buffers: Mutex::new(Vec::with_capacity(parallelism)),
            max_buffers: parallelism,
            dummy_hash,
            checks: Counter::default(),
        })
    }

    /// True when `password` matches `stored`; with `stored` absent, does the same work and
    /// answers false.
    pub async fn verify(self: &Arc<Self>, stored: Option<&str>, password: &str) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        self.checks.inc();
        let this = Arc::clone(self);
        let exists = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || this.verify_blocking(&stored, &password))
            .await
            .unwrap_or(false);
        exists && matched
    }

    fn verify_blocking(&self, stored: &str, password: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::new(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = parsed
            .version
            .and_then(|v| Version::try_from(v).ok())
            .unwrap_or_default();
        let blocks_needed = params.block_count();
        let mut blocks = self.take_buffer(blocks_needed);
        let expected = expected.as_bytes();
        let mut out = vec![0u8; expected.len()];
        let ok = Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, &mut blocks[..])
            .is_ok();
        self.return_buffer(blocks);
        ok && crate::domain::secret::constant_time_eq(&out, expected)
    }

    fn take_buffer(&self, blocks: usize) -> Vec<Block> {
        let reused = self
            .buffers
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .filter(|b| b.len() >= blocks);
        reused.unwrap_or_else(|| vec![Block::default(); blocks])
    }

    fn return_buffer(&self, buffer: Vec<Block>) {
        if let Ok(mut pool) = self.buffers.lock()
            && pool.len() < self.max_buffers
        {
            pool.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let verifier = PasswordVerifier::new(1);
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verifier
                .verify(Some(&stored), "correct horse battery")
                .await
        );
        assert!(
            !verifier
                .verify(Some(&stored), "correct horse battery!")
                .await
        );
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let dummy = dummy_hash();
        let real = hash("a real password").unwrap();
        let parsed = PasswordHash::new(&dummy).unwrap();
        assert_eq!(
            Params::try_from(&parsed).unwrap(),
            Params::try_from(&PasswordHash::new(&real).unwrap()).unwrap()
        );
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.hash.unwrap().as_bytes().len(), 32);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let verifier = PasswordVerifier::new(1);
        assert!(!verifier.verify(None, "anything at all").await);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_a_mismatch_not_a_panic() {
        let verifier = PasswordVerifier::new(1);
        assert!(
            !verifier
                .verify(Some("$argon2id$garbage"), "whatever1")
                .await
        );
    }
}
