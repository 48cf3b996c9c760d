package bosbase

/*
#include <stdlib.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// SendOptions describes one request for Client.Send and RecordService.Send.
// Every field is optional; Method defaults to GET.
type SendOptions struct {
	Method  string
	Body    map[string]any
	Query   map[string]any
	Headers map[string]string
}

// optionsJSON is the C ABI's options_json (method only for the send functions).
type optionsJSON struct {
	Method  string            `json:"method,omitempty"`
	Body    map[string]any    `json:"body,omitempty"`
	Query   map[string]any    `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// cOptions encodes the options for C; nil (no options) when everything is empty,
// which keeps the common `nil, nil, nil` call free of JSON work.
func (cs *cStrings) options(o optionsJSON) (*C.char, error) {
	if o.Method == "" && len(o.Body) == 0 && len(o.Query) == 0 && len(o.Headers) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("bosbase: encoding request options: %w", err)
	}
	return cs.add(string(b))
}
