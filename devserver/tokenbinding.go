package main

// BosBase custom-token authentication, reproduced on top of PocketBase.
//
// A client binds an opaque token of its own (a device id, an API key issued
// elsewhere, ...) to an auth record by proving the record's email and
// password, and later trades that token for a regular auth response:
//
//	POST /api/collections/{collection}/bind-token      {email, password, token} -> 204
//	POST /api/collections/{collection}/unbind-token    {email, password, token} -> 204
//	POST /api/collections/{collection}/auth-with-token {token}                  -> auth response
//
// Only the SHA-256 of a token is stored, so a leaked database does not leak
// usable tokens.

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	validation "github.com/go-ozzo/ozzo-validation/v4"
	"github.com/go-ozzo/ozzo-validation/v4/is"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

const (
	tokenBindingsTable = "_token_bindings"

	// authMethodToken is the auth method reported to PocketBase's auth
	// response; MFA uses it to require a *different* second factor.
	authMethodToken = "token"

	// BosBase hands out practically non-expiring, non-refreshable tokens for
	// every auth method (token, password, OTP, OAuth2; superusers too).
	staticTokenDuration = 100 * 365 * 24 * time.Hour
)

// legacyTokenBindingsTables are names earlier BosBase versions used.
var legacyTokenBindingsTables = []string{"_tokenBindings", "tokenBindings"}

// registerTokenBinding installs the token routes and the hooks that keep the
// bindings table consistent with the auth records it points to.
func registerTokenBinding(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if err := renameLegacyTokenBindingsTable(se.App); err != nil {
			return err
		}

		// Under the "auth" rate-limit tag with their own action tags, as on BosBase.
		limiters := newFixedWindows()
		g := se.Router.Group("/api/collections/{collection}")
		g.POST("/bind-token", bindToken).Bind(tokenRouteLimit(limiters, "bindToken"))
		g.POST("/unbind-token", unbindToken).Bind(tokenRouteLimit(limiters, "unbindToken"))
		g.POST("/auth-with-token", authWithToken).Bind(tokenRouteLimit(limiters, "authWithToken"))

		return se.Next()
	})

	// BosBase hands out static tokens (non-refreshable, ~100 years) for every
	// auth method, superusers included. PocketBase's auth responses mint a
	// refreshable token; swap every such token for a static one. Tokens that
	// are already static pass unchanged: auth-refresh (PocketBase renews only
	// refreshable tokens, so it answers with the caller's token) and
	// impersonate (its own static token with the requested duration).
	app.OnRecordAuthRequest().BindFunc(func(e *core.RecordAuthRequestEvent) error {
		if isRefreshable(e.Token) {
			token, err := e.Record.NewStaticAuthToken(staticTokenDuration)
			if err != nil {
				return e.InternalServerError("Failed to create auth token.", err)
			}
			e.Token = token
		}
		return e.Next()
	})

	// The Execute hooks run inside the delete transaction (e.App is the
	// transactional app), so bindings go away atomically with their owner.
	app.OnRecordDeleteExecute().BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if !e.Record.Collection().IsAuth() {
			return nil
		}
		return deleteBindings(e.App, dbx.HashExp{
			"collectionRef": e.Record.Collection().Id,
			"recordRef":     e.Record.Id,
		})
	})

	// Dropping a collection drops its table without deleting record by
	// record, so the record hook above never fires for it.
	app.OnCollectionDeleteExecute().BindFunc(func(e *core.CollectionEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return deleteBindings(e.App, dbx.HashExp{"collectionRef": e.Collection.Id})
	})
}

// isRefreshable reports whether token carries a true "refreshable" claim,
// as every token PocketBase's RecordAuthResponse mints does.
func isRefreshable(token string) bool {
	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		return false
	}
	refreshable, _ := claims[core.TokenClaimRefreshable].(bool)
	return refreshable
}

// -------------------------------------------------------------------
// Handlers

type bindTokenForm struct {
	Email    string `form:"email" json:"email"`
	Password string `form:"password" json:"password"`
	Token    string `form:"token" json:"token"`
}

