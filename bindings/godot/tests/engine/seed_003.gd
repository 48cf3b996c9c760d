extends Node
# Seed 003 (custom token binding and login) as written: the snippets, each wrapped in a
# function (they use `return`), the complete example and the error-handling helpers. Only the
# preload path and the URL differ (BOSBASE_URL, set by the test run).

var BosBase = preload("res://addons/bosbase/bosbase.gd")

var pb = BosBase.new(OS.get_environment("BOSBASE_URL"))


# Binding a Token (with the demo server's admin account in the superuser part).
func binding_a_token() -> void:
    # Bind for a regular user
    var result = await pb.collection("users").bind_custom_token(
        "user@example.com",
        "user-password",
        "my-app-token",
    )

    if result is ClientResponseError:
        push_error("Failed to bind token: " + result.to_string())
        return

    print("Token bound successfully")

    # Bind for a superuser
    var result2 = await pb.collection("_superusers").bind_custom_token(
        "admin@example.com",
        "admin-password",
        "admin-app-token",
    )

    if result2 is ClientResponseError:
        push_error("Failed to bind superuser token: " + result2.to_string())
        return


# Logging in with a Token
func logging_in_with_a_token() -> void:
    # Login with the previously bound token
    var auth = await pb.collection("users").auth_with_token("my-app-token")

    if auth is ClientResponseError:
        push_error("Token authentication failed: " + auth.to_string())
        return

    print(auth.token)  # BosBase auth token
    print(auth.record) # authenticated record

    # Superuser token login
    var super_auth = await pb.collection("_superusers").auth_with_token("admin-app-token")

    if super_auth is ClientResponseError:
        push_error("Superuser token authentication failed: " + super_auth.to_string())
        return

    print(super_auth.token)
    print(super_auth.record)


# Unbinding a Token
func unbinding_a_token() -> void:
    # Stop accepting the token for the user
    var result = await pb.collection("users").unbind_custom_token(
        "user@example.com",
        "user-password",
        "my-app-token",
    )

    if result is ClientResponseError:
        push_error("Failed to unbind token: " + result.to_string())
        return

    # Stop accepting the token for a superuser
    var result2 = await pb.collection("_superusers").unbind_custom_token(
        "admin@example.com",
        "admin-password",
        "admin-app-token",
    )

    if result2 is ClientResponseError:
        push_error("Failed to unbind superuser token: " + result2.to_string())
        return


# Complete Example
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


# Error Handling
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
