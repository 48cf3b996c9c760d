defmodule BosbaseExample.MixProject do
  use Mix.Project

  # Seed 000's example as a project that depends on the binding by path, the way an app
  # in this repository would. Run with `mix run complete_example.exs` (BOSBASE_URL set).
  def project do
    [
      app: :bosbase_example,
      version: "0.1.0",
      elixir: "~> 1.14",
      deps: [{:bosbase, path: "../../bindings/elixir"}]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