func (f *bindTokenForm) validate() error {
	// ozzo's Length counts bytes for strings, matching BosBase's limits.
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(1, 255), is.EmailFormat),
		validation.Field(&f.Password, validation.Required, validation.Length(1, 255)),
		validation.Field(&f.Token, validation.Required, validation.Length(1, 1024)),
	)
}

type authWithTokenForm struct {
	Token string `form:"token" json:"token"`
}

func (f *authWithTokenForm) validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(1, 1024)),
	)
}

func bindToken(e *core.RequestEvent) error {
	collection, form, err := loadBindingRequest(e)
	if err != nil {
		return err
	}

	record := findRecordByCredentials(e.App, collection, form.Email, form.Password)
	if record == nil {
		return e.BadRequestError("Failed to bind token.", nil)
	}

	err = e.App.RunInTransaction(func(txApp core.App) error {
		// Created lazily so that servers that never bind a token (and
		// failed binds) leave the schema untouched.
		if err := createTokenBindingsTable(txApp); err != nil {
			return err
		}
		return upsertBinding(txApp, collection.Id, record.Id, hashToken(form.Token))
	})
	if err != nil {
		return e.InternalServerError("Failed to bind token.", err)
	}

	return e.NoContent(http.StatusNoContent)
}

func unbindToken(e *core.RequestEvent) error {
	collection, form, err := loadBindingRequest(e)
	if err != nil {
		return err
	}

	record := findRecordByCredentials(e.App, collection, form.Email, form.Password)
	if record == nil {
		return e.BadRequestError("Failed to unbind token.", nil)
	}

	// Scoped to the caller's own record: a token bound to somebody else stays
	// bound, and unbinding an unbound token is not an error.
	err = deleteBindings(e.App, dbx.HashExp{
		"collectionRef": collection.Id,
		"recordRef":     record.Id,
		"tokenHash":     hashToken(form.Token),
	})
	if err != nil {
		return e.InternalServerError("Failed to unbind token.", err)
	}

	return e.NoContent(http.StatusNoContent)
}

func authWithToken(e *core.RequestEvent) error {
	collection, err := findAuthCollection(e)
	if err != nil {
		return err
	}

	form := &authWithTokenForm{}
	if err := e.BindBody(form); err != nil {
		return loadError(e, err)
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError("An error occurred while validating the submitted data.", err)
	}

	recordId, err := findBoundRecordId(e.App, collection.Id, hashToken(form.Token))
	if err != nil {
		return e.BadRequestError("Failed to authenticate.", nil)
	}
	record, err := e.App.FindRecordById(collection, recordId)
	if err != nil {
		return e.BadRequestError("Failed to authenticate.", nil)
	}

	// The standard response applies the collection's auth rule, MFA and
	// login alerts exactly as for PocketBase's own auth methods.
	return apis.RecordAuthResponse(e, record, authMethodToken, nil)
}

// loadBindingRequest performs the checks shared by bind and unbind, in the
// same order PocketBase's auth-with-password does.
func loadBindingRequest(e *core.RequestEvent) (*core.Collection, *bindTokenForm, error) {
	collection, err := findAuthCollection(e)
	if err != nil {
		return nil, nil, err
	}

	if !collection.PasswordAuth.Enabled {
		return nil, nil, e.ForbiddenError("The collection is not configured to allow password authentication.", nil)
	}

	form := &bindTokenForm{}
	if err := e.BindBody(form); err != nil {
		return nil, nil, loadError(e, err)
	}
	if err := form.validate(); err != nil {
		return nil, nil, e.BadRequestError("An error occurred while validating the submitted data.", err)
	}

	return collection, form, nil
}

// loadError reports a body that could not be read. Like PocketBase's own
// handlers it keeps an API error raised while reading (e.g. the body limit).
func loadError(e *core.RequestEvent, err error) error {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return e.BadRequestError("An error occurred while loading the submitted data.", err)
}

// findAuthCollection mirrors PocketBase's unexported helper of the same name
// so the 404 message matches the built-in auth routes. An unknown collection
// never gets here: tokenRouteLimit answers it first, as BosBase does.
func findAuthCollection(e *core.RequestEvent) (*core.Collection, error) {
	collection, err := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection"))
	if err != nil || !collection.IsAuth() {
		return nil, e.NotFoundError("Missing or invalid auth collection context.", err)
	}
	return collection, nil
}

