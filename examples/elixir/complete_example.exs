# Seed 000, "Complete Example" — usage part, unchanged except for the URL, which comes
# from BOSBASE_URL (set by `make demo` / scripts/devserver) with the seed's as fallback.
# CustomTokenAuth is in lib/custom_token_auth.ex.
# Usage
alias Bosbase.Client
pb = Client.new(System.get_env("BOSBASE_URL", "http://127.0.0.1:8090"))
# Bind token for user
{:ok, _} =
  CustomTokenAuth.bind_token(
    pb,
    "users",
    "user@example.com",
    "user-password",
    "my-app-token"
  )

# Later, login with token
{:ok, auth} = CustomTokenAuth.auth_with_token(pb, "users", "my-app-token")
IO.puts("Authenticated as: #{auth["record"]["email"]}")
# Unbind token when done
{:ok, _} =
  CustomTokenAuth.unbind_token(
    pb,
    "users",
    "user@example.com",
    "user-password",
    "my-app-token"
  )
