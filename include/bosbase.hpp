// bosbase.hpp — a small C++17 RAII wrapper over bosbase.h.
//
// Error handling: every failing call throws bosbase::Error (a std::runtime_error) carrying
// the status, the kind and the full error JSON from the core. Results are JSON text
// (std::string); parse them with the JSON library your project already uses.
// Thread safety: a bosbase::Client may be shared by many threads (the C handle is).
#ifndef BOSBASE_HPP
#define BOSBASE_HPP

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "bosbase.h"

namespace bosbase {

namespace detail {
struct StringFree {
    void operator()(char *s) const noexcept { bosbase_string_free(s); }
};
}  // namespace detail

/// A string returned by the library, freed when it goes out of scope.
using OwnedString = std::unique_ptr<char, detail::StringFree>;

namespace detail {
// The top-level "message" string of the core's error JSON (compact, produced by the core),
// unescaped; "" when absent. Skips nested values so the server's own "message" inside
// "response" is never taken for it.
inline std::string error_message(const std::string &j) {
    std::size_t i = 0, depth = 0;
    auto read_string = [&](std::string *out) {
        for (++i; i < j.size() && j[i] != '"'; ++i) {
            char c = j[i];
            if (c == '\\' && i + 1 < j.size()) {
                c = j[++i];
                if (c == 'n') c = '\n';
                else if (c == 't') c = '\t';
                else if (c == 'u') { i += 4; c = '?'; }  // rare in messages; keeps the text readable
            }
            if (out) out->push_back(c);
        }
        ++i;  // closing quote
    };
    bool expect_key = false;
    while (i < j.size()) {
        char c = j[i];
        if (c == '{' || c == '[') { ++depth; expect_key = (c == '{'); ++i; }
        else if (c == '}' || c == ']') { --depth; ++i; }
        else if (c == ',') { expect_key = true; ++i; }
        else if (c == '"') {
            std::string key;
            bool is_key = expect_key && depth == 1;
            read_string(is_key ? &key : nullptr);
            expect_key = false;
            if (is_key && key == "message" && i < j.size() && j[i] == ':' && i + 1 < j.size() && j[i + 1] == '"') {
                std::string value;
                i += 1;
                read_string(&value);
                return value;
            }
        } else { ++i; }
    }
    return std::string();
}
}  // namespace detail

/// A failed call. `what()` is "bosbase: <kind>: <message>" (the server's message for an HTTP
/// error); `json()` is the core's error JSON (url, status, response, isAbort, message, kind).
class Error : public std::runtime_error {
public:
    Error(BosbaseStatus status, std::string json)
        : std::runtime_error(std::string("bosbase: ") + bosbase_status_name(status) + ": " +
                             detail::error_message(json)),
          status_(status), json_(std::move(json)) {}
    BosbaseStatus status() const noexcept { return status_; }
    const char *kind() const noexcept { return bosbase_status_name(status_); }
    const std::string &json() const noexcept { return json_; }

private:
    BosbaseStatus status_;
    std::string json_;
};

namespace detail {
// Takes ownership of the out-strings a C call produced; throws on failure.
inline std::string finish(BosbaseStatus status, char *result, char *error) {
    OwnedString r(result), e(error);
    if (status != BOSBASE_STATUS_OK) {
        throw Error(status, e ? e.get() : "{}");
    }
    return r ? std::string(r.get()) : std::string();
}
inline const char *opt(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

// `s` as a JSON string literal.
inline std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// {"name": <json value>, ...} from (name, JSON text) pairs.
inline std::string args(std::initializer_list<std::pair<const char *, std::string>> named) {
    std::string out = "{";
    for (const auto &kv : named) {
        if (out.size() > 1) out += ',';
        out += json_string(kv.first) + ':' + kv.second;
    }
    return out + "}";
}

// The value of a JSON string literal (a `string` result: a URL, a token), UTF-8; throws
// bosbase::Error when `j` is not one.
inline std::string json_unquote(const std::string &j) {
    auto bad = [] { return Error(BOSBASE_STATUS_JSON, "{\"kind\":\"json\",\"message\":\"the result is not a JSON string\"}"); };
    if (j.size() < 2 || j.front() != '"' || j.back() != '"') throw bad();
    auto hex4 = [&](std::size_t at) {
        if (at + 4 > j.size() - 1) throw bad();
        unsigned v = 0;
        for (std::size_t k = at; k < at + 4; ++k) {
            char h = j[k];
            unsigned d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                       : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : 16;
            if (d == 16) throw bad();
            v = v * 16 + d;
        }
        return v;
    };
    std::string out;
    for (std::size_t i = 1; i + 1 < j.size(); ++i) {
        char c = j[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 2 >= j.size()) throw bad();
        c = j[++i];
        switch (c) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            unsigned cp = hex4(i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < j.size() && j[i + 1] == '\\' && j[i + 2] == 'u') {
                unsigned low = hex4(i + 3);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (cp < 0x80) {
                out += static_cast<char>(cp);
            } else if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (cp >> 18));
                out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: out += c;  // " \ /
        }
    }
    return out;
}

// An `integer` result as a number; throws bosbase::Error when `j` is not one.
inline long long json_integer(const std::string &j) {
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(j, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used == 0 || used != j.size()) throw Error(BOSBASE_STATUS_JSON, "{\"kind\":\"json\",\"message\":\"the result is not an integer\"}");
    return n;
}

// Runs one operation of the table (bosbase_call); throws bosbase::Error on failure.
inline std::string call(BosbaseClient *client, const char *op, const std::string &args_json,
                        const std::string &options_json) {
    char *r = nullptr, *e = nullptr;
    BosbaseStatus s = bosbase_call(client, op, args_json.c_str(), opt(options_json), &r, &e);  // before reading r
    return finish(s, r, e);
}
}  // namespace detail

}  // namespace bosbase

