// Seeds 002/004 ("Custom Token Binding and Login - Rust SDK"), unchanged but for the URL,
// in the order bind → login → unbind so every step succeeds. Included by
// examples/rust/seed_tokio.rs, seed_block_on.rs and tests/seeds.rs inside an
// `async fn(url: String) -> Result<(), Box<dyn Error>>`.
{
use bosbase::BosBase;
use std::collections::HashMap;

let pb = BosBase::new(&url);

// Bind for a regular user
pb.collection("users").bind_custom_token(
    "user@example.com",
    "user-password",
    "my-app-token",
    HashMap::new(),
    HashMap::new()
).await?;

// Bind for a superuser
pb.collection("_superusers").bind_custom_token(
    "admin@example.com",
    "admin-password",
    "admin-app-token",
    HashMap::new(),
    HashMap::new()
).await?;

// Login with the previously bound token
let auth = pb.collection("users").auth_with_token(
    "my-app-token",
    HashMap::new(),
    HashMap::new(),
    None
).await?;

println!("Token: {}", auth["token"]);
println!("Record: {:?}", auth["record"]);

// Superuser token login
let super_auth = pb.collection("_superusers").auth_with_token(
    "admin-app-token",
    HashMap::new(),
    HashMap::new(),
    None
).await?;

println!("Token: {}", super_auth["token"]);
println!("Record: {:?}", super_auth["record"]);

// Stop accepting the token for the user
pb.collection("users").unbind_custom_token(
    "user@example.com",
    "user-password",
    "my-app-token",
    HashMap::new(),
    HashMap::new()
).await?;

// Stop accepting the token for a superuser
pb.collection("_superusers").unbind_custom_token(
    "admin@example.com",
    "admin-password",
    "admin-app-token",
    HashMap::new(),
    HashMap::new()
).await?;
}
