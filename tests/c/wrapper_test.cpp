// The C++ wrapper against the dev server (BOSBASE_URL): exceptions carry the kind and the
// server's message in what(), the error JSON in json(); close() refuses later calls.
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <vector>
#include <string>

#include "bosbase.hpp"

static int passed, failed;

static void check(bool ok, const std::string &what) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::cerr << "CHECK failed: " << what << "\n";
    }
}

// Runs `f`, which must throw bosbase::Error; returns it (or a PANIC placeholder).
template <class F>
static bosbase::Error thrown(F f) {
    try {
        f();
    } catch (const bosbase::Error &e) {
        return e;
    }
    check(false, "expected a bosbase::Error");
    return bosbase::Error(BOSBASE_STATUS_PANIC, "{}");
}

// The record id after `after` in `json` ("" when absent).
static std::string id_after(const std::string &json, const std::string &after) {
    std::size_t at = json.find(after);
    at = at == std::string::npos ? at : json.find("\"id\":\"", at);
    return at == std::string::npos ? "" : json.substr(at + 6, json.find('"', at + 6) - at - 6);
}

// Realtime through bosbase::Subscription: a lambda gets the events; the destructor unsubscribes.
static void realtime(const bosbase::Client &pb, const char *url) {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> got;
    bosbase::Subscription sub;
    sub = pb.subscribe("posts/*", [&](const std::string &json) {
        std::lock_guard<std::mutex> lock(m);
        got.push_back(json);
        cv.notify_all();
    });
    sub.wait(10000);
    check(sub.active() && sub.dropped() == 0, "subscribed");
    bosbase::Client writer(url);
    std::string me = id_after(writer.collection("users").auth_with_password("user@example.com", "user-password"), "\"record\"");
    std::string post = writer.send("/api/collections/posts/records",
                                   "{\"method\":\"POST\",\"body\":{\"title\":\"cpp\",\"author\":\"" + me + "\"}}");
    std::string id = id_after(post, "");
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= 2; });
        check(got.size() == 2 && got[0].find("\"type\":\"subscribed\"") != std::string::npos, "subscribed event");
        check(got.size() == 2 && got[1].find("\"event\":\"create\"") != std::string::npos &&
                  got[1].find(id) != std::string::npos,
              "create event with the record");
    }
    sub.unsubscribe();
    check(!sub.active(), "unsubscribed");
    writer.send("/api/collections/posts/records/" + id, "{\"method\":\"DELETE\"}");
    auto e = thrown([&] { pb.subscribe("", [](const std::string &) {}); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT, "empty topic refused");
}

