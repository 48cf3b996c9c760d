package bosbase_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// An argument whose zero value is a value of its own (the row's zeroIsValue) is a pointer:
// Ptr(0) sends 0 ("no expiry"), nil sends the row's default (-1). With "zero means the
// default" a Go caller could never ask for no expiry.
func TestZeroIsAValueOfItsOwn(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"key":"k"}`))
	}))
	defer srv.Close()
	c := newClientAt(t, srv.URL)
	if _, err := c.Caches().RenewEntry("c", "k", bosbase.Ptr(0), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Caches().RenewEntry("c", "k", nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0]["ttlSeconds"] != float64(0) || bodies[1]["ttlSeconds"] != float64(-1) {
		t.Fatalf("ttlSeconds sent %v, want 0 then the default -1", bodies)
	}
}

// Only the rows that take files have a files parameter: SQL, GraphQL and cache renewals
// send a body but take no file parts (they did when files were guessed from the method).
func TestRowsWithoutFilesTakeNoFileParts(t *testing.T) {
	c := newClientAt(t, "http://127.0.0.1:9")
	for name, m := range map[string]reflect.Value{
		"Sql().Execute":        reflect.ValueOf(c.Sql().Execute),
		"Graphql().Query":      reflect.ValueOf(c.Graphql().Query),
		"Caches().RenewEntry":  reflect.ValueOf(c.Caches().RenewEntry),
		"Collection().Create":  reflect.ValueOf(c.Collection("posts").Create),
		"Scripts().Upload":     reflect.ValueOf(c.Scripts().Upload),
		"Backups().Upload":     reflect.ValueOf(c.Backups().Upload),
		"Collection().Update":  reflect.ValueOf(c.Collection("posts").Update),
		"Collections().Create": reflect.ValueOf(c.Collections().Create),
	} {
		want := name == "Collection().Create" || name == "Collection().Update" || name == "Scripts().Upload" ||
			name == "Backups().Upload"
		if m.Type().IsVariadic() != want {
			t.Errorf("%s takes files = %t, want %t", name, m.Type().IsVariadic(), want)
		}
	}
}
