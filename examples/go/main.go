// Seed 001 ("Custom Token Binding and Login - Go SDK Documentation") as one program.
//
// The seed's code is copied verbatim; only the import path and the server URL changed.
// Its three snippets run in this order: binding (the seed's main), logging in, then
// unbinding (logging in after unbinding would fail). The snippets after the first are
// fragments that reuse `client` and redeclare `_, err :=` / `auth, err :=`, so each
// sits in its own function; the lines marked "glue" are not from the seed: Go rejects
// variables that are set but never read, so the glue reads them.
package main

import (
	"fmt"
	"log"
	"os"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// serverURL is the seed's "http://127.0.0.1:8090" unless BOSBASE_URL names the server.
func serverURL() string {
	if u := os.Getenv("BOSBASE_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:8090"
}

func main() {
	client := bosbase.New(serverURL())
	defer client.Close()
	// Bind for a regular user
	_, err := client.Collection("users").BindCustomToken(
		"user@example.com",
		"user-password",
		"my-app-token",
		nil, nil, nil,
	)
	if err != nil {
		log.Fatal(err)
	}
	// Bind for a superuser
	_, err = client.Collection("_superusers").BindCustomToken(
		"admin@example.com",
		"admin-password",
		"admin-app-token",
		nil, nil, nil,
	)
	if err != nil {
		log.Fatal(err)
	}

	loggingIn(client)                                       // glue
	unbinding(client)                                       // glue
	fmt.Println("go demo: bind, login and unbind finished") // glue
}

// Logging in with a token
func loggingIn(client *bosbase.Client) {
	// Login with the previously bound token
	auth, err := client.Collection("users").AuthWithToken(
		"my-app-token",
		nil, nil, nil,
	)
	if err != nil {
		log.Fatal(err)
	}
	// Auth data is automatically stored
	fmt.Printf("Token: %s\n", client.AuthStore.Token())
	record := client.AuthStore.Record()
	fmt.Printf("Record: %v\n", record)
	// Superuser token login
	superAuth, err := client.Collection("_superusers").AuthWithToken(
		"admin-app-token",
		nil, nil, nil,
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Superuser token: %s\n", client.AuthStore.Token())

	checkLogins(auth, superAuth) // glue
}

// Unbinding a token
func unbinding(client *bosbase.Client) {
	// Stop accepting the token for the user
	_, err := client.Collection("users").UnbindCustomToken(
		"user@example.com",
		"user-password",
		"my-app-token",
		nil, nil, nil,
	)
	// Stop accepting the token for a superuser
	_, err = client.Collection("_superusers").UnbindCustomToken(
		"admin@example.com",
		"admin-password",
		"admin-app-token",
		nil, nil, nil,
	)

	if err != nil { // glue
		log.Fatal(err)
	}
}

// checkLogins (glue) reads the seed's auth results and fails the demo if a login did not
// return the account it was bound to.
func checkLogins(auth, superAuth map[string]any) {
	for _, a := range []struct {
		result map[string]any
		email  string
	}{{auth, "user@example.com"}, {superAuth, "admin@example.com"}} {
		record, _ := a.result["record"].(map[string]any)
		if record["email"] != a.email || a.result["token"] == "" {
			log.Fatalf("token login returned the wrong account (want %s)", a.email)
		}
	}
}
