[inputs: ["{mix,.formatter}.exs", "*.exs", "lib/**/*.ex"]]
