package bosbase

/*
#include "bosbase.h"
*/
import "C"

import (
	"encoding/json"
	"time"
)

// PocketBase's datetime layout (UTC), as records store and filters compare it.
const dateLayout = "2006-01-02 15:04:05.000Z"

// Filter fills the {:name} placeholders of a PocketBase filter expression with params,
// each rendered by the core as a literal hostile input cannot break out of: strings are
// single-quoted with ' escaped (a string ending in a backslash is refused with Kind
// "invalid_argument", since PocketBase's filter syntax cannot express it), numbers,
// booleans and nil are bare (123, true, null), maps and slices are quoted JSON, and a
// time.Time (or *time.Time) parameter becomes PocketBase's UTC datetime string
// ('2024-01-02 03:04:05.000Z'). Placeholders without a parameter are left as they are.
//
//	f, err := bosbase.Filter("title ~ {:q} && author = {:me}", map[string]any{"q": userInput, "me": id})
//	list, err := client.Collection("posts").GetList(1, 20, nil, map[string]any{"filter": f}, nil)
func Filter(expr string, params map[string]any) (string, error) {
	converted := make(map[string]any, len(params))
	for k, v := range params {
		switch t := v.(type) {
		case time.Time:
			converted[k] = t.UTC().Format(dateLayout)
		case *time.Time:
			if t == nil {
				converted[k] = nil
			} else {
				converted[k] = t.UTC().Format(dateLayout)
			}
		default:
			converted[k] = v
		}
	}
	pj, err := json.Marshal(converted)
	if err != nil {
		// The encoder's message may quote a value; name only the part.
		return "", newError(KindInvalidArgument, "filter parameters cannot be encoded as JSON")
	}
	var cs cStrings
	defer cs.free()
	a, err := cs.addAll(expr, string(pj))
	if err != nil {
		return "", err
	}
	return invoke(func(result, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_filter(a[0], a[1], result, errOut)
	})
}
