# Seed 000's separate snippets, each unchanged except for the URL. The seed lists them as
# bind, unbind, login; run in that order the logins would find their tokens already
# unbound, so they run here as bind -> login -> unbind, the order the flow needs.

# --- Binding a token
alias Bosbase.Client
pb = Client.new(System.get_env("BOSBASE_URL", "http://127.0.0.1:8090"))
# Bind for a regular user
{:ok, _} =
  Client.collection(pb, "users")
  |> Bosbase.RecordService.send("/bind-token", %{
    method: :post,
    body: %{
      "email" => "user@example.com",
      "password" => "user-password",
      "token" => "my-app-token"
    }
  })

# Bind for a superuser
{:ok, _} =
  Client.collection(pb, "_superusers")
  |> Bosbase.RecordService.send("/bind-token", %{
    method: :post,
    body: %{
      "email" => "admin@example.com",
      "password" => "admin-password",
      "token" => "admin-app-token"
    }
  })

# --- Logging in with a token
# Login with the previously bound token
{:ok, auth} =
  Client.collection(pb, "users")
  |> Bosbase.RecordService.send("/auth-with-token", %{
    method: :post,
    body: %{
      "token" => "my-app-token"
    }
  })

# BosBase auth token
IO.inspect(auth["token"])
# authenticated record
IO.inspect(auth["record"])
# Superuser token login
{:ok, super_auth} =
  Client.collection(pb, "_superusers")
  |> Bosbase.RecordService.send("/auth-with-token", %{
    method: :post,
    body: %{
      "token" => "admin-app-token"
    }
  })

IO.inspect(super_auth["token"])
IO.inspect(super_auth["record"])

# --- Unbinding a token
# Stop accepting the token for the user
{:ok, _} =
  Client.collection(pb, "users")
  |> Bosbase.RecordService.send("/unbind-token", %{
    method: :post,
    body: %{
      "email" => "user@example.com",
      "password" => "user-password",
      "token" => "my-app-token"
    }
  })

# Stop accepting the token for a superuser
{:ok, _} =
  Client.collection(pb, "_superusers")
  |> Bosbase.RecordService.send("/unbind-token", %{
    method: :post,
    body: %{
      "email" => "admin@example.com",
      "password" => "admin-password",
      "token" => "admin-app-token"
    }
  })

IO.puts("snippets: bind, login and unbind for users and _superusers done")
