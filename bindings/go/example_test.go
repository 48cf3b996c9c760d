package bosbase_test

import (
	"context"
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

// Give a login two seconds: when the context ends first the call is cancelled, returns
// at once, and the login is not saved even if the server answers later (compiled, not run).
func ExampleRecordService_AuthWithTokenCtx() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	auth, err := client.Collection("users").AuthWithTokenCtx(ctx, "a-bound-token", nil, nil, nil)
	var e *bosbase.ClientResponseError
	switch {
	case errors.Is(err, context.DeadlineExceeded): // e.Kind == "cancelled"; the store is unchanged
		log.Print("login timed out")
	case errors.As(err, &e):
		log.Fatal(e)
	default:
		fmt.Println(auth["token"] == client.AuthStore.Token()) // true
	}
}

// The operations that are not a collection's have a service per group.
func ExampleClient_Collections() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()

	if _, err := client.Collection("_superusers").AuthWithPassword("admin@example.com", "admin-password", nil, nil, nil); err != nil {
		log.Fatal(err)
	}
	health, err := client.Health().Check(nil, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	list, err := client.Collections().GetList(1, 50, nil, nil, nil) // GetList(0, 0, ...): page 1 of 30
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(health["message"], list["totalItems"])
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

// Follow the signed-in user's posts until the context ends (compiled, not run). Events
// arrive on the subscription's channel; the channel closes when the subscription ends.
func ExampleRecordService_SubscribeCtx() {
	client := bosbase.New("http://127.0.0.1:8090")
	defer client.Close()
	if _, err := client.Collection("users").AuthWithPassword("user@example.com", "user-password", nil, nil, nil); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := client.Collection("posts").SubscribeCtx(ctx, "*", bosbase.SubscribeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for ev := range sub.Events() {
		switch ev.Type {
		case bosbase.EventRecord:
			fmt.Println(ev.Action, ev.Record["id"], ev.Record["title"])
		case bosbase.EventError:
			log.Fatal(ev.Err)
		}
	}
	fmt.Println("ended; events lost to a slow consumer:", sub.Dropped())
}

// Publish to a pub/sub topic another client listens to (BosBase only; compiled, not run).
func ExamplePubsubService_Subscribe() {
	listener, publisher := bosbase.New("http://127.0.0.1:8090"), bosbase.New("http://127.0.0.1:8090")
	defer listener.Close()
	defer publisher.Close()
	if _, err := publisher.Collection("users").AuthWithPassword("user@example.com", "user-password", nil, nil, nil); err != nil {
		log.Fatal(err)
	}
	sub, err := listener.Pubsub().Subscribe("chat")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe()
	<-sub.Events() // {Type: "subscribed"}
	if _, err := publisher.Pubsub().Publish("chat", map[string]any{"text": "hi"}, nil, nil, nil); err != nil {
		log.Fatal(err)
	}
	msg := <-sub.Events()
	fmt.Println(msg.Type, msg.Data)
}