#include "bosbase_operations_gen.hpp"

namespace bosbase {

/// File parts for an upload (bosbase_files_*): bytes are copied in, paths are streamed from
/// disk when the call runs. Pass it to Client::call; it may be reused or dropped afterwards.
class Files {
public:
    Files() : handle_(bosbase_files_new()) {}
    /// A part holding a copy of `data` for the record field `field`; `content_type` "" means
    /// from the filename's extension.
    Files &add_bytes(const std::string &field, const std::string &filename, const std::string &data,
                     const std::string &content_type = "") {
        char *e = nullptr;
        BosbaseStatus s = bosbase_files_add_bytes(handle_.get(), field.c_str(), filename.c_str(),
                                                  content_type.empty() ? nullptr : content_type.c_str(),
                                                  reinterpret_cast<const std::uint8_t *>(data.data()), data.size(), &e);
        detail::finish(s, nullptr, e);
        return *this;
    }
    /// A part streamed from the file at `path`; `filename` "" means the path's last component.
    Files &add_path(const std::string &field, const std::string &path, const std::string &filename = "",
                    const std::string &content_type = "") {
        char *e = nullptr;
        BosbaseStatus s = bosbase_files_add_path(handle_.get(), field.c_str(), path.c_str(),
                                                 filename.empty() ? nullptr : filename.c_str(),
                                                 content_type.empty() ? nullptr : content_type.c_str(), &e);
        detail::finish(s, nullptr, e);
        return *this;
    }
    const BosbaseFiles *get() const noexcept { return handle_.get(); }

private:
    struct FilesFree {
        void operator()(BosbaseFiles *f) const noexcept { bosbase_files_free(f); }
    };
    std::unique_ptr<BosbaseFiles, FilesFree> handle_;
};

namespace detail {
// What both subscription kinds hold (push mode): the user's callback and the C handle,
// released handle first (the C side unsubscribes, so the callback is not running) and
// callback last.
template <typename Handle, void (*Free)(Handle *)>
class CallbackOwner {
public:
    using Callback = std::function<void(const std::string &event_json)>;

