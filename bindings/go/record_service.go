package bosbase

/*
#include "bosbase.h"
*/
import "C"

// RecordService is the API of one collection, from Client.Collection.
//
// The trailing body, query and headers arguments are optional (nil): body fields are
// merged into the request's JSON body, query into its query string, headers into
// its headers (an Authorization header set here wins over the auth store).
type RecordService struct {
	client *Client
	name   string
}

// BindCustomToken binds token to the account email/password of this collection
// (POST /api/collections/{collection}/bind-token). It returns true on success and
// never changes the auth store.
func (s *RecordService) BindCustomToken(email, password, token string, body, query map[string]any, headers map[string]string) (bool, error) {
	return s.tokenBinding(true, email, password, token, body, query, headers)
}

// UnbindCustomToken stops accepting token for the account (POST .../unbind-token).
// It returns true, also when the token was not bound, and never changes the auth store.
func (s *RecordService) UnbindCustomToken(email, password, token string, body, query map[string]any, headers map[string]string) (bool, error) {
	return s.tokenBinding(false, email, password, token, body, query, headers)
}

func (s *RecordService) tokenBinding(bind bool, email, password, token string, body, query map[string]any, headers map[string]string) (bool, error) {
	text, err := s.client.call(func(cs *cStrings) (handleFn, error) {
		a, err := cs.addAll(s.name, email, password, token)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(optionsJSON{Body: body, Query: query, Headers: headers})
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			if bind {
				return C.bosbase_bind_custom_token(ptr, a[0], a[1], a[2], a[3], o, result, errOut)
			}
			return C.bosbase_unbind_custom_token(ptr, a[0], a[1], a[2], a[3], o, result, errOut)
		}, nil
	})
	if err != nil {
		return false, err
	}
	var ok bool
	if err := decodeJSON(text, &ok); err != nil {
		return false, err
	}
	return ok, nil
}

// AuthWithToken signs in with a bound custom token (POST .../auth-with-token) and
// saves the answer in client.AuthStore. The result holds "token" and "record".
//
// When the collection has MFA on, the first step fails with a *ClientResponseError
// whose MFAID() is set; finish with another method carrying body {"mfaId": id}.
func (s *RecordService) AuthWithToken(token string, body, query map[string]any, headers map[string]string) (map[string]any, error) {
	return s.client.callMap(func(cs *cStrings) (handleFn, error) {
		a, err := cs.addAll(s.name, token)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(optionsJSON{Body: body, Query: query, Headers: headers})
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_auth_with_token(ptr, a[0], a[1], o, result, errOut)
		}, nil
	})
}

// AuthWithPassword signs in with identity (email) and password
// (POST .../auth-with-password) and saves the answer in client.AuthStore.
// To finish an MFA login pass body map[string]any{"mfaId": err.MFAID()}.
func (s *RecordService) AuthWithPassword(identity, password string, body, query map[string]any, headers map[string]string) (map[string]any, error) {
	return s.client.callMap(func(cs *cStrings) (handleFn, error) {
		a, err := cs.addAll(s.name, identity, password)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(optionsJSON{Body: body, Query: query, Headers: headers})
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_auth_with_password(ptr, a[0], a[1], a[2], o, result, errOut)
		}, nil
	})
}

// AuthRefresh refreshes the stored token (POST .../auth-refresh) and saves the answer.
func (s *RecordService) AuthRefresh(body, query map[string]any, headers map[string]string) (map[string]any, error) {
	return s.client.callMap(func(cs *cStrings) (handleFn, error) {
		name, err := cs.add(s.name)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(optionsJSON{Body: body, Query: query, Headers: headers})
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_auth_refresh(ptr, name, o, result, errOut)
		}, nil
	})
}

// Send sends a request to path relative to this collection ("/bind-token" →
// /api/collections/{collection}/bind-token) and returns the decoded JSON answer
// (nil for an empty body). Nothing is saved in the auth store.
func (s *RecordService) Send(path string, opts SendOptions) (any, error) {
	return s.client.callJSON(func(cs *cStrings) (handleFn, error) {
		a, err := cs.addAll(s.name, path)
		if err != nil {
			return nil, err
		}
		oj, err := requestOptions(opts)
		if err != nil {
			return nil, err
		}
		o, err := cs.options(oj)
		if err != nil {
			return nil, err
		}
		return func(ptr *C.BosbaseClient, result, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_collection_send(ptr, a[0], a[1], o, result, errOut)
		}, nil
	})
}
