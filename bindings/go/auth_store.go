package bosbase

/*
#include "bosbase.h"

// Defined in callback.c: registers the Go auth-change trampoline with `id` as user_data.
BosbaseStatus bbgo_on_change(const BosbaseClient *client, uintptr_t id, uint64_t *listener_id_out);
*/
import "C"

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// AuthStore is the client's auth state, kept by the core: auth calls save
// {token, record} here, and requests carry the token while it is valid.
// It is reached as the client.AuthStore field. Safe for concurrent use.
// On a closed client the getters return zero values.
type AuthStore struct {
	n *native
}

// Token is the stored auth token ("" when none).
func (a *AuthStore) Token() string {
	var s string
	a.n.with(func(p *C.BosbaseClient) {
		var out *C.char
		if C.bosbase_auth_store_token(p, &out) == C.BOSBASE_STATUS_OK {
			s = takeString(out)
		}
	})
	return s
}

// Record is the stored auth record (nil when none).
func (a *AuthStore) Record() map[string]any {
	var m map[string]any
	a.n.with(func(p *C.BosbaseClient) {
		var out *C.char
		if C.bosbase_auth_store_record(p, &out) == C.BOSBASE_STATUS_OK {
			m = recordMap(takeString(out))
		}
	})
	return m
}

// IsValid reports whether the store holds a token whose JWT expiry is in the future
// (the signature is not checked).
func (a *AuthStore) IsValid() bool {
	valid := false
	a.n.with(func(p *C.BosbaseClient) {
		valid = bool(C.bosbase_auth_store_is_valid(p))
	})
	return valid
}

// Clear forgets the token and record, then runs the OnChange listeners.
func (a *AuthStore) Clear() {
	a.n.with(func(p *C.BosbaseClient) {
		C.bosbase_auth_store_clear(p)
	})
}

// Save stores token and record (as an auth call would), then runs the OnChange listeners.
func (a *AuthStore) Save(token string, record map[string]any) error {
	rec, err := json.Marshal(record) // a nil map encodes as null
	if err != nil {
		return err
	}
	return a.write(func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_save(p, args[0], args[1], errOut)
	}, token, string(rec))
}

// Export returns the login as JSON ({"token": ..., "record": ...}) so an app can
// persist it and restore it later with Import.
func (a *AuthStore) Export() (string, error) {
	var s string
	var status C.BosbaseStatus = C.BOSBASE_STATUS_OK
	if !a.n.with(func(p *C.BosbaseClient) {
		var out *C.char
		status = C.bosbase_auth_store_export(p, &out)
		s = takeString(out)
	}) {
		return "", ErrClosed
	}
	if status != C.BOSBASE_STATUS_OK {
		return "", statusError(status, "")
	}
	return s, nil
}

// Import restores what Export returned, then runs the OnChange listeners.
func (a *AuthStore) Import(data string) error {
	return a.write(func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_auth_store_import(p, args[0], errOut)
	}, data)
}

// write runs a store call that takes strings and may fill an error JSON.
func (a *AuthStore) write(fn func(p *C.BosbaseClient, args []*C.char, errOut **C.char) C.BosbaseStatus, ss ...string) error {
	var cs cStrings
	defer cs.free()
	args, err := cs.addAll(ss...)
	if err != nil {
		return err
	}
	var callErr error
	if !a.n.with(func(p *C.BosbaseClient) {
		_, callErr = invoke(func(_, errOut **C.char) C.BosbaseStatus {
			return fn(p, args, errOut)
		})
	}) {
		return ErrClosed
	}
	return callErr
}

// OnChange registers fn to run after each change of the store, with the new token
// ("" after Clear) and record (nil after Clear). The returned function unregisters it
// (calling it again does nothing): no change made after it returns reaches fn, though a
// call already under way for an earlier change may still finish.
//
// fn runs synchronously on the goroutine whose call changed the store, so with
// concurrent auth calls it runs concurrently with itself. It may read the store
// (Token, Record, IsValid) but must not change it, make auth calls or Close the
// client. A panic in fn is recovered and reported on stderr, since it cannot unwind
// through the core.
func (a *AuthStore) OnChange(fn func(token string, record map[string]any)) (unsubscribe func()) {
	id := nextListenerID.Add(1)
	listeners.Store(id, fn)
	var coreID C.uint64_t
	ok := false
	a.n.with(func(p *C.BosbaseClient) {
		if C.bbgo_on_change(p, C.uintptr_t(id), &coreID) == C.BOSBASE_STATUS_OK {
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
			// Forget fn first: a callback the core has already started then finds
			// nothing to run, even before the core has removed its listener.
			listeners.Delete(id)
			a.n.with(func(p *C.BosbaseClient) {
				a.n.mu.Lock()
				cid, found := a.n.listeners[id]
				delete(a.n.listeners, id)
				a.n.mu.Unlock()
				if found {
					C.bosbase_auth_store_remove_listener(p, cid)
				}
			})
		})
	}
}

// Listener registry: the core gets an integer id as user_data, never a Go pointer.
// A plain map rather than cgo.Handle because the header allows a callback already
// started to run after removal, and cgo.Handle.Value panics on a deleted handle.
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
