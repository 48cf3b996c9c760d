package main

// Rate limiting of the token routes, as BosBase does it: each route counts
// under its own action tag and under the shared "auth" tag, so the rules
// "*:auth", "users:auth", "*:bindToken", "*:unbindToken" and
// "*:authWithToken" (and the plain path labels) apply to them, with one
// counter per route and client IP. PocketBase's own collection middleware for
// this is unexported, hence this small fixed-window limiter.
//
// The middleware also resolves the collection first, so an unknown one is a
// 404 "Missing or invalid collection context." before anything else, as on
// BosBase (and on PocketBase's built-in auth routes).

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// rateLimitTagAuth is the tag every authentication route shares.
const rateLimitTagAuth = "auth"

// tokenRouteLimit is the rate-limit middleware of one token route. Its id is
// PocketBase's global rate-limit middleware id, so on these routes it takes
// the place of the global one (which only knows the path labels).
func tokenRouteLimit(limiters *fixedWindows, action string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       apis.DefaultRateLimitMiddlewareId,
		Priority: apis.DefaultRateLimitMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			collection, err := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection"))
			if err != nil {
				return e.NotFoundError("Missing or invalid collection context.", err)
			}

			limits := e.App.Settings().RateLimits
			if !limits.Enabled || e.HasSuperuserAuth() {
				return e.Next()
			}

			audience := []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceGuest}
			if e.Auth != nil {
				audience = []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceAuth}
			}
			labels := []string{
				collection.Name + ":" + action,
				collection.Name + ":" + rateLimitTagAuth,
				"*:" + action,
				"*:" + rateLimitTagAuth,
				e.Request.Method + " " + e.Request.URL.Path,
				e.Request.URL.Path,
			}
			rule, ok := limits.FindRateLimitRule(labels, audience...)
			if !ok {
				return e.Next()
			}

			// One window per collection, route and rule (a changed rule starts afresh).
			key := collection.Id + " " + e.Request.Pattern + " " + rule.Label + " " + rule.Audience +
				" " + strconv.Itoa(rule.MaxRequests) + "/" + strconv.FormatInt(rule.Duration, 10)
			if !limiters.allow(key, e.RealIP(), rule.MaxRequests, time.Duration(rule.Duration)*time.Second) {
				return e.TooManyRequestsError("", errors.New("triggered rate limit rule: "+rule.String()))
			}
			return e.Next()
		},
	}
}

// fixedWindows counts requests per (limiter key, client) in fixed windows.
type fixedWindows struct {
	mu      sync.Mutex
	windows map[string]*window
	now     func() time.Time
}

type window struct {
	start time.Time
	used  int
}

func newFixedWindows() *fixedWindows {
	return &fixedWindows{windows: map[string]*window{}, now: time.Now}
}

// allow consumes one request of client's window under key and reports
// whether it was within max per interval.
func (f *fixedWindows) allow(key, client string, max int, interval time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()

	now := f.now()
	id := key + "\x00" + client
	w := f.windows[id]
	if w == nil || now.Sub(w.start) >= interval {
		f.prune(now)
		w = &window{start: now}
		f.windows[id] = w
	}
	if w.used >= max {
		return false
	}
	w.used++
	return true
}

// prune drops windows idle for an hour, so the map cannot grow without bound.
func (f *fixedWindows) prune(now time.Time) {
	for id, w := range f.windows {
		if now.Sub(w.start) > time.Hour {
			delete(f.windows, id)
		}
	}
}
