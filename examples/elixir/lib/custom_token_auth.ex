# Seed 000, "Complete Example", unchanged. The seed's module uses `Client` before its usage
# part says `alias Bosbase.Client`; this file-level alias (the import line) is what makes
# that name resolve inside the module.
alias Bosbase.Client

defmodule CustomTokenAuth do
  def bind_token(pb, collection, email, password, token) do
    Client.collection(pb, collection)
    |> Bosbase.RecordService.send("/bind-token", %{
      method: :post,
      body: %{
        "email" => email,
        "password" => password,
        "token" => token
      }
    })
  end

  def unbind_token(pb, collection, email, password, token) do
    Client.collection(pb, collection)
    |> Bosbase.RecordService.send("/unbind-token", %{
      method: :post,
      body: %{
        "email" => email,
        "password" => password,
        "token" => token
      }
    })
  end

  def auth_with_token(pb, collection, token) do
    Client.collection(pb, collection)
    |> Bosbase.RecordService.send("/auth-with-token", %{
      method: :post,
      body: %{
        "token" => token
      }
    })
  end
end
