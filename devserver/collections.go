package main

// Every collection BosBase creates has `created` and `updated` autodate
// fields, whether or not the request asked for them; PocketBase adds them only
// to its own system collections (its dashboard adds them client-side).

import "github.com/pocketbase/pocketbase/core"

// registerAutodateFields adds the missing `created`/`updated` fields to every
// new base or auth collection (a view's fields come from its query), as
// system fields like BosBase's.
func registerAutodateFields(app core.App) {
	app.OnCollectionCreate().BindFunc(func(e *core.CollectionEvent) error {
		addAutodateFields(e.Collection)
		return e.Next()
	})
}

func addAutodateFields(c *core.Collection) {
	if c.IsView() {
		return
	}
	if c.Fields.GetByName("created") == nil {
		c.Fields.Add(&core.AutodateField{Name: "created", System: true, OnCreate: true})
	}
	if c.Fields.GetByName("updated") == nil {
		c.Fields.Add(&core.AutodateField{Name: "updated", System: true, OnCreate: true, OnUpdate: true})
	}
}
