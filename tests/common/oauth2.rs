//! The OAuth2 tests' provider and browser: `scripts/oauth2-provider` (run the tests through
//! it; it exports both variables).

use std::process::Command;

/// The provider's name as registered on `users` ("oidc").
pub fn provider() -> String {
    std::env::var("BOSBASE_OAUTH2_PROVIDER").expect("run through scripts/oauth2-provider (see the file's header)")
}

/// The test's browser (`scripts/oauth2-provider browse`): 0 when the server took the redirect
/// (the code went to a subscriber). It connects directly, as a user's browser would.
pub fn browse(url: &str) -> i32 {
    let browser = std::env::var("BOSBASE_OAUTH2_BROWSER").expect("run through scripts/oauth2-provider");
    Command::new(browser).arg("browse").arg(url).status().unwrap().code().unwrap_or(-1)
}
