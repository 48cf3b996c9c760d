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
      {"ERTS_INCLUDE_DIR", erts_include_dir()}
      | core_env()
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

  # Where the core comes from. The package `make dist` writes carries the prebuilt static
  # core per target (native/<os>-<cpu>/libbosbase.a, header in native/include) and the core's
  # source (native/source): with a prebuilt core for this machine only a C compiler is
  # needed. BOSBASE_BUILD_FROM_SOURCE=1 builds the core with cargo instead, from
  # BOSBASE_ROOT, else native/source, else this repository's checkout.
  defp core_env do
    prebuilt = Path.join([@binding_dir, "native", target()])
    from_source = System.get_env("BOSBASE_BUILD_FROM_SOURCE") in ["1", "true"]

    if not from_source and File.exists?(Path.join(prebuilt, "libbosbase.a")) do
      [
        {"BOSBASE_STATIC_LIB", Path.join(prebuilt, "libbosbase.a")},
        {"BOSBASE_INCLUDE_DIR", Path.join([@binding_dir, "native", "include"])}
      ]
    else
      source = Path.join([@binding_dir, "native", "source"])
      default = if File.dir?(source), do: source, else: Path.expand("../..", @binding_dir)
      root = System.get_env("BOSBASE_ROOT") || default

      [
        {"BOSBASE_ROOT", root},
        {"BOSBASE_STATIC_LIB", Path.join(root, "target/release/libbosbase.a")}
      ]
    end
  end

  # "linux-x86_64", "linux-aarch64", ...: the names of native/'s folders.
  defp target do
    arch = to_string(:erlang.system_info(:system_architecture))
    os = if String.contains?(arch, "linux"), do: "linux", else: "other"
    "#{os}-#{arch |> String.split("-") |> hd()}"
  end

  defp erts_include_dir do
    Path.join([:code.root_dir(), "erts-#{:erlang.system_info(:version)}", "include"])
  end
end