// Files, fork/impersonate, the superuser flag and the cookie form through the wrapper.
static void surface(const bosbase::Client &admin, const char *url) {
    check(admin.auth_is_superuser(), "superuser flag");
    std::string user = admin.collection("users").get_first_list_item("email='user@example.com'");
    std::string id = id_after(user, "");
    // One impersonate: the generated method of the row that forks gives a Client.
    bosbase::Client as_user = admin.collection("users").impersonate(id, 600);
    check(!as_user.auth_is_superuser() && as_user.auth_record().find("user@example.com") != std::string::npos,
          "impersonate gives a client of the user");

    // Typed results: an integer row is a number, a string row the decoded string (no quotes).
    long long users = admin.collection("users").get_count();
    check(users >= 2, "records.getCount is a long long");
    std::string token = as_user.files().get_token();
    check(token.size() > 20 && token.find('"') == std::string::npos, "files.getToken is the token itself: " + token);
    std::string file_url = admin.files().get_url("{\"collectionId\":\"c\",\"id\":\"r\"}", "a b.txt");
    check(file_url.rfind(url, 0) == 0 && file_url.find("/api/files/c/r/a%20b.txt") != std::string::npos, file_url);
    check(bosbase::detail::json_unquote("\"\\u00e9\\ud83d\\ude00\\n\"") == "\xc3\xa9\xf0\x9f\x98\x80\n", "unquote");

    bosbase::Files files;
    files.add_bytes("attachment", "cpp.txt", "from C++");
    std::string post = as_user.call("records.create",
                                    "{\"collection\":\"posts\",\"data\":{\"title\":\"cpp\",\"author\":\"" + id + "\"}}",
                                    "", files);
    check(post.find("\"attachment\":\"cpp_") != std::string::npos, post);
    auto e = thrown([&] { as_user.call("records.create", "{\"collection\":\"posts\"}", "", bosbase::Files().add_path("f", "/no/such")); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT, "unreadable path");

    std::string cookie = admin.auth_export_cookie();
    check(cookie.rfind("pb_auth=", 0) == 0, cookie);
    bosbase::Client ssr(url);
    ssr.auth_load_cookie(cookie.substr(0, cookie.find(';')));
    check(ssr.auth_is_superuser(), "cookie carries the login");
    e = thrown([&] { ssr.auth_load_cookie("pb_auth=%7Bbroken"); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT && !ssr.auth_is_valid(), "a bad cookie clears, typed");
    check(ssr.auth_file_error() == "null", "no auth file, no problem");
}

int main() {
    const char *url = std::getenv("BOSBASE_URL");
    if (!url) {
        std::cerr << "BOSBASE_URL is not set (run through scripts/devserver)\n";
        return 2;
    }
    bosbase::Client pb(url);
    auto e = thrown([&] { pb.collection("users").bind_custom_token("user@example.com", "wrong-password", "t0k3n-s3cret"); });
    check(e.status() == BOSBASE_STATUS_HTTP, "status http");
    check(std::string(e.what()) == "bosbase: http: Failed to bind token.", std::string("what(): ") + e.what());
    check(e.json().find("\"status\":400") != std::string::npos, "json() has the status");
    check(std::string(e.what()).find("wrong-password") == std::string::npos, "no password");

    e = thrown([&] { bosbase::Client bad("http://bob:hunter2@127.0.0.1:8090"); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT, "userinfo refused");
    check(std::string(e.what()).find("userinfo") != std::string::npos, std::string("what(): ") + e.what());
    check((std::string(e.what()) + e.json()).find("hunter2") == std::string::npos, "no userinfo password");

    check(pb.send("/api/health").find("API is healthy") != std::string::npos, "health");
    check(pb.health().check().find("API is healthy") != std::string::npos, "health.check");
    e = thrown([&] { pb.collections().get_list(); });
    check(e.status() == BOSBASE_STATUS_HTTP, "guests may not list collections");
    std::string admin = pb.collection("_superusers").auth_with_password("admin@example.com", "admin-password");
    check(admin.find("admin@example.com") != std::string::npos && pb.auth_is_valid(), "superuser login");
    std::string page = pb.collections().get_list(1, 2);
    check(page.find("\"perPage\":2") != std::string::npos && page.find("\"items\"") != std::string::npos, page);
    check(pb.call("health.check").find("API is healthy") != std::string::npos, "call by name");
    surface(pb, url);
    const std::string token = bosbase::generate_token();
    check(pb.collection("users").bind_custom_token("user@example.com", "user-password", token), "bind");
    check(pb.collection("users").auth_with_token(token).find("user@example.com") != std::string::npos, "login");
    check(pb.collection("users").unbind_custom_token("user@example.com", "user-password", token), "unbind");
    int opened = 0;
    e = thrown([&] { pb.auth_with_oauth2("users", "no-such-provider", [&](const std::string &) { opened++; }); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT && opened == 0, "OAuth2: an unknown provider is refused");
    realtime(pb, url);
    pb.close();
    e = thrown([&] { pb.send("/api/health"); });
    check(e.status() == BOSBASE_STATUS_CLOSED, "closed");
    check(std::string(e.what()) == "bosbase: closed: the client is closed", std::string("what(): ") + e.what());

    std::cout << "cpp-wrapper: " << passed << " passed, " << failed << " failed\n";
    return failed ? 1 : 0;
}
