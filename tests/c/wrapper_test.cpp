// The C++ wrapper against the dev server (BOSBASE_URL): exceptions carry the kind and the
// server's message in what(), the error JSON in json(); close() refuses later calls.
#include <cstdlib>
#include <iostream>
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

int main() {
    const char *url = std::getenv("BOSBASE_URL");
    if (!url) {
        std::cerr << "BOSBASE_URL is not set (run through scripts/devserver)\n";
        return 2;
    }
    bosbase::Client pb(url);
    auto e = thrown([&] { pb.bind_custom_token("users", "user@example.com", "wrong-password", "t0k3n-s3cret"); });
    check(e.status() == BOSBASE_STATUS_HTTP, "status http");
    check(std::string(e.what()) == "bosbase: http: Failed to bind token.", std::string("what(): ") + e.what());
    check(e.json().find("\"status\":400") != std::string::npos, "json() has the status");
    check(std::string(e.what()).find("wrong-password") == std::string::npos, "no password");

    e = thrown([&] { bosbase::Client bad("http://bob:hunter2@127.0.0.1:8090"); });
    check(e.status() == BOSBASE_STATUS_INVALID_ARGUMENT, "userinfo refused");
    check(std::string(e.what()).find("userinfo") != std::string::npos, std::string("what(): ") + e.what());
    check((std::string(e.what()) + e.json()).find("hunter2") == std::string::npos, "no userinfo password");

    check(pb.send("/api/health").find("API is healthy") != std::string::npos, "health");
    pb.close();
    e = thrown([&] { pb.send("/api/health"); });
    check(e.status() == BOSBASE_STATUS_CLOSED, "closed");
    check(std::string(e.what()) == "bosbase: closed: the client is closed", std::string("what(): ") + e.what());

    std::cout << "cpp-wrapper: " << passed << " passed, " << failed << " failed\n";
    return failed ? 1 : 0;
}
