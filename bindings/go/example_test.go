package bosbase_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// Bind a fresh token to an account, then log in with it (compiled, not run: it needs a server).
func ExampleRecordService_AuthWithToken() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()

	token, err := bosbase.GenerateToken()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Collection("users").BindCustomToken("user@example.com", "user-password", token, nil, nil, nil); err != nil {
		log.Fatal(err)
	}
	auth, err := client.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(auth["record"].(map[string]any)["email"], client.AuthStore.IsValid())
}

// Finish an MFA login: the first method fails with MFAID() set, the second carries it.
func ExampleClientResponseError_MFAID() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()

	_, err := client.Collection("mfa_users").AuthWithToken("a-bound-token", nil, nil, nil)
	var e *bosbase.ClientResponseError
	if errors.As(err, &e) && e.MFAID() != "" {
		_, err = client.Collection("mfa_users").AuthWithPassword("mfa@example.com", "mfa-password",
			map[string]any{"mfaId": e.MFAID()}, nil, nil)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// Persist a login and restore it in a later process.
func ExampleAuthStore_Export() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()

	saved, _ := client.AuthStore.Export() // store `saved` somewhere
	restored := bosbase.New("http://127.0.0.1:8090")
	defer restored.Close()
	if err := restored.AuthStore.Import(saved); err != nil {
		log.Fatal(err)
	}
}

// A server whose certificate comes from a private CA, with a shorter deadline per call;
// every failure is a *ClientResponseError (compiled, not run: it needs a server).
func ExampleNewClient() {
	client, err := bosbase.NewClient("https://api.internal:8443", bosbase.ClientOptions{
		CAFile:  "/etc/myapp/internal-ca.pem",
		Timeout: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err) // Kind "invalid_argument": a bad URL, or an unreadable CAFile
	}
	defer client.Close()

	_, err = client.Send("/api/health", bosbase.SendOptions{Timeout: 2 * time.Second})
	var e *bosbase.ClientResponseError
	if errors.As(err, &e) {
		switch e.Kind {
		case bosbase.KindTLS: // e.Message says what failed: unknown issuer, name mismatch, expired
		case bosbase.KindTimeout, bosbase.KindNetwork: // no answer (e.Status == 0)
		case bosbase.KindClosed: // the client was closed
		}
		log.Print(e)
	}
}
