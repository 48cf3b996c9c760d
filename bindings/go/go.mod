module github.com/bosbase/bosbase-native/bindings/go

// 1.19 so Debian 12's packaged Go builds it; newer toolchains are fine.
go 1.19
