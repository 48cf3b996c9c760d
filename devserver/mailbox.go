package main

// The dev server delivers no email: it keeps the account emails PocketBase
// would send (OTP, verification, password reset, email change, login alert)
// in memory, with the values a user would read in them, so tests can finish
// those flows:
//
//	GET /api/_dev/mailbox?to=EMAIL  (superusers only) -> [{kind, to, meta}], oldest first
//
// `meta` is what PocketBase puts in the mail: {otpId, password} for an OTP,
// {token} for verification and password reset, {token, newEmail} for an email
// change. The real BosBase server has no such route; tests that need it check
// for it first.

import (
	"net/http"
	"sync"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

type mail struct {
	Kind string         `json:"kind"`
	To   string         `json:"to"`
	Meta map[string]any `json:"meta"`
}

// mailboxCap bounds the memory a long-running dev server spends on mail.
const mailboxCap = 1000

type mailbox struct {
	mu    sync.Mutex
	mails []mail
}

func (b *mailbox) add(m mail) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mails = append(b.mails, m)
	if len(b.mails) > mailboxCap {
		b.mails = b.mails[len(b.mails)-mailboxCap:]
	}
}

func (b *mailbox) to(address string) []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []mail{}
	for _, m := range b.mails {
		if address == "" || m.To == address {
			out = append(out, m)
		}
	}
	return out
}

func registerMailbox(app core.App) *mailbox {
	box := &mailbox{}

	// Swallow every send: no SMTP or sendmail is needed and nothing leaves the machine.
	app.OnMailerSend().BindFunc(func(e *core.MailerEvent) error { return nil })

	keep := func(kind string) func(e *core.MailerRecordEvent) error {
		return func(e *core.MailerRecordEvent) error {
			to := ""
			if len(e.Message.To) > 0 {
				to = e.Message.To[0].Address
			}
			box.add(mail{Kind: kind, To: to, Meta: e.Meta})
			return e.Next()
		}
	}
	app.OnMailerRecordOTPSend().BindFunc(keep("otp"))
	app.OnMailerRecordVerificationSend().BindFunc(keep("verification"))
	app.OnMailerRecordPasswordResetSend().BindFunc(keep("password-reset"))
	app.OnMailerRecordEmailChangeSend().BindFunc(keep("email-change"))
	app.OnMailerRecordAuthAlertSend().BindFunc(keep("login-alert"))

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/_dev/mailbox", func(e *core.RequestEvent) error {
			return e.JSON(http.StatusOK, box.to(e.Request.URL.Query().Get("to")))
		}).Bind(apis.RequireSuperuserAuth())
		return se.Next()
	})
	return box
}
