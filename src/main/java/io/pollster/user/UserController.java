package io.pollster.user;

import java.net.URI;
import java.time.Instant;
import java.util.UUID;

import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1")
class UserController {

    private final UserService users;

    UserController(UserService users) {
        this.users = users;
    }

    @PostMapping("/users")
    ResponseEntity<NewUserView> create(Caller caller, @Valid @RequestBody CreateUserRequest request) {
        caller.requireAdmin();
        UserService.NewUser created = users.create(request.name());
        User user = created.user();
        return ResponseEntity.created(URI.create("/api/v1/users/" + user.id()))
                .body(new NewUserView(user.id().value(), user.name(), created.token(), user.createdAt()));
    }

    @GetMapping("/users")
    Page<UserView> list(Caller caller, @RequestParam(required = false) Integer limit,
                        @RequestParam(required = false) String cursor) {
        caller.requireAdmin();
        return users.list(PageQuery.of(limit, cursor)).map(UserView::of);
    }

    @GetMapping("/users/{id}")
    UserView get(Caller caller, @PathVariable UUID id) {
        caller.requireAdmin();
        return UserView.of(users.get(new UserId(id)));
    }

    @DeleteMapping("/users/{id}")
    ResponseEntity<Void> delete(Caller caller, @PathVariable UUID id) {
        caller.requireAdmin();
        users.delete(new UserId(id));
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/me")
    MeView me(Caller caller) {
        if (caller.admin()) {
            return new MeView(null, caller.name(), true, null);
        }
        User user = users.get(caller.userId());
        return new MeView(user.id().value(), user.name(), false, user.createdAt());
    }

    record CreateUserRequest(
            @NotNull
            @Size(min = 1, max = 64)
            @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._@-]*",
                    message = "must start with a letter or digit and hold only letters, digits, '.', '_', '@' or '-'")
            String name) {
    }

    record NewUserView(UUID id, String name, String token, Instant createdAt) {
    }

    record UserView(UUID id, String name, Instant createdAt) {
        static UserView of(User user) {
            return new UserView(user.id().value(), user.name(), user.createdAt());
        }
    }

    record MeView(UUID id, String name, boolean admin, Instant createdAt) {
    }
}
