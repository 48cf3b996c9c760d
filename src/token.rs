//! Custom tokens for `bind_custom_token`, generated the way the seeds advise.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::{Error, Result};

/// A fresh random token: 32 bytes (256 bits) from the operating system's CSPRNG,
/// URL-safe base64 without padding (43 characters).
///
/// ```
/// let t = bosbase::generate_token()?;
/// assert_eq!(t.len(), 43);
/// # Ok::<(), bosbase::Error>(())
/// ```
pub fn generate_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::new(crate::ErrorKind::Panic, "", format!("system randomness unavailable: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_url_safe_and_distinct() {
        let a = super::generate_token().unwrap();
        let b = super::generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