    CallbackOwner() = default;
    CallbackOwner(CallbackOwner &&) noexcept = default;
    CallbackOwner &operator=(CallbackOwner &&other) noexcept {
        if (this != &other) {
            handle_.reset();  // unsubscribe before the old callback goes
            callback_ = std::move(other.callback_);
            handle_ = std::move(other.handle_);
        }
        return *this;
    }
    ~CallbackOwner() { handle_.reset(); }

protected:
    // The C callback: exceptions the user's callback throws are swallowed (they must not reach
    // C). State entries are not passed on (they are the stream's, not the topic's).
    static void deliver(void *user_data, BosbaseEventKind kind, std::uint64_t, const char *json) noexcept {
        if (kind == BOSBASE_EVENT_STATE) return;
        try {
            (*static_cast<Callback *>(user_data))(json);
        } catch (...) {
        }
    }
    struct HandleFree {
        void operator()(Handle *h) const noexcept { Free(h); }
    };
    // Declared first so it is destroyed last: the C subscription goes before its callback.
    std::unique_ptr<Callback> callback_;
    std::unique_ptr<Handle, HandleFree> handle_;
};
}  // namespace detail

/// A pub/sub subscription (bosbase_pubsub_subscribe): the callback gets each event's JSON
/// ({"type": "subscribed"|"message"|"error", ...}) on the client's pub/sub dispatch thread, one
/// call at a time; exceptions it throws are swallowed. Unsubscribes in its destructor; once
/// `unsubscribe()` or the destructor returned, the callback is not running and never runs again.
class PubSubSubscription : public detail::CallbackOwner<BosbaseSubscription, bosbase_subscription_free> {
public:
    /// True when this call stopped delivery (false if it had stopped already).
    bool unsubscribe() noexcept {
        bool was = bosbase_subscription_is_active(handle_.get());
        bosbase_subscription_unsubscribe(handle_.get());
        return was;
    }
    bool active() const noexcept { return bosbase_subscription_is_active(handle_.get()); }
    /// Blocks until the server accepted the topic; throws bosbase::Error if it refused, on
    /// timeout, or when unsubscribed or closed meanwhile.
    void wait(std::uint64_t timeout_ms = 30000) const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_subscription_wait(handle_.get(), timeout_ms, &e);
        detail::finish(s, nullptr, e);
    }
    /// Messages dropped because the callback fell BOSBASE_QUEUE_MAX_EVENTS messages (or
    /// BOSBASE_QUEUE_MAX_BYTES) behind (oldest dropped first).
    std::uint64_t dropped() const noexcept { return bosbase_subscription_dropped(handle_.get()); }

private:
    friend class Client;
};

/// A realtime subscription (bosbase_realtime_subscribe). The callback gets each event's JSON
/// (see bosbase_realtime_subscribe for the shapes; state entries are not passed on) on the client's realtime dispatch thread, one
/// call at a time; exceptions it throws are swallowed (they must not reach C). Unsubscribes
/// in its destructor: once `unsubscribe()` or the destructor returned, the callback is not
/// running and never runs again (from inside the callback itself, it returns at once).
/// Movable, not copyable; may outlive its Client (it is then inactive).
class Subscription : public detail::CallbackOwner<BosbaseSubscription, bosbase_subscription_free> {
public:
    /// Blocks until the server confirmed the subscription; throws bosbase::Error if it refused,
    /// on timeout, or when unsubscribed or closed meanwhile.
    void wait(std::uint64_t timeout_ms = 30000) const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_subscription_wait(handle_.get(), timeout_ms, &e);
        detail::finish(s, nullptr, e);
    }
    void unsubscribe() noexcept { bosbase_subscription_unsubscribe(handle_.get()); }
    bool active() const noexcept { return bosbase_subscription_is_active(handle_.get()); }
    /// Events dropped because the callback fell BOSBASE_QUEUE_MAX_EVENTS events (or
    /// BOSBASE_QUEUE_MAX_BYTES) behind (oldest dropped first).
    std::uint64_t dropped() const noexcept { return bosbase_subscription_dropped(handle_.get()); }

private:
    friend class Client;
};

