defmodule Bosbase.MixProject do
  use Mix.Project

  @version "0.1.0"

  def project do
    [
      app: :bosbase,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      compilers: [:bosbase_nif] ++ Mix.compilers(),
      deps: [],
      test_coverage: [ignore_modules: []]
    ]
  end

  def application do
    [extra_applications: extra_applications()]
  end

  # jiffy is a separate OTP application (Debian's erlang-jiffy); list it only when it is
  # the JSON codec in use, so releases carry it.
  defp extra_applications do
    if Code.ensure_loaded?(JSON) or Code.ensure_loaded?(:json), do: [], else: [:jiffy]
  end
end

defmodule Mix.Tasks.Compile.BosbaseNif do
  @moduledoc """
  Builds `c_src/bosbase_nif.c` into `$MIX_APP_PATH/priv/bosbase_nif.so` with make.

  Defined here rather than pulled from hex (elixir_make) because the binding uses no hex
  packages. Paths come from this file's location, so it works when `:bosbase` is a
  `path:` dependency of another project and under any `MIX_ENV`.
  """
  use Mix.Task.Compiler

  @binding_dir __DIR__

  @impl true
  def run(_args) do
    env = [
      {"MIX_APP_PATH", Mix.Project.app_path()},
      {"ERTS_INCLUDE_DIR", erts_include_dir()},
      # The repository root (include/, target/release/); overridable for a vendored copy.
      {"BOSBASE_ROOT", System.get_env("BOSBASE_ROOT") || Path.expand("../..", @binding_dir)}
    ]

    {output, status} =
      System.cmd("make", ["--no-print-directory", "-C", Path.join(@binding_dir, "c_src")],
        env: env,
        stderr_to_stdout: true
      )

    if status == 0 do
      if String.contains?(output, "bosbase_nif.so"), do: Mix.shell().info(output)
      {:ok, []}
    else
      Mix.shell().error(output)
      Mix.raise("building the BosBase NIF failed (make exited with #{status})")
    end
  end

  @impl true
  def clean do
    File.rm(Path.join([Mix.Project.app_path(), "priv", "bosbase_nif.so"]))
    :ok
  end

  defp erts_include_dir do
    Path.join([:code.root_dir(), "erts-#{:erlang.system_info(:version)}", "include"])
  end
end
