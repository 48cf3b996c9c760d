defmodule Bosbase.ClientResponseError do
  @moduledoc """
  The one error type of this package: every failure, whatever its cause, is
  `{:error, %Bosbase.ClientResponseError{}}`. It mirrors BosBase's `ClientResponseError`.

    * `:kind` — what went wrong, decided by the core (or by this binding for arguments it
      checks before calling the core):
      * `"http"` — the server answered with a non-2xx status (`:status`, `:response`)
      * `"mfa_required"` — a 401 asking for a second factor; `:mfa_id` finishes the login
      * `"network"` — no answer: connection refused, DNS, reset (`status: 0`)
      * `"timeout"` — the call's deadline passed (`status: 0`, `is_abort: true`)
      * `"tls"` — the TLS handshake or certificate verification failed; the message says
        what (unknown issuer, name mismatch, expired, ...) (`status: 0`)
      * `"json"` — a 2xx answer whose body was not the expected JSON (`:status` kept)
      * `"invalid_argument"` — a bad argument, URL or option; the message names it, never its
        value
      * `"closed"` — the client was closed with `Bosbase.Client.close/1`; nothing was sent
      * `"cancelled"` — the call was cancelled; it had no effect on the auth store
      * `"oauth2"` — the OAuth2 provider refused the sign-in (`auth_with_oauth2/4`); the
        message names its error
      * `"panic"` — a bug inside the native library, caught at its boundary
      * `"too_large"` — a download over its `:max_bytes` cap (`:status` kept); nothing was
        kept (`Bosbase.Transfers.download/5`)
    * `:status` — the HTTP status, `0` only when no answer arrived
    * `:url` — the request URL (never with its query string or userinfo)
    * `:response` — the server's JSON body (`"message"`, `"data"` with field errors, ...)
    * `:is_abort` — `true` when the call was aborted (deadline passed)
    * `:message` — a short description
    * `:mfa_id` — for `kind: "mfa_required"`, the id that finishes the login
    * `:attempts` — how many attempts the call made (`1` without retries, more when the
      client's or call's `:retries` retried it; `0` when it failed before trying)

  Neither the core nor this binding ever puts passwords, custom tokens, auth tokens, URL
  userinfo or option values in any of these fields, so `inspect/1` and
  `Exception.message/1` are safe to log.
  """

  defexception url: "",
               status: 0,
               response: %{},
               is_abort: false,
               kind: "unknown",
               message: "",
               mfa_id: nil,
               attempts: 0

  @type t :: %__MODULE__{
          url: String.t(),
          status: non_neg_integer(),
          response: map(),
          is_abort: boolean(),
          kind: String.t(),
          message: String.t(),
          mfa_id: String.t() | nil,
          attempts: non_neg_integer()
        }

  @doc false
  # Builds the struct from the core's error JSON; `nil` when no JSON exists, which is the
  # case for a client this binding already closed (same text as the core's own). Status
  # codes map to kinds through the generated Bosbase.Kinds.
  @spec from_native(non_neg_integer(), binary() | nil) :: t()
  def from_native(status_code, nil) do
    case Bosbase.Kinds.kind_of_status(status_code) do
      "closed" ->
        %__MODULE__{kind: "closed", message: "the client is closed"}

      kind ->
        kind = kind || Bosbase.Native.status_name(status_code)
        %__MODULE__{kind: kind, message: "BosBase call failed (#{kind})"}
    end
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
      mfa_id: error["mfaId"],
      attempts: error["attempts"] || 0
    }
  end

  @doc false
  # The caller stopped waiting `wait_ms` after starting a subscription (the client's
  # deadline plus a margin: the start queues on the binding's own threads, which the
  # core's deadline does not cover); the start was cancelled, so it had no effect
  # on the auth store. `json` is the core's `cancelled` error, if any, for its url.
  @spec gave_up(pos_integer(), binary() | nil) :: t()
  def gave_up(wait_ms, json) do
    url = if is_binary(json), do: from_native(9, json).url, else: ""

    %__MODULE__{
      kind: "timeout",
      url: url,
      is_abort: true,
      message: "no answer within #{wait_ms} ms; the call was cancelled"
    }
  end

  @doc false
  # An argument this binding refuses before calling the core. `message` must name the
  # argument, never contain its value.
  @spec invalid_argument(String.t()) :: t()
  def invalid_argument(message), do: %__MODULE__{kind: "invalid_argument", message: message}

  @doc false
  # No subscription entry within `timeout` ms (Bosbase.Realtime.receive_event/3).
  def no_event(timeout),
    do: %__MODULE__{kind: "timeout", message: "no subscription entry within #{timeout} ms"}

  @doc false
  # A handle of the NIF library a code upgrade replaced: the new library never uses the old
  # one's handles (each carries its own copy of the core), so to it the client is closed.
  def stale,
    do: %__MODULE__{
      kind: "closed",
      message:
        "the client was made by the NIF library that a code upgrade replaced: create a new client"
    }
end
