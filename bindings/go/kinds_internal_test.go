package bosbase

import (
	"reflect"
	"strings"
	"testing"
)

// jsonNames are the JSON field names a decoder struct reads (embedded structs included).
func jsonNames(t reflect.Type, into map[string]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			jsonNames(f.Type, into)
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			into[name] = true
		}
	}
}

// The event JSON's fields come from the core's export (eventFields, generated): the realtime
// and pub/sub decoders together read every field of every kind but "type" (the kind comes with
// the entry), and neither reads a field the export does not name. A field the core adds to an
// event, or one a decoder expects that the core never sends, fails here.
func TestEventDecodersReadEverySchemaField(t *testing.T) {
	read := map[string]bool{}
	jsonNames(reflect.TypeOf(realtimeEventJSON{}), read)
	jsonNames(reflect.TypeOf(pubsubEventJSON{}), read)
	schema := map[string]bool{}
	for kind, fields := range eventFields {
		for _, f := range fields {
			schema[f] = true
			if f != "type" && !read[f] {
				t.Errorf("event kind %v: field %q is not read by any decoder", kind, f)
			}
		}
	}
	for f := range read {
		if !schema[f] {
			t.Errorf("a decoder reads %q, which no event kind of the core's export has", f)
		}
	}
	if len(eventFields) != 5 || EventKindState.String() != "state" || EventKind(99).String() != "unknown" {
		t.Errorf("generated kinds: %v, %v", eventFields, EventKindState)
	}
}

// A status code without error JSON still gets its kind from the generated table.
func TestStatusWithoutDetailsHasItsKind(t *testing.T) {
	for status, kind := range statusKinds {
		e, ok := errorOfStatus(status, "").(*ClientResponseError)
		if !ok || e.Kind != kind {
			t.Errorf("status %d: %v, want kind %q", status, e, kind)
		}
	}
	if e := errorOfStatus(12345, "").(*ClientResponseError); e.Kind != KindPanic {
		t.Errorf("unknown status: kind %q", e.Kind)
	}
}
