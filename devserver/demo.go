package main

// Demo data for `serve --demo`: well-known accounts and a small collection
// that the README demo and the client test suites rely on. Seeding is an
// upsert that only writes what differs, so restarting a demo server on an
// existing data dir changes nothing.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// demoAccount is a seeded auth record. The passwords are public demo
// credentials, not secrets.
type demoAccount struct {
	collection string
	email      string
	password   string
}

var demoAccounts = []demoAccount{
	{core.CollectionNameSuperusers, "admin@example.com", "admin-password"},
	{"users", "user@example.com", "user-password"},
	{"users", "user2@example.com", "user2-password"},
	{"mfa_users", "mfa@example.com", "mfa-password"},
}

// Rules for posts: an authenticated user sees and manages only the posts
// whose author they are, and cannot create or reassign posts for others.
const (
	postsOwnerRule  = `@request.auth.id != "" && author = @request.auth.id`
	postsCreateRule = `@request.auth.id != "" && @request.body.author = @request.auth.id`
	// "author absent or self", written without the `:isset` modifier: BosBase (build d8bc341)
	// answers 404 to every update under a rule that uses `@request.body.X:isset`. An absent
	// field reads as "" in both servers; author is required, so "" is refused anyway.
	postsUpdateRule = postsOwnerRule + ` && (@request.body.author = "" || @request.body.author = @request.auth.id)`
)

// seedDemo upserts the demo collections and accounts.
func seedDemo(app core.App) error {
	return app.RunInTransaction(func(txApp core.App) error {
		if _, err := ensureCollection(txApp, "mfa_users", core.NewAuthCollection, func(c *core.Collection) {
			// MFA needs a second method besides password; OTP is it.
			c.PasswordAuth.Enabled = true
			c.MFA.Enabled = true
			c.OTP.Enabled = true
		}); err != nil {
			return err
		}

		users, err := txApp.FindCollectionByNameOrId("users")
		if err != nil {
			return fmt.Errorf("default users collection: %w", err)
		}

		if _, err := ensureCollection(txApp, "posts", core.NewBaseCollection, func(c *core.Collection) {
			addFieldIfMissing(c, &core.TextField{Name: "title", Required: true, Max: 255})
			addFieldIfMissing(c, &core.TextField{Name: "body"})
			addFieldIfMissing(c, &core.RelationField{
				Name:          "author",
				CollectionId:  users.Id,
				MaxSelect:     1,
				Required:      true,
				CascadeDelete: true,
			})
			addFieldIfMissing(c, &core.FileField{Name: "attachment", MaxSelect: 1, MaxSize: 5 << 20})
			addFieldIfMissing(c, &core.AutodateField{Name: "created", OnCreate: true})
			addFieldIfMissing(c, &core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true})
			c.ListRule = types.Pointer(postsOwnerRule)
			c.ViewRule = types.Pointer(postsOwnerRule)
			c.CreateRule = types.Pointer(postsCreateRule)
			c.UpdateRule = types.Pointer(postsUpdateRule)
			c.DeleteRule = types.Pointer(postsOwnerRule)
		}); err != nil {
			return err
		}

		for _, acc := range demoAccounts {
			if err := ensureAccount(txApp, acc); err != nil {
				return fmt.Errorf("demo account %s: %w", acc.email, err)
			}
		}
		return nil
	})
}

// ensureCollection loads (or creates) the named collection, applies
// configure and saves only when that changed something.
func ensureCollection(
	app core.App,
	name string,
	newCollection func(name string, optId ...string) *core.Collection,
	configure func(*core.Collection),
) (*core.Collection, error) {
	c, err := app.FindCollectionByNameOrId(name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		c = newCollection(name)
	case err != nil:
		return nil, err
	}

	before, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	configure(c)
	after, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}

	if c.IsNew() || !bytes.Equal(before, after) {
		if err := app.Save(c); err != nil {
			return nil, fmt.Errorf("collection %s: %w", name, err)
		}
	}
	return c, nil
}

// addFieldIfMissing adds f unless a field with its name exists; replacing an
// existing field would give it a new id and make every start a schema change.
func addFieldIfMissing(c *core.Collection, f core.Field) {
	if c.Fields.GetByName(f.GetName()) == nil {
		c.Fields.Add(f)
	}
}

func ensureAccount(app core.App, acc demoAccount) error {
	collection, err := app.FindCollectionByNameOrId(acc.collection)
	if err != nil {
		return err
	}

	record, err := app.FindAuthRecordByEmail(collection, acc.email)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		record = core.NewRecord(collection)
		record.SetEmail(acc.email)
	case err != nil:
		return err
	}

	changed := record.IsNew()
	// Comparing via bcrypt instead of always resetting keeps restarts from
	// rewriting (and re-hashing) the password.
	if !record.ValidatePassword(acc.password) {
		record.SetPassword(acc.password)
		changed = true
	}
	// Verified, so that auth rules or flows that require it work out of the box.
	if !record.Verified() {
		record.SetVerified(true)
		changed = true
	}

	if !changed {
		return nil
	}
	return app.Save(record)
}

// printDemoBanner goes to stderr: scripts/devserver owns stdout.
func printDemoBanner(baseURL string) {
	fmt.Fprintf(os.Stderr, "BosBase dev server (demo data) at %s\n", baseURL)
	for _, acc := range demoAccounts {
		fmt.Fprintf(os.Stderr, "  %-12s %s / %s\n", acc.collection, acc.email, acc.password)
	}
}
