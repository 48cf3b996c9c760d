// The custom-token flow from C++ through the RAII wrapper in include/bosbase.hpp.
// Run: BOSBASE_URL=http://127.0.0.1:8090 ./token_flow
#include <cstdlib>
#include <iostream>

#include "bosbase.hpp"

static void flow(const bosbase::Client &pb, const std::string &collection, const std::string &email,
                 const std::string &password) {
    const std::string token = bosbase::generate_token();
    pb.collection(collection).bind_custom_token(email, password, token);
    std::cout << collection << ": bound\n";
    std::string auth = pb.collection(collection).auth_with_token(token);
    std::cout << collection << ": authenticated, store valid=" << pb.auth_is_valid()
              << ", record=" << pb.auth_record() << "\n";
    pb.collection(collection).unbind_custom_token(email, password, token);
    std::cout << collection << ": unbound\n";
    try {
        pb.collection(collection).auth_with_token(token);
        throw std::runtime_error("login after unbind unexpectedly succeeded");
    } catch (const bosbase::Error &e) {
        if (e.status() != BOSBASE_STATUS_HTTP) throw;
        std::cout << collection << ": login after unbind -> " << e.kind() << " " << e.json() << "\n";
    }
}

int main() {
    const char *url = std::getenv("BOSBASE_URL");
    try {
        bosbase::Client pb(url ? url : "http://127.0.0.1:8090", R"({"userAgent":"bosbase-cpp/0.1.0"})");
        flow(pb, "users", "user@example.com", "user-password");
        flow(pb, "_superusers", "admin@example.com", "admin-password");
    } catch (const bosbase::Error &e) {
        std::cerr << e.what() << ": " << e.json() << "\n";
        return 1;
    }
    std::cout << "cpp: token flow OK\n";
    return 0;
}
