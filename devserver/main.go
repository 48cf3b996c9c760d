// Command bosbase-devserver is a BosBase-compatible development server: stock
// PocketBase plus BosBase's custom-token routes (see tokenbinding.go). It is
// the server every test suite and the README demo run against, because BosBase
// itself (PostgreSQL + pgvector) cannot be installed from a package registry.
//
// Usage: bosbase-devserver serve --http=127.0.0.1:PORT --dir=DATA_DIR [--demo]
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
)

func main() {
	app := pocketbase.New()

	var demo bool
	app.RootCmd.PersistentFlags().BoolVar(&demo, "demo", false,
		"upsert the demo accounts and collections on start")

	registerTokenBinding(app)
	registerRecordCount(app)
	registerMailbox(app)
	registerAutodateFields(app)

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// PocketBase's installer opens a browser when no superuser exists;
		// a headless test server must never do that.
		se.InstallerFunc = nil

		if demo {
			if err := seedDemo(se.App); err != nil {
				return err
			}
			printDemoBanner("http://" + se.Server.Addr)
		}
		return se.Next()
	})

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
