defmodule Bosbase.ClientResponseError do
  @moduledoc """
  A failed call, mirroring BosBase's `ClientResponseError`.

    * `:kind` — what went wrong: `"http"`, `"mfa_required"`, `"network"`, `"timeout"`,
      `"json"`, `"invalid_argument"` or `"panic"` (decided by the core)
    * `:status` — the HTTP status, `0` when no response arrived
    * `:url` — the request URL (never with its query string)
    * `:response` — the server's JSON body (`"message"`, `"data"` with field errors, ...)
    * `:is_abort` — `true` when the request timed out
    * `:message` — a short description
    * `:mfa_id` — for `kind: "mfa_required"`, the id that finishes the login

  The core never puts passwords, custom tokens or auth tokens in any of these fields, so
  `inspect/1` and `Exception.message/1` are safe to log.
  """

  defexception url: "",
               status: 0,
               response: %{},
               is_abort: false,
               kind: "unknown",
               message: "",
               mfa_id: nil

  @type t :: %__MODULE__{
          url: String.t(),
          status: non_neg_integer(),
          response: map(),
          is_abort: boolean(),
          kind: String.t(),
          message: String.t(),
          mfa_id: String.t() | nil
        }

  @doc false
  # Builds the struct from the core's error JSON (`nil` only if the core wrote none).
  @spec from_native(non_neg_integer(), binary() | nil) :: t()
  def from_native(status_code, nil) do
    kind = Bosbase.Native.status_name(status_code)
    %__MODULE__{kind: kind, message: "BosBase call failed (#{kind})"}
  end

  def from_native(_status_code, json) when is_binary(json) do
    error = Bosbase.JSON.decode!(json)

    %__MODULE__{
      url: error["url"] || "",
      status: error["status"] || 0,
      response: error["response"] || %{},
      is_abort: error["isAbort"] == true,
      kind: error["kind"] || "unknown",
      message: error["message"] || "",
      mfa_id: error["mfaId"]
    }
  end

  @doc false
  @spec closed() :: t()
  def closed do
    %__MODULE__{kind: "invalid_argument", message: "the client is closed"}
  end
end
