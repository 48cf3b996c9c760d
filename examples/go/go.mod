module github.com/bosbase/bosbase-native/examples/go

go 1.19

require github.com/bosbase/bosbase-native/bindings/go v0.0.0

// The binding is used from this checkout (`make go-build` puts the core into its lib/).
replace github.com/bosbase/bosbase-native/bindings/go => ../../bindings/go