// findRecordByCredentials returns nil for an unknown email and for a wrong
// password alike, so callers cannot tell which one failed.
func findRecordByCredentials(app core.App, collection *core.Collection, email, password string) *core.Record {
	record, err := app.FindAuthRecordByEmail(collection, email)
	if err != nil || !record.ValidatePassword(password) {
		return nil
	}
	return record
}

// -------------------------------------------------------------------
// Storage

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func createTokenBindingsTable(app core.App) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS {{` + tokenBindingsTable + `}} (
			[[id]]            TEXT PRIMARY KEY NOT NULL,
			[[collectionRef]] TEXT NOT NULL,
			[[recordRef]]     TEXT NOT NULL,
			[[tokenHash]]     TEXT NOT NULL,
			[[created]]       TEXT NOT NULL DEFAULT '',
			[[updated]]       TEXT NOT NULL DEFAULT ''
		)`,
		// One owner per token and collection; the same raw token may be bound
		// independently in different collections.
		`CREATE UNIQUE INDEX IF NOT EXISTS [[idx_token_bindings_collection_hash]]
			ON {{` + tokenBindingsTable + `}} ([[collectionRef]], [[tokenHash]])`,
		// A record may hold many tokens.
		`CREATE INDEX IF NOT EXISTS [[idx_token_bindings_collection_record]]
			ON {{` + tokenBindingsTable + `}} ([[collectionRef]], [[recordRef]])`,
	}
	for _, stmt := range stmts {
		if _, err := app.DB().NewQuery(stmt).Execute(); err != nil {
			return err
		}
	}
	return nil
}

// upsertBinding binds tokenHash to recordId. Re-binding a token moves it to
// the new record and only touches `updated`.
func upsertBinding(app core.App, collectionId, recordId, tokenHash string) error {
	_, err := app.DB().NewQuery(`
		INSERT INTO {{` + tokenBindingsTable + `}}
			([[id]], [[collectionRef]], [[recordRef]], [[tokenHash]], [[created]], [[updated]])
		VALUES ({:id}, {:collectionRef}, {:recordRef}, {:tokenHash}, {:now}, {:now})
		ON CONFLICT ([[collectionRef]], [[tokenHash]]) DO UPDATE SET
			[[recordRef]] = excluded.[[recordRef]],
			[[updated]]   = excluded.[[updated]]
	`).Bind(dbx.Params{
		"id":            core.GenerateDefaultRandomId(),
		"collectionRef": collectionId,
		"recordRef":     recordId,
		"tokenHash":     tokenHash,
		"now":           types.NowDateTime().String(),
	}).Execute()
	return err
}

func findBoundRecordId(app core.App, collectionId, tokenHash string) (string, error) {
	if !app.HasTable(tokenBindingsTable) {
		return "", sql.ErrNoRows
	}

	var recordId string
	err := app.DB().Select("recordRef").
		From(tokenBindingsTable).
		Where(dbx.HashExp{"collectionRef": collectionId, "tokenHash": tokenHash}).
		Limit(1).
		Row(&recordId)
	return recordId, err
}

func deleteBindings(app core.App, where dbx.Expression) error {
	if !app.HasTable(tokenBindingsTable) {
		return nil // nothing was ever bound
	}
	_, err := app.DB().Delete(tokenBindingsTable, where).Execute()
	return err
}

// renameLegacyTokenBindingsTable adopts a bindings table created under an
// older name, unless the current table already exists.
func renameLegacyTokenBindingsTable(app core.App) error {
	if app.HasTable(tokenBindingsTable) {
		return nil
	}
	for _, legacy := range legacyTokenBindingsTables {
		if !app.HasTable(legacy) {
			continue
		}
		// "tokenBindings" is also a legal collection name; never hijack a
		// user's collection table.
		if _, err := app.FindCollectionByNameOrId(legacy); err == nil {
			continue
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := app.DB().NewQuery("ALTER TABLE {{" + legacy + "}} RENAME TO {{" + tokenBindingsTable + "}}").Execute()
		if err != nil {
			return err
		}
		app.Logger().Info("Renamed legacy token bindings table", "from", legacy, "to", tokenBindingsTable)
		return nil
	}
	return nil
}
