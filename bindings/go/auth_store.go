package bosbase

/*
#include "bosbase.h"

// Defined in callback.c: registers the Go auth-change trampoline with `id` as user_data.
BosbaseStatus bbgo_on_change(const BosbaseClient *client, uintptr_t id, uint64_t *listener_id_out, char **error_out);
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
)

// AuthStore is the client's auth state, kept by the core: auth calls save
// {token, record} here, and requests carry the token as Authorization whenever the
// store holds one. It is reached as the client.AuthStore field. Safe for concurrent
// use. On a closed client the getters return zero values and the other methods return
// a *ClientResponseError of Kind "closed" (see Client.Close for the closing itself). Printing it shows whether it holds a login,
// never the token or record.
type AuthStore struct {
	n       *native
	initErr error // the constructor's error, for a client New could not create
}

// Token is the stored auth token ("" when none, or when the client is closed).
func (a *AuthStore) Token() string {
	s, _ := a.read(func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_token(p, out, errOut)
	})
	return s
}

// Record is the stored auth record (nil when none, or when the client is closed).
func (a *AuthStore) Record() map[string]any {
	s, err := a.read(func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_record(p, out, errOut)
	})
	if err != nil {
		return nil
	}
	return recordMap(s)
}

// IsValid reports whether the store holds a token whose JWT expiry is in the future
// (the signature is not checked). Requests carry the token whether or not it is valid.
func (a *AuthStore) IsValid() bool {
	valid := false
	a.n.withRead(func(p *C.BosbaseClient) {
		valid = bool(C.bosbase_auth_store_is_valid(p))
	})
	return valid
}

// Clear forgets the token and record, then runs the OnChange listeners.
func (a *AuthStore) Clear() error {
	return a.write(func(p *C.BosbaseClient, _ []*C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_clear(p, errOut)
	})
}

// Save stores token and record (as an auth call would), then runs the OnChange listeners.
func (a *AuthStore) Save(token string, record map[string]any) error {
	rec, err := json.Marshal(record) // a nil map encodes as null
	if err != nil {
		return newError(KindInvalidArgument, "the record cannot be encoded as JSON")
	}
	return a.write(func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_save(p, args[0], args[1], errOut)
	}, token, string(rec))
}

// Export returns the login as JSON ({"token": ..., "record": ...}) so an app can
// persist it and restore it later with Import.
func (a *AuthStore) Export() (string, error) {
	return a.read(func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_export(p, out, errOut)
	})
}

// Import restores what Export returned, then runs the OnChange listeners. Anything but
// a JSON object is refused (Kind "invalid_argument") and leaves the store unchanged.
func (a *AuthStore) Import(data string) error {
	return a.write(func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_import(p, args[0], errOut)
	}, data)
}

// FileError reports why ClientOptions.AuthFile could not be used the last time it was
// read or written: at NewClient (the file was unreadable, not a regular file, or not an
// export: the store started empty; a missing file is no problem) or at a later change (the
// store keeps the change in memory). It is nil when the file was fine, after a later
// successful write, and for a client without AuthFile; otherwise a *ClientResponseError of
// Kind "invalid_argument" whose Message starts with "authFile:" and never quotes the file.
// Clients from Impersonate keep their store in memory and never use the file.
func (a *AuthStore) FileError() error {
	text, err := a.read(func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_file_error(p, out, errOut)
	})
	if err != nil || text == "null" {
		return err
	}
	if e, derr := decodeError(text); derr == nil {
		return e
	}
	return newError(KindJSON, "the library returned a file problem that is not error JSON")
}

// IsSuperuser reports whether the store holds the token of a superuser (an account of
// "_superusers"); false when it is empty or the client is closed.
func (a *AuthStore) IsSuperuser() bool {
	super := false
	a.n.withRead(func(p *C.BosbaseClient) {
		super = bool(C.bosbase_auth_store_is_superuser(p))
	})
	return super
}

// CookieOptions are the attributes of the cookie ExportToCookie writes. The zero value
// of each field means its default.
type CookieOptions struct {
	Key      string // cookie name; default "pb_auth"
	Path     string // Path attribute; default "/"
	Domain   string // Domain attribute; default none
	SameSite string // SameSite attribute ("Strict", "Lax", "None"); default "Strict"
	// NotSecure leaves out the Secure attribute (default: Secure is set).
	NotSecure bool
	// NotHTTPOnly leaves out the HttpOnly attribute (default: HttpOnly is set).
	NotHTTPOnly bool
}

// cookieOptionsJSON is bosbase_auth_store_export_cookie's options_json.
type cookieOptionsJSON struct {
	Key      string  `json:"key,omitempty"`
	Path     string  `json:"path,omitempty"`
	Domain   *string `json:"domain,omitempty"`
	SameSite string  `json:"sameSite,omitempty"`
	Secure   bool    `json:"secure"`
	HTTPOnly bool    `json:"httpOnly"`
}

// ExportToCookie returns a Set-Cookie header value holding the login, as the JS SDK's
// exportToCookie: `pb_auth=<URI-encoded {token, record}>; Path=/; Expires=<the token's
// expiry>; HttpOnly; Secure; SameSite=Strict` with the defaults. A record that would
// make the cookie larger than 4096 bytes is cut to id, email, collectionId,
// collectionName and verified. Attribute values that could break the header (control
// characters, ';', ',') are refused with Kind "invalid_argument".
func (a *AuthStore) ExportToCookie(opts CookieOptions) (string, error) {
	j := cookieOptionsJSON{Key: opts.Key, Path: opts.Path, SameSite: opts.SameSite, Secure: !opts.NotSecure, HTTPOnly: !opts.NotHTTPOnly}
	if opts.Domain != "" {
		j.Domain = &opts.Domain
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", newError(KindInvalidArgument, "cookie options cannot be encoded as JSON")
	}
	var cs cStrings
	defer cs.free()
	o, err := cs.add(string(b))
	if err != nil {
		return "", err
	}
	return a.read(func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_export_cookie(p, o, out, errOut)
	})
}

// LoadFromCookie loads the login from a Cookie request header (e.g.
// r.Header.Get("Cookie")), as the JS SDK's loadFromCookie: the cookie named key ("" =
// "pb_auth") holds {token, record}. A header without that cookie signs the store out;
// a cookie that does not hold such an object also signs it out and returns a
// *ClientResponseError of Kind "invalid_argument". The OnChange listeners run.
func (a *AuthStore) LoadFromCookie(header, key string) error {
	return a.write(func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus {
		k := args[1]
		if key == "" {
			k = nil
		}
		return C.bosbase_auth_store_load_cookie(p, args[0], k, errOut)
	}, header, key)
}

// live returns the handle (admitted for a change, or only for reading), or the error
// every method on a closed or refused client returns. Pair a non-nil handle with
// a.n.release().
func (a *AuthStore) live(change bool) (*C.BosbaseClient, error) {
	if a.initErr != nil {
		return nil, a.initErr
	}
	p := a.n.admit(change)
	if p == nil {
		return nil, closedError()
	}
	return p, nil
}

// read runs a store call that writes one string.
func (a *AuthStore) read(fn func(p *C.BosbaseClient, out, errOut **C.char) C.BosbaseStatus) (string, error) {
	p, err := a.live(false)
	if err != nil {
		return "", err
	}
	defer a.n.release()
	return invoke(func(out, errOut **C.char) C.BosbaseStatus { return fn(p, out, errOut) })
}

// write runs a store call that takes strings and writes no result.
func (a *AuthStore) write(fn func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus, ss ...string) error {
	var cs cStrings
	defer cs.free()
	args, err := cs.addAll(ss...)
	if err != nil {
		return err
	}
	p, err := a.live(true)
	if err != nil {
		return err
	}
	defer a.n.release()
	_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus { return fn(p, args, errOut) })
	return err
}

// OnChange registers fn to run after each change of the store, with the new token
// ("" after Clear) and record (nil after Clear). Changes made after OnChange returns
// reach fn. On a closed client nothing is registered.
//
// Delivery is ordered and serialised: fn never runs concurrently with itself (or with
// another listener of this client), and the last call it receives carries the store's
// final state, so a listener that persists the login always ends with the latest one.
// fn runs synchronously on the goroutine whose call changed the store. It may read and
// change the store (a change it makes is delivered, nested, before it returns) and
// unsubscribe itself. It must not Close the client, and must not wait for another
// goroutine that changes the store (that goroutine waits for fn: deadlock); avoid slow
// work in it, since other changes wait for it. A panic in fn is recovered and reported
// on stderr, since it cannot unwind through the core.
//
// The returned function unregisters fn; calling it again does nothing. When it
// returns, fn is not running on any other goroutine and will never be called again
// (called from inside fn itself, it returns at once and fn finishes its current run).
func (a *AuthStore) OnChange(fn func(token string, record map[string]any)) (unsubscribe func()) {
	id := nextListenerID.Add(1)
	listeners.Store(id, fn)
	var coreID C.uint64_t
	ok := false
	a.n.withChange(func(p *C.BosbaseClient) {
		var errOut *C.char
		status := C.bbgo_on_change(p, C.uintptr_t(id), &coreID, &errOut)
		takeString(errOut)
		if status == C.BOSBASE_STATUS_OK {
			a.n.mu.Lock()
			if a.n.listeners != nil {
				a.n.listeners[id] = coreID
				ok = true
			}
			a.n.mu.Unlock()
		}
	})
	if !ok {
		listeners.Delete(id)
		return func() {}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.n.withRead(func(p *C.BosbaseClient) {
				a.n.mu.Lock()
				cid, found := a.n.listeners[id]
				delete(a.n.listeners, id)
				a.n.mu.Unlock()
				if found {
					var errOut *C.char
					C.bosbase_auth_store_remove_listener(p, cid, &errOut)
					takeString(errOut)
				}
			})
			// The core will not call it again (and, closed, the client calls nothing),
			// so the Go side can forget it now.
			listeners.Delete(id)
		})
	}
}

// String describes the store without its token or record (safe to log).
func (a *AuthStore) String() string {
	if a == nil {
		return "bosbase.AuthStore(nil)"
	}
	if a.initErr != nil || a.n.isClosed() {
		return "bosbase.AuthStore{closed}"
	}
	p := a.n.acquireRead()
	if p == nil {
		return "bosbase.AuthStore{closed}"
	}
	defer a.n.release()
	var tok, errOut *C.char
	status := C.bosbase_auth_store_token(p, &tok, &errOut)
	takeString(errOut)
	has := status == C.BOSBASE_STATUS_OK && takeString(tok) != ""
	return fmt.Sprintf("bosbase.AuthStore{hasToken: %t, valid: %t}", has, bool(C.bosbase_auth_store_is_valid(p)))
}

// GoString is the %#v form, as String.
func (a *AuthStore) GoString() string {
	if a == nil {
		return "(*bosbase.AuthStore)(nil)"
	}
	return "&" + a.String()
}

// Format makes every verb (%v, %+v, %#v, %s) print the safe description.
func (a *AuthStore) Format(f fmt.State, verb rune) { formatSafe(f, verb, a) }

// Listener registry: the core gets an integer id as user_data, never a Go pointer.
var (
	listeners      sync.Map // uint64 -> func(string, map[string]any)
	nextListenerID atomic.Uint64
)

// recordMap decodes a record JSON; `null` or anything not an object gives nil.
func recordMap(s string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}
