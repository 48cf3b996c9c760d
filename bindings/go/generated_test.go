package bosbase_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// health.check and collections.getList exist only as rows of the core's table: these
// tests reach them through the generated methods (and the generic Call) alone.

func TestGeneratedHealthCheck(t *testing.T) {
	c := newClient(t)
	health, err := c.Health().Check(nil, nil, nil)
	if err != nil {
		t.Fatalf("Health().Check: %v", err)
	}
	if health["code"] != float64(200) {
		t.Errorf("health = %v, want code 200", health)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	health, err = c.Health().CheckCtx(ctx, nil, nil, nil) // the asynchronous path
	if err != nil || health["code"] != float64(200) {
		t.Errorf("Health().CheckCtx = %v, %v", health, err)
	}
}

func TestGeneratedCollectionsGetListAsSuperuser(t *testing.T) {
	c := newClient(t)
	// Anonymous: the server refuses, and the error is the server's.
	_, err := c.Collections().GetList(1, 10, nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || (e.Status != 401 && e.Status != 403) {
		t.Fatalf("anonymous GetList: kind %q status %d, want http 401/403", e.Kind, e.Status)
	}

	if _, err := c.Collection("_superusers").AuthWithPassword(adminEmail, adminPass, nil, nil, nil); err != nil {
		t.Fatalf("superuser AuthWithPassword: %v", err)
	}
	list, err := c.Collections().GetList(1, 200, nil, nil, nil)
	if err != nil {
		t.Fatalf("GetList(1, 200): %v", err)
	}
	if list["page"] != float64(1) || list["perPage"] != float64(200) {
		t.Errorf("page %v perPage %v, want 1 200", list["page"], list["perPage"])
	}
	names := map[string]bool{}
	items, _ := list["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			names[m["name"].(string)] = true
		}
	}
	for _, want := range []string{"users", "_superusers", "mfa_users"} {
		if !names[want] {
			t.Errorf("collection %q missing from %v", want, names)
		}
	}

	// Zero values mean the table's defaults (page 1, perPage 30).
	list, err = c.Collections().GetList(0, 0, nil, nil, nil)
	if err != nil || list["page"] != float64(1) || list["perPage"] != float64(30) {
		t.Errorf("GetList(0, 0) = page %v perPage %v, %v; want 1 30", list["page"], list["perPage"], err)
	}

	// Page 2 of one-item pages, through the context form.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	list, err = c.Collections().GetListCtx(ctx, 2, 1, nil, nil, nil)
	if err != nil || list["page"] != float64(2) || len(list["items"].([]any)) != 1 {
		t.Errorf("GetListCtx(2, 1) = %v, %v", list, err)
	}
}

// The generic call runs any row by name; unknown names and arguments are refused by the
// core before anything is sent, in both forms.
func TestCallByName(t *testing.T) {
	c := newClient(t)
	v, err := c.Call("health.check", nil, bosbase.CallOptions{})
	if m, ok := v.(map[string]any); err != nil || !ok || m["code"] != float64(200) {
		t.Errorf("Call(health.check) = %v, %v", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, call := range map[string]func() error{
		"unknown op":     func() error { _, err := c.Call("no.such", nil, bosbase.CallOptions{}); return err },
		"unknown op ctx": func() error { _, err := c.CallCtx(ctx, "no.such", nil, bosbase.CallOptions{}); return err },
		"unknown arg": func() error {
			_, err := c.Call("health.check", map[string]any{"x": 1}, bosbase.CallOptions{})
			return err
		},
		"missing arg ctx": func() error {
			_, err := c.CallCtx(ctx, "records.authWithToken", nil, bosbase.CallOptions{})
			return err
		},
		"negative timeout": func() error { _, err := c.Call("health.check", nil, bosbase.CallOptions{Timeout: -1}); return err },
	} {
		if e := responseError(t, call()); e.Kind != "invalid_argument" {
			t.Errorf("%s: kind %q, want invalid_argument", name, e.Kind)
		}
	}
	if n := bosbase.LiveCallHandles(); n != 0 {
		t.Errorf("%d call handles left after refused calls", n)
	}
}

// Every row of the core's table has its generated method and ...Ctx form on the service
// the naming rule puts it on, taking the row's arguments (minus the collection) plus
// body, query and headers, and for the rows that take files (the row's `files`, never
// guessed from the HTTP method) a variadic `files ...File`.
func TestEveryOperationHasAGoMethod(t *testing.T) {
	text, err := bosbase.OperationsJSON()
	if err != nil {
		t.Fatal(err)
	}
	var ops []struct {
		Name  string
		Files bool
		Args  []struct{ Name, In string }
	}
	if err := json.Unmarshal([]byte(text), &ops); err != nil || len(ops) == 0 {
		t.Fatalf("operations JSON: %v (%d rows)", err, len(ops))
	}
	c := newClient(t)
	for _, op := range ops {
		var group, method string
		for i := range op.Name {
			if op.Name[i] == '.' {
				group, method = op.Name[:i], op.Name[i+1:]
			}
		}
		pascal := func(s string) string { return string(s[0]-'a'+'A') + s[1:] }
		want := len(op.Args) + 3
		files := op.Files
		if files {
			want++
		}
		var service reflect.Value
		// The generator's rule (tools/generate/mod.rs on_collection): "records.*" rows whose
		// first argument is the collection in the path are RecordService methods; other
		// groups with a collection argument (vectors, llmDocuments) keep it as a parameter.
		if group == "records" && len(op.Args) > 0 && op.Args[0].Name == "collection" && op.Args[0].In == "path" {
			service = reflect.ValueOf(c.Collection("users"))
			want--
		} else {
			accessor := reflect.ValueOf(c).MethodByName(pascal(group))
			if !accessor.IsValid() {
				t.Errorf("%s: no Client.%s()", op.Name, pascal(group))
				continue
			}
			service = accessor.Call(nil)[0]
		}
		for _, name := range []string{pascal(method), pascal(method) + "Ctx"} {
			m := service.MethodByName(name)
			switch {
			case !m.IsValid():
				t.Errorf("%s: no method %s on %s", op.Name, name, service.Type())
			case name == pascal(method) && m.Type().NumIn() != want, name != pascal(method) && m.Type().NumIn() != want+1:
				t.Errorf("%s: %s takes %d arguments", op.Name, name, m.Type().NumIn())
			case m.Type().IsVariadic() != files:
				t.Errorf("%s: %s variadic (files) = %t, want %t", op.Name, name, m.Type().IsVariadic(), files)
			}
		}
	}
}