/// Owns a BosbaseClient; movable, not copyable. Thread-safe like the handle.
class Client : public Services<Client> {
public:
    /// `options_json`: "" or the object bosbase_client_new takes ("lang", "userAgent", "timeoutMs",
    /// "caPem", "caFile", "dangerAcceptInvalidCerts", ...).
    explicit Client(const std::string &base_url, const std::string &options_json = "") {
        BosbaseClient *c = nullptr;
        char *error = nullptr;
        BosbaseStatus s = bosbase_client_new(base_url.c_str(), detail::opt(options_json), &c, &error);
        detail::finish(s, nullptr, error);
        handle_.reset(c);
    }

    BosbaseClient *get() const noexcept { return handle_.get(); }

    // The operations (`pb.collection("users").auth_with_token(token)`, `pb.health().check()`, ...)
    // come from Services<Client>, generated from the operation table; `options_json` may be "".

    /// Runs any operation of the table by name (see bosbase_operations_json).
    std::string call(const std::string &op, const std::string &args_json = "{}",
                     const std::string &options_json = "") const {
        return detail::call(get(), op.c_str(), args_json, options_json);
    }
    /// The same with file parts, sent as multipart (records.create/update, backups.upload).
    std::string call(const std::string &op, const std::string &args_json, const std::string &options_json,
                     const Files &files) const {
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_call_with_files(get(), op.c_str(), args_json.c_str(), detail::opt(options_json),
                                                  files.get(), &r, &e);  // before reading r
        return detail::finish(s, r, e);
    }

    /// A client with this one's settings and its own auth store, holding `auth_json`'s
    /// {token, record} when given (e.g. the answer of records.impersonate).
    Client fork(const std::string &auth_json = "") const { return fork_of(get(), auth_json); }
    /// fork() of the client `parent` (what the generated methods of rows that give a new
    /// client, such as `collection(c).impersonate(id)`, return).
    static Client fork_of(BosbaseClient *parent, const std::string &auth_json) {
        BosbaseClient *c = nullptr;
        char *e = nullptr;
        BosbaseStatus s = bosbase_client_fork(parent, auth_json.empty() ? nullptr : auth_json.c_str(), &c, &e);
        detail::finish(s, nullptr, e);
        return Client(c);
    }

    /// The all-in-one OAuth2 sign-in (bosbase_auth_with_oauth2, blocking): `open_url` gets the
    /// provider's authorization URL once, on this thread (an exception from it is dropped);
    /// `oauth2_json`: "" or {"scopes", "createData", "urlQuery"}; `options_json`'s timeoutMs
    /// bounds the whole flow (default 5 minutes). Returns the login JSON, saved in the store.
    std::string auth_with_oauth2(const std::string &collection, const std::string &provider,
                                 const std::function<void(const std::string &url)> &open_url,
                                 const std::string &oauth2_json = "", const std::string &options_json = "") const {
        using Opener = std::function<void(const std::string &)>;
        struct Trampoline {
            static void call(void *f, const char *url) noexcept {
                try {
                    (*static_cast<const Opener *>(f))(url);
                } catch (...) {  // must not unwind into the library
                }
            }
        };
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_auth_with_oauth2(get(), collection.c_str(), provider.c_str(), detail::opt(oauth2_json),
                                                   detail::opt(options_json), &Trampoline::call,
                                                   const_cast<Opener *>(&open_url), &r, &e);
        return detail::finish(s, r, e);
    }

    std::string send(const std::string &path, const std::string &options_json = "") const {
        char *r = nullptr, *e = nullptr;
        auto s = bosbase_send(get(), path.c_str(), detail::opt(options_json), &r, &e);
        return detail::finish(s, r, e);
    }

