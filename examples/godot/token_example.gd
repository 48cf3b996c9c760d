extends Node
# Seed 003 (custom token binding and login) as written, with only the preload path and the
# URL changed: BOSBASE_URL from the environment, or the seed's address. Run the project with
# a BosBase server up; `make demo` starts the dev server with the demo accounts.

var BosBase = preload("res://addons/bosbase/bosbase.gd")

var pb = BosBase.new(server_url())


static func server_url() -> String:
    var url := OS.get_environment("BOSBASE_URL")
    return url if url != "" else "http://127.0.0.1:8090"


func _ready() -> void:
    # A method generated from the core's operation table (not part of the seed).
    var health = await pb.health().check()
    if health is ClientResponseError:
        push_error("Server not reachable: " + health.to_string())
    else:
        print("Server health: ", health.message)

    # The seed's complete example (its sample password is not a demo account's, so against the
    # dev server it stops at step 1 with a ClientResponseError, status 400).
    await setup_custom_token_auth()

    # The same flow through the seed's error-handling helpers, with a demo account and a
    # random token as the seed's best practices advise.
    var token: String = pb.generate_token()
    if await safe_bind_token("users", "user@example.com", "user-password", token):
        var auth: Dictionary = await safe_auth_with_token("users", token)
        if not auth.is_empty():
            print("Authenticated as: ", auth.record.email)
            print("Auth store holds a token: ", pb.auth_store.is_valid())
        await pb.collection("users").unbind_custom_token("user@example.com", "user-password", token)
    get_tree().quit()


func setup_custom_token_auth() -> void:
    # Step 1: Bind a custom token to a user
    var bind_result = await pb.collection("users").bind_custom_token(
        "user@example.com",
        "password123",
        "my-custom-token-12345",
    )

    if bind_result is ClientResponseError:
        push_error("Failed to bind token: " + bind_result.to_string())
        return

    print("Token bound successfully")

    # Step 2: Later, authenticate using the custom token
    var auth = await pb.collection("users").auth_with_token("my-custom-token-12345")

    if auth is ClientResponseError:
        push_error("Token authentication failed: " + auth.to_string())
        return

    print("Authenticated as: ", auth.record.email)
    print("Auth token: ", auth.token)

    # Step 3: When done, unbind the token
    var unbind_result = await pb.collection("users").unbind_custom_token(
        "user@example.com",
        "password123",
        "my-custom-token-12345",
    )

    if unbind_result is ClientResponseError:
        push_error("Failed to unbind token: " + unbind_result.to_string())
        return

    print("Token unbound successfully")


func safe_bind_token(collection: String, email: String, password: String, token: String) -> bool:
    var result = await pb.collection(collection).bind_custom_token(email, password, token)

    if result is ClientResponseError:
        match result.status:
            400:
                push_error("Invalid request - check email, password, or token format")
            401:
                push_error("Authentication failed - invalid email or password")
            404:
                push_error("User not found")
            _:
                push_error("Failed to bind token: " + result.to_string())
        return false

    return true


func safe_auth_with_token(collection: String, token: String) -> Dictionary:
    var auth = await pb.collection(collection).auth_with_token(token)

    if auth is ClientResponseError:
        match auth.status:
            401:
                push_error("Token authentication failed - token not bound or invalid")
            404:
                push_error("Token binding not found")
            _:
                push_error("Authentication error: " + auth.to_string())
        return {}

    return auth
