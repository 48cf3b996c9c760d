package bosbase_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// The records group, through the generated methods, as the demo users under the posts
// collection's owner-only rules.

// mustFilter is bosbase.Filter or a failed test.
func mustFilter(t testing.TB, expr string, params map[string]any) string {
	t.Helper()
	f, err := bosbase.Filter(expr, params)
	if err != nil {
		t.Fatalf("Filter(%q): %v", expr, err)
	}
	return f
}

func TestRecordsCRUDUnderOwnerRules(t *testing.T) {
	c, me := signedIn(t, userEmail, userPass)
	other, _ := signedIn(t, user2Email, user2Pass)
	posts := c.Collection("posts")
	tag := uniqueTag(t) // these posts' titles, unique to this run of this test

	var ids []string
	for i := 0; i < 3; i++ {
		p, err := posts.Create(map[string]any{"title": fmt.Sprintf("%s-%d", tag, i), "body": "b", "author": me}, nil, nil, nil)
		if err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if p["author"] != me || p["collectionName"] != "posts" || p["created"] == "" {
			t.Errorf("created %v", p)
		}
		ids = append(ids, p["id"].(string))
	}
	// A post for someone else is refused by the create rule.
	if _, err := other.Collection("posts").Create(map[string]any{"title": tag + "-forged", "author": me}, nil, nil, nil); err == nil {
		t.Errorf("user2 created a post for user")
	} else if e := responseError(t, err); e.Kind != "http" || e.Status != 400 {
		t.Errorf("forged create: kind %q status %d", e.Kind, e.Status)
	}

	got, err := posts.GetOne(ids[0], nil, nil, nil)
	if err != nil || got["title"] != tag+"-0" {
		t.Errorf("GetOne = %v, %v", got, err)
	}
	// The other user cannot see it: the view rule makes it a 404.
	_, err = other.Collection("posts").GetOne(ids[0], nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || e.Status != 404 {
		t.Errorf("GetOne as user2: kind %q status %d", e.Kind, e.Status)
	}

	mine := mustFilter(t, "title ~ {:tag}", map[string]any{"tag": tag})
	page, err := posts.GetList(1, 2, nil, map[string]any{"filter": mine, "sort": "-title"}, nil)
	if err != nil {
		t.Fatalf("GetList: %v", err)
	}
	items := page["items"].([]any)
	if page["totalItems"] != float64(3) || page["totalPages"] != float64(2) || len(items) != 2 ||
		items[0].(map[string]any)["title"] != tag+"-2" || items[1].(map[string]any)["title"] != tag+"-1" {
		t.Errorf("GetList(1, 2, -title) = %v", page)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	page, err = posts.GetListCtx(ctx, 2, 2, nil, map[string]any{"filter": mine, "sort": "-title", "skipTotal": true}, nil)
	if err != nil || len(page["items"].([]any)) != 1 || page["items"].([]any)[0].(map[string]any)["title"] != tag+"-0" {
		t.Errorf("GetListCtx(2, 2) = %v, %v", page, err)
	}
	// user2's list under the same filter is empty.
	page, err = other.Collection("posts").GetList(0, 0, nil, map[string]any{"filter": mine}, nil)
	if err != nil || page["totalItems"] != float64(0) {
		t.Errorf("user2 GetList = %v, %v", page, err)
	}

	// Every match, one per request.
	all, err := posts.GetFullList(1, nil, map[string]any{"filter": mine, "sort": "title", "fields": "id,title"}, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("GetFullList(1) = %d items, %v", len(all), err)
	}
	for i, it := range all {
		m := it.(map[string]any)
		if m["title"] != fmt.Sprintf("%s-%d", tag, i) || m["body"] != nil {
			t.Errorf("GetFullList item %d = %v (want only id and title)", i, m)
		}
	}

	first, err := posts.GetFirstListItem(mustFilter(t, "title = {:t}", map[string]any{"t": tag + "-1"}), nil, nil, nil)
	if err != nil || first["id"] != ids[1] {
		t.Errorf("GetFirstListItem = %v, %v", first, err)
	}
	_, err = posts.GetFirstListItem(mustFilter(t, "title = {:t}", map[string]any{"t": tag + "-none"}), nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || e.Status != 404 {
		t.Errorf("GetFirstListItem without a match: kind %q status %d, want http 404", e.Kind, e.Status)
	}

	updated, err := posts.Update(ids[0], map[string]any{"body": "changed"}, nil, nil, nil)
	if err != nil || updated["body"] != "changed" || updated["title"] != tag+"-0" {
		t.Errorf("Update = %v, %v", updated, err)
	}
	_, err = other.Collection("posts").Update(ids[0], map[string]any{"body": "stolen"}, nil, nil, nil)
	if e := responseError(t, err); e.Status != 404 {
		t.Errorf("Update as user2: kind %q status %d", e.Kind, e.Status)
	}

	for _, id := range ids {
		if ok, err := posts.Delete(id, nil, nil, nil); !ok || err != nil {
			t.Errorf("Delete(%s) = %v, %v", id, ok, err)
		}
	}
	_, err = posts.GetOne(ids[0], nil, nil, nil)
	if e := responseError(t, err); e.Status != 404 {
		t.Errorf("GetOne after Delete: status %d", e.Status)
	}
}

// records.getCount is BosBase's own route; the dev server (PocketBase) may not have it.
// The call must reach the server: either a count, or the missing route as a typed 404.
func TestRecordsGetCountReachesTheServer(t *testing.T) {
	c, _ := signedIn(t, userEmail, userPass)
	n, err := c.Collection("posts").GetCount(nil, map[string]any{"filter": "title != ''"}, nil)
	if err == nil {
		if n < 0 {
			t.Errorf("GetCount = %d", n)
		}
		return
	}
	if e := responseError(t, err); e.Kind != "http" || e.Status != 404 {
		t.Errorf("GetCount: kind %q status %d, want a count or http 404", e.Kind, e.Status)
	}
}

// Updating the signed-in account refreshes the stored record; deleting it signs out.
func TestUpdateAndDeleteOfTheSignedInAccount(t *testing.T) {
	c, me := signedIn(t, userEmail, userPass)
	token := c.AuthStore.Token()
	var seen []map[string]any
	unsubscribe := c.AuthStore.OnChange(func(_ string, rec map[string]any) { seen = append(seen, rec) })
	defer unsubscribe()
	name := "Name " + uniqueTag(t)
	rec, err := c.Collection("users").Update(me, map[string]any{"name": name}, nil, nil, nil)
	if err != nil || rec["name"] != name {
		t.Fatalf("Update own record = %v, %v", rec, err)
	}
	if c.AuthStore.Record()["name"] != name || c.AuthStore.Token() != token {
		t.Errorf("stored record name %v (token kept: %t)", c.AuthStore.Record()["name"], c.AuthStore.Token() == token)
	}
	if len(seen) != 1 || seen[0]["name"] != name {
		t.Errorf("OnChange saw %v", seen)
	}

	// A throw-away account, signed in, deletes itself: the store is cleared.
	anon := newClient(t)
	email := "tmp-" + uniqueTag(t) + "@example.com"
	pass := "tmp-password-123"
	created, err := anon.Collection("users").Create(map[string]any{"email": email, "password": pass, "passwordConfirm": pass}, nil, nil, nil)
	if err != nil {
		t.Fatalf("create a throw-away user: %v", err)
	}
	if anon.AuthStore.Token() != "" {
		t.Errorf("creating a user signed in")
	}
	tmp, _ := signedIn(t, email, pass)
	if ok, err := tmp.Collection("users").Delete(created["id"].(string), nil, nil, nil); !ok || err != nil {
		t.Fatalf("Delete own account = %v, %v", ok, err)
	}
	if tmp.AuthStore.Token() != "" || tmp.AuthStore.Record() != nil {
		t.Errorf("deleting the signed-in account left the store signed in")
	}
}

// uniqueTag is 12 random hex digits: a name no other test or run uses (and free of
// the LIKE wildcards `_` and `%`).
func uniqueTag(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