    std::string auth_token() const {
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_token(get(), &r, &e);  // before reading r
        return detail::finish(s, r, e);
    }
    std::string auth_record() const {
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_record(get(), &r, &e);  // before reading r
        return detail::finish(s, r, e);
    }
    bool auth_is_valid() const noexcept { return bosbase_auth_store_is_valid(get()); }
    bool auth_is_superuser() const noexcept { return bosbase_auth_store_is_superuser(get()); }
    /// The login as a `Set-Cookie` value (`pb_auth=...`); `options_json`: "" or {"key", "path", ...}.
    std::string auth_export_cookie(const std::string &options_json = "") const {
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_export_cookie(get(), detail::opt(options_json), &r, &e);
        return detail::finish(s, r, e);
    }
    /// Loads the login from a `Cookie` request header (no such cookie: signed out).
    void auth_load_cookie(const std::string &cookie_header, const std::string &key = "") const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_load_cookie(get(), cookie_header.c_str(), key.c_str(), &e);
        detail::finish(s, nullptr, e);
    }
    void auth_clear() const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_clear(get(), &e);  // before reading e
        detail::finish(s, nullptr, e);
    }
    /// Why the "authFile" option's file could not be read or written last time, as error
    /// JSON, or "null" when it could (or there is none).
    std::string auth_file_error() const {
        char *r = nullptr, *e = nullptr;
        BosbaseStatus s = bosbase_auth_store_file_error(get(), &r, &e);  // before reading r
        return detail::finish(s, r, e);
    }

    /// Subscribes to `topic` ("posts/*", "posts/RECORD_ID" or a custom topic) without waiting
    /// for the server (call `wait()` on the result for that). `options_json`: "" or
    /// {"filter", "expand", "fields", "query", "headers"}.
    Subscription subscribe(const std::string &topic, Subscription::Callback callback,
                           const std::string &options_json = "") const {
        Subscription sub;
        sub.callback_.reset(new Subscription::Callback(std::move(callback)));
        BosbaseSubscription *h = nullptr;
        char *e = nullptr;
        BosbaseStatus s = bosbase_realtime_subscribe(get(), topic.c_str(), detail::opt(options_json),
                                                     &Subscription::deliver, nullptr, sub.callback_.get(), &h, &e);
        detail::finish(s, nullptr, e);
        sub.handle_.reset(h);
        return sub;
    }
    /// Removes every subscription to exactly `topic` (their objects stay, inactive).
    void unsubscribe(const std::string &topic) const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_realtime_unsubscribe(get(), topic.c_str(), &e);
        detail::finish(s, nullptr, e);
    }
    /// Removes every subscription whose topic starts with `prefix`.
    void unsubscribe_by_prefix(const std::string &prefix) const {
        char *e = nullptr;
        BosbaseStatus s = bosbase_realtime_unsubscribe_by_prefix(get(), prefix.c_str(), &e);
        detail::finish(s, nullptr, e);
    }

    /// Subscribes to the pub/sub `topic` (BosBase's WebSocket); publish with
    /// `pubsub().publish(topic, data_json)`.
    PubSubSubscription pubsub_subscribe(const std::string &topic, PubSubSubscription::Callback callback) const {
        PubSubSubscription sub;
        sub.callback_.reset(new PubSubSubscription::Callback(std::move(callback)));
        BosbaseSubscription *h = nullptr;
        char *e = nullptr;
        BosbaseStatus s = bosbase_pubsub_subscribe(get(), topic.c_str(), nullptr, &PubSubSubscription::deliver, nullptr,
                                                   sub.callback_.get(), &h, &e);
        detail::finish(s, nullptr, e);
        sub.handle_.reset(h);
        return sub;
    }
    bool pubsub_connected() const noexcept { return bosbase_pubsub_is_connected(get()); }

    /// Refuses new calls and waits for running ones (see bosbase_client_close). The
    /// destructor closes too; call this to stop other threads' use of a shared client early.
    void close() const noexcept { bosbase_client_close(get()); }

private:
    explicit Client(BosbaseClient *c) noexcept { handle_.reset(c); }
    struct ClientFree {
        void operator()(BosbaseClient *c) const noexcept { bosbase_client_free(c); }
    };
    std::unique_ptr<BosbaseClient, ClientFree> handle_;
};

/// A fresh random custom token (256 bits, URL-safe).
inline std::string generate_token() {
    char *r = nullptr, *e = nullptr;
    BosbaseStatus s = bosbase_generate_token(&r, &e);
    return detail::finish(s, r, e);
}

}  // namespace bosbase

#endif  // BOSBASE_HPP
